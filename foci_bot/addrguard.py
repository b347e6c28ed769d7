"""Which IP addresses foci-bot may connect to, and curl-style ``--connect-to`` rules.

Strangers choose the URLs this bot fetches (well-knowns, base_urls, focus URLs), so by default
nothing internal is reachable: a server-side request forgery guard applied to the address each
connection actually uses, after DNS and after any connect-to override.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIXTOFOUR = ipaddress.IPv6Network("2002::/16")

# The IANA special-purpose address registries, as explicit tables (not whatever the running
# Python's ``ipaddress`` knows): "IANA IPv4 Special-Purpose Address Registry",
# https://www.iana.org/assignments/iana-ipv4-special-registry/ (RFC 6890), and "IANA IPv6
# Special-Purpose Address Registry", https://www.iana.org/assignments/iana-ipv6-special-registry/.
# Each row: (block, globally reachable per the registry, name). The most specific block that
# holds an address decides; "N/A" (deprecated blocks) counts as not reachable.
_Row = tuple[str, bool, str]
_IPV4_SPECIAL: tuple[_Row, ...] = (
    ("0.0.0.0/8", False, "this network (RFC 791)"),
    ("0.0.0.0/32", False, "this host on this network (RFC 1122)"),
    ("10.0.0.0/8", False, "private-use (RFC 1918)"),
    ("100.64.0.0/10", False, "shared address space, carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", False, "loopback (RFC 1122)"),
    ("169.254.0.0/16", False, "link-local (RFC 3927)"),
    ("172.16.0.0/12", False, "private-use (RFC 1918)"),
    ("192.0.0.0/24", False, "IETF protocol assignments (RFC 6890)"),
    ("192.0.0.0/29", False, "IPv4 service continuity prefix (RFC 7335)"),
    ("192.0.0.8/32", False, "IPv4 dummy address (RFC 7600)"),
    ("192.0.0.9/32", True, "Port Control Protocol anycast (RFC 7723)"),
    ("192.0.0.10/32", True, "TURN anycast (RFC 8155)"),
    ("192.0.0.170/32", False, "NAT64/DNS64 discovery (RFC 7050)"),
    ("192.0.0.171/32", False, "NAT64/DNS64 discovery (RFC 7050)"),
    ("192.0.2.0/24", False, "documentation, TEST-NET-1 (RFC 5737)"),
    ("192.31.196.0/24", True, "AS112-v4 (RFC 7535)"),
    ("192.52.193.0/24", True, "AMT (RFC 7450)"),
    ("192.88.99.0/24", False, "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", False, "private-use (RFC 1918)"),
    ("192.175.48.0/24", True, "direct delegation AS112 service (RFC 7534)"),
    ("198.18.0.0/15", False, "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", False, "documentation, TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", False, "documentation, TEST-NET-3 (RFC 5737)"),
    ("240.0.0.0/4", False, "reserved (RFC 1112)"),
    ("255.255.255.255/32", False, "limited broadcast (RFC 919)"),
    # Not in the special-purpose registry but never a unicast server: the multicast space
    # ("IPv4 Multicast Address Space Registry", RFC 5771).
    ("224.0.0.0/4", False, "multicast (RFC 5771)"),
)
_IPV6_SPECIAL: tuple[_Row, ...] = (
    ("::1/128", False, "loopback (RFC 4291)"),
    ("::/128", False, "unspecified (RFC 4291)"),
    ("::ffff:0:0/96", False, "IPv4-mapped (RFC 4291)"),  # judged by its IPv4 address, see below
    ("64:ff9b::/96", True, "IPv4-IPv6 translation (RFC 6052)"),  # judged by its IPv4 address
    ("64:ff9b:1::/48", False, "local-use IPv4/IPv6 translation (RFC 8215)"),
    ("100::/64", False, "discard-only (RFC 6666)"),
    ("100:0:0:1::/64", False, "dummy IPv6 prefix (RFC 9780)"),
    ("2001::/23", False, "IETF protocol assignments (RFC 2928)"),
    ("2001::/32", False, "Teredo (RFC 4380)"),  # registry: N/A
    ("2001:1::1/128", True, "Port Control Protocol anycast (RFC 7723)"),
    ("2001:1::2/128", True, "TURN anycast (RFC 8155)"),
    ("2001:1::3/128", True, "DNS-SD service registration protocol anycast (RFC 9665)"),
    ("2001:2::/48", False, "benchmarking (RFC 5180)"),
    ("2001:3::/32", True, "AMT (RFC 7450)"),
    ("2001:4:112::/48", True, "AS112-v6 (RFC 7535)"),
    ("2001:10::/28", False, "deprecated ORCHID (RFC 4843)"),  # registry: N/A
    ("2001:20::/28", True, "ORCHIDv2 (RFC 7343)"),
    ("2001:30::/28", True, "drone remote ID entity tags (RFC 9374)"),
    ("2001:db8::/32", False, "documentation (RFC 3849)"),
    ("2002::/16", False, "6to4 (RFC 3056)"),  # registry: N/A; judged by its IPv4 address
    ("2620:4f:8000::/48", True, "direct delegation AS112 service (RFC 7534)"),
    ("3fff::/20", False, "documentation (RFC 9637)"),
    ("5f00::/16", False, "segment routing SIDs (RFC 9602)"),
    ("fc00::/7", False, "unique-local (RFC 4193)"),
    ("fe80::/10", False, "link-local (RFC 4291)"),
    # Not in the special-purpose registry, refused too: deprecated site-local (RFC 3879) and
    # multicast (RFC 4291); and everything outside 2000::/3, the only space IANA allocates for
    # global unicast ("IPv6 Global Unicast Address Assignments" registry), catches the rest.
    ("fec0::/10", False, "deprecated site-local (RFC 3879)"),
    ("ff00::/8", False, "multicast (RFC 4291)"),
)
SPECIAL_PURPOSE: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool, str], ...] = tuple(
    (ipaddress.ip_network(block), reachable, name) for block, reachable, name in _IPV4_SPECIAL + _IPV6_SPECIAL
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def special_block(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> tuple[bool, str] | None:
    """(globally reachable, name) of the most specific registry block holding ``ip``, or None."""
    hits = [(net.prefixlen, reachable, name) for net, reachable, name in SPECIAL_PURPOSE if ip in net]
    if not hits:
        return None
    _, reachable, name = max(hits)
    return reachable, name


def blocked_reason(address: str) -> str | None:
    """Why an address is off limits, or None when it is a globally reachable unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv4-mapped, NAT64 and 6to4 addresses reach the IPv4 address inside them.
        embedded = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is None and ip in _SIXTOFOUR:
            embedded = ip.sixtofour
        if embedded is not None:
            inner = blocked_reason(str(embedded))
            return f"{inner} (embedded IPv4)" if inner else None
    block = special_block(ip)
    if block is not None and not block[0]:
        return block[1]
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _GLOBAL_UNICAST:
        return "outside IPv6 global unicast 2000::/3 (RFC 4291)"
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
