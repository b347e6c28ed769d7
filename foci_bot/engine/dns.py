"""DNS through dnspython: SRV lookups for federation, and (lab only) every name lookup.

``--dns-server ADDR:PORT`` (``[checks] dns_server``) points both at one resolver, the way
``--connect-to`` points HTTP at a test server: the SRV lookups here and, through
:class:`DnsResolver`, the A/AAAA lookups of the guarded HTTP client. Without it, SRV lookups use
the system's resolvers (``/etc/resolv.conf``) and HTTP keeps aiohttp's default resolver.

Nothing here decides where to connect: every connection still goes through the guarded client,
so SRV targets and delegated names meet the same address guard as any URL.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from foci_bot.checks.federation import SrvRecord

if TYPE_CHECKING:
    import dns.asyncresolver

MAX_RECORDS = 16


class Dns:
    """A bounded dnspython resolver: one lifetime per lookup, at most a few records kept."""

    def __init__(self, server: tuple[str, int] | None, timeout: float) -> None:
        self._server = server
        self._timeout = timeout
        self._made: dns.asyncresolver.Resolver | None = None

    @property
    def _resolver(self) -> dns.asyncresolver.Resolver:
        # dnspython is imported at the first lookup: importing it costs about 0.1 s of CPU, which
        # a run whose servers all name their federation port explicitly never needs to spend.
        if self._made is None:
            import dns.asyncresolver
            import dns.exception

            if self._server is None:
                try:
                    made = dns.asyncresolver.Resolver()
                except dns.exception.DNSException:  # no usable /etc/resolv.conf: lookups fail, as values
                    made = dns.asyncresolver.Resolver(configure=False)
            else:
                made = dns.asyncresolver.Resolver(configure=False)
                made.nameservers = [self._server[0]]
                made.port = self._server[1]
            made.lifetime = min(self._timeout, 5.0)
            made.timeout = min(self._timeout, 2.0)
            self._made = made
        return self._made

    async def srv(self, name: str) -> tuple[list[SrvRecord], str]:
        """The SRV records at ``name`` and, when the lookup failed (not "no such record"), why."""
        resolver = self._resolver
        import dns.exception
        import dns.resolver

        try:
            answer = await resolver.resolve(name, "SRV", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return [], ""
        except dns.exception.DNSException as exc:
            return [], f"SRV lookup failed: {type(exc).__name__}"
        records = [
            SrvRecord(int(r.priority), int(r.weight), int(r.port), str(r.target).rstrip(".").lower())
            for r in list(answer)[:MAX_RECORDS]
        ]
        return records, ""

    async def addresses(self, host: str, family: int) -> list[tuple[str, int]]:
        """A and/or AAAA answers as (address, family); an empty list when there are none."""
        kinds = []
        if family in (socket.AF_UNSPEC, socket.AF_INET6):
            kinds.append(("AAAA", socket.AF_INET6))
        if family in (socket.AF_UNSPEC, socket.AF_INET):
            kinds.append(("A", socket.AF_INET))
        found: list[tuple[str, int]] = []
        resolver = self._resolver
        import dns.exception

        for kind, fam in kinds:
            try:
                answer = await resolver.resolve(host, kind, search=False)
            except dns.exception.DNSException:
                continue
            found += [(r.to_text(), fam) for r in list(answer)[:MAX_RECORDS]]
        return found


class DnsResolver:
    """aiohttp's resolver interface (``resolve``/``close``, results as ``ResolveResult`` dicts) over
    :class:`Dns`, used only when a DNS server is configured. Duck-typed, so that ``http.py`` stays
    the one module that imports aiohttp."""

    def __init__(self, dns_: Dns) -> None:
        self._dns = dns_

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        found = await self._dns.addresses(host, family)
        if not found:
            raise OSError(socket.EAI_NONAME, f"{host}: no address")
        return [
            {"hostname": host, "host": addr, "port": port, "family": fam, "proto": 0,
             "flags": socket.AI_NUMERICHOST}
            for addr, fam in found
        ]  # fmt: skip

    async def close(self) -> None:
        return None
