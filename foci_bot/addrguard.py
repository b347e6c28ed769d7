"""Which IP addresses foci-bot may connect to, and curl-style ``--connect-to`` rules.

Strangers choose the URLs this bot fetches (well-knowns, base_urls, focus URLs), so by default
nothing internal is reachable: a server-side request forgery guard applied to the address each
connection actually uses, after DNS and after any connect-to override.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.IPv6Network("2002::/16")


def blocked_reason(address: str) -> str | None:
    """Why an address is off limits, or None when it is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is None and ip in _SIXTOFOUR:
            embedded = ip.sixtofour
        if embedded is not None:
            inner = blocked_reason(str(embedded))
            return f"{inner} (embedded IPv4)" if inner else None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    for hit, why in checks:
        if hit:
            return why
    return None


class ConnectToError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ConnectTo:
    """``HOST:PORT:ADDR:PORT2``: connections for HOST:PORT go to ADDR:PORT2 instead.

    An empty HOST or a PORT of 0 is a wildcard, as in curl's ``--connect-to``.
    """

    host: str
    port: int
    addr: str
    addr_port: int

    @classmethod
    def parse(cls, text: str) -> ConnectTo:
        parts = _split_hostports(text)
        if len(parts) != 4:
            raise ConnectToError(f"--connect-to wants HOST:PORT:ADDR:PORT2, got {text!r}")
        host, port, addr, port2 = parts
        try:
            nport, nport2 = int(port or 0), int(port2)
        except ValueError:
            raise ConnectToError(f"bad port in --connect-to {text!r}") from None
        # As in curl, an empty HOST (or PORT) matches any host (or port).
        if not (0 <= nport < 65536 and 0 < nport2 < 65536) or not addr:
            raise ConnectToError(f"bad --connect-to {text!r}")
        return cls(host.lower().rstrip("."), nport, addr, nport2)

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host) and (self.port in (0, port))


def _split_hostports(text: str) -> list[str]:
    """Split on ':' but keep ``[v6]`` literals whole (and strip their brackets)."""
    parts: list[str] = []
    rest = text
    while True:
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                return []
            parts.append(rest[1:close])
            rest = rest[close + 1 :]
            if not rest:
                return parts
            if not rest.startswith(":"):
                return []
            rest = rest[1:]
            continue
        head, sep, rest = rest.partition(":")
        parts.append(head)
        if not sep:
            return parts


def parse_dns_server(text: str) -> tuple[str, int]:
    """``ADDR:PORT`` or ``[v6]:PORT`` -> (address, port); raises ValueError."""
    text = text.strip()
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        addr, _, port_text = text.rpartition(":")
    ipaddress.ip_address(addr)  # an address, not a name: it cannot be looked up before DNS works
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    return addr, port
