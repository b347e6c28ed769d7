"""The guarded HTTP client: the only module that talks HTTP to the outside world.

It follows redirects itself (so every hop is recorded, checked for CORS, loops and private
addresses), caps bodies, enforces timeouts, bounds concurrency and never raises on the network's
faults: every outcome is a :class:`~foci_bot.model.Fetch`.

Requests to one host go one at a time over one keep-alive connection, a host that could not be
connected to is not waited for again (:mod:`foci_bot.engine.slots`), and a request's timeout starts
once it has its host and a slot, so queueing is never blamed on the server.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import ResolveResult

from foci_bot import __version__
from foci_bot.addrguard import ConnectTo, blocked_reason
from foci_bot.engine import fetchparts
from foci_bot.engine.dns import Dns, DnsResolver
from foci_bot.engine.slots import HostGates, SilentHost, Slots, host_key, small_tls_buffers
from foci_bot.model import Fetch, FetchError, Hop
from foci_bot.text import visible

small_tls_buffers()  # 16 KiB instead of asyncio's 256 KiB per connection (see slots.py)
MAX_REDIRECTS = 5
#: What a failed request can raise, here or in a library over aiohttp (matrix-nio): the Matrix
#: adapter catches these so that nobody else needs to import aiohttp.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, OSError, aiohttp.ClientError)
DEFAULT_BODY_CAP = 64 * 1024
_KEPT_HEADERS = ("content-type", "access-control-allow-origin", "access-control-allow-methods",
                 "access-control-allow-headers", "location", "server")  # fmt: skip


@dataclass(frozen=True, slots=True)
class HttpOptions:
    timeout: float = 5.0
    concurrency: int = 32
    allow_private: bool = False
    allowed_addresses: frozenset[str] = frozenset()  # exact IPs exempt from the guard
    connect_to: tuple[ConnectTo, ...] = ()
    cacert: str | None = None
    #: lab hook: resolve every name (and federation SRV records) at this DNS server.
    dns_server: tuple[str, int] | None = None
    user_agent: str = f"foci-bot/{__version__}"
    #: a request waiting longer than this stops counting against ``concurrency`` (see slots.py)
    park_after: float = 1.0
    #: how long a host that gave no answer within the timeout is not asked again
    silent_ttl: float = 60.0


# Called by the connector once a request has its connection (TCP and TLS): only a host that never
# let us connect within the timeout is remembered as silent.
_on_connect: ContextVar[Callable[[], None]] = ContextVar("_on_connect")


class BlockedAddress(OSError):
    """Raised inside the connector when every address of a host is off limits."""


class _GuardedConnector(aiohttp.TCPConnector):
    """Applies connect-to rules and the address guard to every connection's addresses.

    aiohttp skips the resolver for IP literals, so the guard lives in ``_resolve_host``, which
    sees both names and literals.
    """

    def __init__(self, options: HttpOptions, *, guard: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._options = options
        self._guard = guard and not options.allow_private
        # First rule wins for a host:port, as in curl; wildcard rules are scanned after.
        self._exact: dict[tuple[str, int], ConnectTo] = {}
        for rule in options.connect_to:
            if rule.host and rule.port:
                self._exact.setdefault((rule.host, rule.port), rule)

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:  # noqa: ASYNC109 - aiohttp's signature
        connection = await super().connect(req, traces, timeout)
        on_connect = _on_connect.get(None)
        if on_connect is not None:
            on_connect()
        return connection

    async def _resolve_host(
        self, host: str, port: int, traces: Sequence[Any] | None = None
    ) -> list[ResolveResult]:
        bare = host.strip("[]").rstrip(".").lower()
        rule = self._exact.get((bare, port)) or next(
            (r for r in self._options.connect_to if r.matches(bare, port)), None
        )
        if rule is not None:
            host, port = rule.addr, rule.addr_port
        results = await super()._resolve_host(host, port, traces=traces)
        if not self._guard:
            return results
        exempt = self._options.allowed_addresses
        allowed = [r for r in results if r["host"] in exempt or blocked_reason(r["host"]) is None]
        if not allowed:
            shown = ", ".join(sorted({r["host"] for r in results}))
            why = blocked_reason(results[0]["host"]) if results else "no address"
            raise BlockedAddress(f"{bare} resolves to {shown} ({why})")
        return allowed


class HttpClient:
    """One aiohttp session for the process, shared by every check."""

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        self._session: aiohttp.ClientSession | None = None
        # Unguarded, for the operator's own homeserver only (``fetch(own_server=...)``): a pool of its
        # own, so no request whose URL a stranger chose reuses a connection made for the bot's own.
        self._own_session: aiohttp.ClientSession | None = None
        size = self.options.concurrency
        self._slots = Slots(size, park_after=self.options.park_after, max_parked=4 * size)
        self._hosts = HostGates(self.options.silent_ttl)
        self._context: ssl.SSLContext | None = None

    def _ssl_context(self) -> ssl.SSLContext | bool:
        """One context for both pools. Without an extra CA, ``True``: the verified default context
        aiohttp made at import, rather than loading the system's CA certificates again (~0.05 s)."""
        if not self.options.cacert:
            return True
        if self._context is None:
            self._context = ssl.create_default_context()
            self._context.load_verify_locations(cafile=self.options.cacert)
        return self._context

    def _new_session(self, *, guard: bool) -> aiohttp.ClientSession:
        resolver = None
        if self.options.dns_server is not None:
            resolver = DnsResolver(Dns(self.options.dns_server, self.options.timeout))
        connector = _GuardedConnector(
            self.options,
            guard=guard,
            resolver=resolver,
            ssl=self._ssl_context(),
            limit=0,  # bounded by our own slots and host gates, which know about dead hosts
            ttl_dns_cache=60,
            family=socket.AF_UNSPEC,
            # A host's requests follow each other closely on its one connection (under load one may
            # wait for a slot a while); idle TLS connections cost memory, so keep them briefly.
            keepalive_timeout=2,
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.options.user_agent},
            trust_env=False,
            auto_decompress=True,
        )

    async def __aenter__(self) -> HttpClient:
        self._session = self._new_session(guard=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for session in (self._session, self._own_session):
            if session is not None:
                await session.close()
        self._session = self._own_session = None

    async def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body_cap: int = DEFAULT_BODY_CAP,
        https_only: bool = False,
        follow_redirects: bool = True,
        own_server: bool = False,
        server_hostname: str | None = None,
        data: bytes | None = None,
    ) -> Fetch:
        """One request with redirects followed by hand; never raises for network faults.

        ``follow_redirects=False`` returns a 3xx as the answer: a browser fails a redirected CORS
        preflight, and a 301/302 turns a POST into a GET, so probes that replay those requests
        must see the redirect itself. An ``Origin`` header becomes ``null`` after a cross-origin
        hop, as the Fetch standard's "tainted origin" says, so CORS is judged as a browser would.

        ``own_server`` marks a request the bot itself sends to the homeserver the operator
        configured (never a URL from a server's answer): it alone skips the address guard, and
        only while it stays on that URL's origin; a redirect elsewhere is guarded as usual.

        ``server_hostname`` checks TLS against that name instead of the URL's host (federation
        through an SRV target); such a request follows no redirect, as the name belongs to one host.
        A request with a body (``data``) follows none either: clients post to the exact URL.
        """
        own_origin = fetchparts.origin(url) if own_server else None
        follow = follow_redirects and server_hostname is None and data is None
        started = time.monotonic()
        hops: list[Hop] = []
        seen: set[str] = set()
        current = url
        deadline: list[float] = []  # set when the first request starts; covers every hop
        origin = fetchparts.header(headers, "origin")
        try:
            while True:
                problem = fetchparts.url_problem(current, https_only)
                if problem is not None:
                    return fetchparts.fail(url, method, hops, problem, current, started)
                seen.add(current)
                own = own_origin is not None and fetchparts.origin(current) == own_origin
                status, resp_headers, body = await self._one(
                    current, method, headers, body_cap, deadline, own=own, tls_name=server_hostname, data=data
                )
                location = resp_headers.get("location")
                if status in (301, 302, 303, 307, 308) and location and follow:
                    hops.append(Hop(current, status, resp_headers.get("access-control-allow-origin"), origin))
                    nxt = urljoin(current, location)
                    if nxt in seen:
                        return fetchparts.fail(
                            url, method, hops, (FetchError.REDIRECT_LOOP, nxt), nxt, started
                        )
                    if len(hops) >= MAX_REDIRECTS:
                        detail = f"more than {MAX_REDIRECTS} redirects"
                        return fetchparts.fail(
                            url, method, hops, (FetchError.TOO_MANY_REDIRECTS, detail), nxt, started
                        )
                    if fetchparts.origin(nxt) != fetchparts.origin(current):
                        # Credentials are for the origin they were meant for, never a redirect target.
                        headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
                        if origin is not None:
                            origin = "null"
                            headers = {k: v for k, v in headers.items() if k.lower() != "origin"}
                            headers["Origin"] = origin
                    current = nxt
                    continue
                return Fetch(
                    url=url,
                    method=method,
                    status=status,
                    headers=resp_headers,
                    body=body,
                    final_url=current,
                    hops=tuple(hops),
                    elapsed_ms=fetchparts.ms(started),
                    origin=origin,
                )
        except (SilentHost, _TooLarge, TimeoutError, aiohttp.ClientError, ValueError, UnicodeError) as exc:
            return fetchparts.fail(url, method, hops, self._problem(exc), current, started)

    def _problem(self, exc: BaseException) -> tuple[FetchError, str]:
        """What a request's exception means, most specific class first (aiohttp's certificate error
        is also an SSL error and a connector error; InvalidURL is also a ValueError)."""
        if isinstance(exc, SilentHost):
            return FetchError.TIMEOUT, str(exc)
        if isinstance(exc, _TooLarge):
            return FetchError.TOO_LARGE, str(exc)
        if isinstance(exc, TimeoutError):
            return FetchError.TIMEOUT, f"no complete answer within {self.options.timeout:g} s"
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return FetchError.TLS, fetchparts.short(exc.certificate_error)
        if isinstance(exc, aiohttp.ClientSSLError):
            return FetchError.TLS, fetchparts.short(exc)
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            if isinstance(exc.os_error, BlockedAddress):
                return FetchError.BLOCKED, str(exc.os_error)
            return FetchError.DNS, fetchparts.short(exc.os_error)
        if isinstance(exc, aiohttp.ClientConnectorError):
            return FetchError.CONNECT, fetchparts.short(exc.os_error)
        if isinstance(exc, aiohttp.InvalidURL):
            return FetchError.BAD_URL, fetchparts.short(exc)
        return FetchError.PROTOCOL, fetchparts.short(exc)

    async def _one(
        self,
        url: str,
        method: str,
        headers: Mapping[str, str] | None,
        cap: int,
        deadline: list[float],
        *,
        own: bool,
        tls_name: str | None = None,
        data: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One hop, once this host is free and a slot is ours; the first hop starts the clock."""
        assert self._session is not None, "use HttpClient as an async context manager"
        if own and self._own_session is None:
            self._own_session = self._new_session(guard=False)
        session = self._own_session if own and self._own_session is not None else self._session
        key = host_key(url)
        asking = False
        connected: list[bool] = []

        def on_connect() -> None:
            connected.append(True)
            self._hosts.connected(key)

        _on_connect.set(on_connect)
        limit = asyncio.timeout_at(deadline[0] if deadline else None)
        try:
            async with limit, self._hosts.hold(key):
                why = self._hosts.silent(key)
                if why is not None:
                    raise SilentHost(why)
                async with self._slots.hold():
                    if not deadline:
                        deadline.append(asyncio.get_running_loop().time() + self.options.timeout)
                        limit.reschedule(deadline[0])
                    asking = True
                    self._hosts.connecting(key)
                    async with session.request(
                        method,
                        url,
                        headers=dict(headers or {}),
                        allow_redirects=False,
                        max_line_size=8190,
                        max_field_size=8190,
                        server_hostname=tls_name,
                        data=data,
                    ) as resp:
                        return resp.status, *await _read(resp, cap)
        except TimeoutError:
            if asking and not connected:
                # Not even a connection (TCP and TLS) within the timeout: the host is down, so later
                # requests to it fail at once the same way. A host that connects but does not answer
                # one path may still answer others, so it is asked again.
                where = f"{key[1]}:{key[2]}"
                self._hosts.mark_silent(
                    key, f"no connection within {self.options.timeout:g} s ({where} did not connect before)"
                )
            raise
        finally:
            if asking and not connected:
                self._hosts.connected(key)  # the attempt is over, either way

    def stalled(self, url: str, after: float) -> bool:
        """Whether ``url``'s host is known to be down, or a connection to it has been tried for
        ``after`` seconds without success (see :meth:`HostGates.stalled`)."""
        return self._hosts.stalled(host_key(url), after)


async def _read(resp: aiohttp.ClientResponse, cap: int) -> tuple[dict[str, str], bytes]:
    # Repeated headers are joined, as browsers see them: two `Access-Control-Allow-Origin` values
    # become one invalid value. aiohttp keeps bytes that are not UTF-8 as lone surrogates; make them
    # visible U+FFFD.
    kept = {k: visible(", ".join(resp.headers.getall(k))[:512]) for k in _KEPT_HEADERS if k in resp.headers}
    declared = resp.content_length
    if declared is not None and declared > cap:
        raise _TooLarge(f"body of {declared} bytes, over the {cap}-byte limit")
    if declared is not None and resp.headers.get("content-encoding", "identity").lower() == "identity":
        # Not compressed, and the parser stops at Content-Length: one read, already bounded. A
        # compressed body is counted as it is decompressed, below (50 KB of gzip can be 50 MB).
        return kept, await resp.read()
    body = bytearray()
    async for chunk in resp.content.iter_chunked(16384):
        body += chunk
        if len(body) > cap:
            raise _TooLarge(f"body over the {cap}-byte limit")
    return kept, bytes(body)


class _TooLarge(Exception):
    pass
