"""Orchestration: which requests to make for a server, in what order, concurrently, with caches.

The dependent chain per server is: well-known -> (versions, transports -> probes of listed URLs,
probes of well-known URLs, all at once). Probes are shared by URL across servers.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from foci_bot.callflow import E2eStep, Federation
from foci_bot.checks.cors import PROBE_ORIGIN
from foci_bot.checks.foci import probe_targets, wellknown_foci
from foci_bot.checks.report import analyse
from foci_bot.checks.transports import LISTED, classify
from foci_bot.checks.wellknown import read_wellknown
from foci_bot.engine.dns import Dns
from foci_bot.engine.e2e import verify_transports
from foci_bot.engine.federation import check_federation
from foci_bot.engine.http import HttpClient
from foci_bot.engine.slots import ON_PARK, PRIORITY, Slots
from foci_bot.model import (
    TRANSPORTS_UNSTABLE,
    Fetch,
    FetchError,
    Focus,
    Observations,
    ProbeResult,
    ServerName,
    ServerReport,
)
from foci_bot.servername import TargetError, parse_server_name

WELLKNOWN_CAP = 64 * 1024
PROBE_CAP = 16 * 1024
SERVERS_PER_REQUEST = 4  # servers in flight per request slot (see Checker.__init__)


@dataclass(frozen=True, slots=True)
class CheckOptions:
    deadline: float = 20.0  # seconds per server
    cache_ttl: float = 0.0  # seconds a server's report is reused; 0 = only within one run
    concurrency: int = 64  # servers checked at once


class Checker:
    """Checks servers through one HttpClient, sharing probes and caching reports."""

    def __init__(
        self,
        http: HttpClient,
        options: CheckOptions | None = None,
        tokens: Mapping[str, str] | None = None,
        homeservers: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.options = options or CheckOptions()
        # Our own homeserver: its access token, and the client API URL the operator configured.
        # The token is only ever sent there, never to a URL a well-known chose.
        self._tokens = {_normal(k): v for k, v in (tokens or {}).items()}
        self._homeservers = {_normal(k): v.rstrip("/") for k, v in (homeservers or {}).items()}
        self._probes: dict[str, tuple[float, asyncio.Task[ProbeResult]]] = {}
        self._reports: dict[str, tuple[float, asyncio.Task[ServerReport]]] = {}
        # A server spends most of its time waiting for answers along its chain, and its requests
        # are bounded by the HttpClient's own slots (served oldest server first), so more servers
        # than requests are in flight. A server waiting on a request that got no answer for a
        # while (a dead host) stops holding a slot the rest need: its parked request parks it.
        servers = SERVERS_PER_REQUEST * self.options.concurrency
        self._servers = Slots(servers, park_after=None, max_parked=servers)
        self._started = itertools.count(1)
        self._next_expiry = 0.0  # when stale reports and probes are next swept out
        self._active = 0  # checks in flight; without a cache, probes are dropped when it reaches 0
        self._dns = Dns(http.options.dns_server, http.options.timeout)

    def uncached(self) -> Checker:
        """The same checker (HTTP client, own-server token) without a report cache, for watch
        checks that must be fresh; it still joins a check of the same server already in flight."""
        return Checker(self.http, replace(self.options, cache_ttl=0.0), self._tokens, self._homeservers)

    async def check_many(self, servers: Iterable[ServerName], fresh: bool = False) -> list[ServerReport]:
        return list(await asyncio.gather(*(self.check(s, fresh=fresh) for s in servers)))

    def cached(self, server: ServerName) -> ServerReport | None:
        """A fresh finished report for the server, without doing any work."""
        entry = self._reports.get(str(server))
        fresh = entry is not None and time.monotonic() - entry[0] <= self.options.cache_ttl
        if entry and fresh and entry[1].done() and not entry[1].cancelled() and entry[1].exception() is None:
            return entry[1].result()
        return None

    async def check(self, server: ServerName, fresh: bool = False) -> ServerReport:
        """The report for one server: from the cache, from a check in flight, or fresh.
        ``fresh`` skips a finished cached report (``!foci verify``), but joins one in flight."""
        key = str(server)
        now = time.monotonic()
        entry = self._reports.get(key)
        cached = entry is not None and not fresh and now - entry[0] <= self.options.cache_ttl
        if entry is not None and (not entry[1].done() or cached):
            return await asyncio.shield(entry[1])
        task = asyncio.ensure_future(self._check(server))
        self._reports[key] = (now, task)
        if now >= self._next_expiry:  # a sweep per check would be quadratic in a large room
            self._next_expiry = now + 1.0
            self._expire(now)
        return await asyncio.shield(task)

    @property
    def _probe_ttl(self) -> float:
        """Probes are kept for the cache lifetime (the bot) or, without a cache, for the whole run:
        until no check is in flight (see ``_check``), not only while the probe itself is."""
        return self.options.cache_ttl if self.options.cache_ttl > 0 else math.inf

    def _expire(self, now: float) -> None:
        for table, ttl in ((self._reports, self.options.cache_ttl), (self._probes, self._probe_ttl)):
            stale = [k for k, (at, t) in table.items() if t.done() and now - at > ttl]
            for k in stale:
                del table[k]

    async def _check(self, server: ServerName) -> ServerReport:
        self._active += 1
        try:
            return await self._check_in_slot(server)
        finally:
            self._active -= 1
            if self._active == 0 and self.options.cache_ttl <= 0:
                # The run is over (a CLI run, or one round of watch checks): the next starts afresh.
                self._probes = {url: e for url, e in self._probes.items() if not e[1].done()}

    async def _check_in_slot(self, server: ServerName) -> ServerReport:
        # This task's requests (and the probes it starts) queue behind those of earlier servers.
        PRIORITY.set(next(self._started))
        async with self._servers.hold() as held:
            ON_PARK.set(held.park)
            started = time.monotonic()
            state = _Progress(server)
            try:
                async with asyncio.timeout(self.options.deadline):
                    await asyncio.gather(self._observe(server, state), self._federation(server, state))
            except TimeoutError:
                state.deadline_hit = True
            report = analyse(state.observations())
            facts = dict(report.facts)
            facts["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
            return _with_facts(report, facts)

    async def _observe(self, server: ServerName, state: _Progress) -> None:
        host = server.host_for_url
        # Asked as a browser asks it (with an Origin), so CORS is judged on every hop.
        state.wellknown = await self.http.fetch(
            f"https://{host}/.well-known/matrix/client",
            body_cap=WELLKNOWN_CAP,
            https_only=True,
            headers={"Origin": PROBE_ORIGIN},
        )
        wk = read_wellknown(state.wellknown)
        base = wk.base_url
        if base is None:
            base, state.base_url_assumed = f"https://{server}", True
        by_key, _ = wellknown_foci(wk.content)
        known_foci: list[Focus] = [f for foci in by_key.values() for f in foci]
        jobs: list[Awaitable[None]] = [self._transports(base, server, state)]
        jobs += [self._probe_into(url, state) for url in probe_targets(known_foci)]
        if wk.base_url is not None:
            jobs.append(self._store(self.http.fetch(f"{base}/_matrix/client/versions"), state, "versions"))
        if wk.content is None and not server.is_ipv6 and not server.host[0].isdigit():
            url = f"https://matrix.{server.host}/.well-known/matrix/client"
            jobs.append(
                self._store(
                    self.http.fetch(url, body_cap=WELLKNOWN_CAP, https_only=True), state, "other_host"
                )
            )
        await asyncio.gather(*jobs)

    async def _transports(self, base: str, server: ServerName, state: _Progress) -> None:
        configured = self._homeservers.get(str(server))
        token = self._tokens.get(str(server)) if configured else None
        base = configured or base
        headers = {"Origin": PROBE_ORIGIN}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        state.authenticated = token is not None
        # Only this read, at the URL the operator configured, may reach a private address.
        own = configured is not None
        # Browsers send the user's token, so they preflight first (and never through a redirect).
        preflight_headers = {
            "Origin": PROBE_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        }
        url = base + TRANSPORTS_UNSTABLE
        answer, preflight = await asyncio.gather(
            self.http.fetch(url, headers=headers, own_server=own),
            self.http.fetch(
                url,
                method="OPTIONS",
                headers=preflight_headers,
                follow_redirects=False,
                body_cap=PROBE_CAP,
                own_server=own,
            ),
        )
        state.transports_unstable, state.transports_preflight = answer, preflight
        listed, foci, _, _ = classify(answer, TRANSPORTS_UNSTABLE)
        jobs: list[Awaitable[None]] = []
        if listed == LISTED:
            jobs += [self._probe_into(url, state) for url in probe_targets(foci)]
        if token and configured:
            urls = [f.livekit_service_url for f in foci if f.usable and listed == LISTED]
            jobs.append(
                self._e2e(configured, token, str(server), [u for u in dict.fromkeys(urls) if u], state)
            )
        await asyncio.gather(*jobs)

    async def _e2e(self, homeserver: str, token: str, server: str, urls: list[str], state: _Progress) -> None:
        state.e2e = await verify_transports(self.http, homeserver, token, server, urls)

    async def _federation(self, server: ServerName, state: _Progress) -> None:
        state.federation = await check_federation(self.http, self._dns, server)

    async def _store(self, fetch: Awaitable[Fetch], state: _Progress, name: str) -> None:
        setattr(state, name, await fetch)

    async def _probe_into(self, url: str, state: _Progress) -> None:
        state.probes[url] = await self.probe(url)

    async def probe(self, url: str) -> ProbeResult:
        """The four credential-free probes of one lk-jwt-service base URL, once per URL."""
        entry = self._probes.get(url)
        if entry is None or (entry[1].done() and time.monotonic() - entry[0] > self._probe_ttl):
            entry = (time.monotonic(), asyncio.ensure_future(self._probe(url)))
            self._probes[url] = entry
        return await asyncio.shield(entry[1])

    async def _probe(self, url: str) -> ProbeResult:
        """What the browser's requests meet: `url + route` as a string, no redirect followed."""
        origin = {"Origin": PROBE_ORIGIN}
        post = {**origin, "Content-Type": "application/json"}
        preflight_headers = {
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }

        def ask(
            route: str, method: str = "GET", headers: Mapping[str, str] = origin, data: bytes | None = None
        ) -> Awaitable[Fetch]:
            return self.http.fetch(
                url + route,
                method=method,
                headers=headers,
                data=data,
                body_cap=PROBE_CAP,
                follow_redirects=False,
            )

        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}/"
        preflight, sfu_get, get_token, healthz, site = await asyncio.gather(
            ask("/sfu/get", "OPTIONS", preflight_headers),
            ask("/sfu/get", "POST", post, b"{}"),
            ask("/get_token", "POST", post, b"{}"),
            ask("/healthz"),
            self.http.fetch(root, body_cap=PROBE_CAP, follow_redirects=False),
        )
        return ProbeResult(
            url=url, preflight=preflight, sfu_get=sfu_get, get_token=get_token, healthz=healthz, root=site
        )


def _normal(name: str) -> str:
    """The server name as reports spell it, so lookups match whatever case the config used."""
    try:
        return str(parse_server_name(name))
    except TargetError:
        return name


class _Progress:
    """What has arrived so far for one server, so a deadline still yields a partial report."""

    def __init__(self, server: ServerName) -> None:
        self.server = server
        self.wellknown: Fetch | None = None
        self.versions: Fetch | None = None
        self.transports_unstable: Fetch | None = None
        self.transports_preflight: Fetch | None = None
        self.other_host: Fetch | None = None
        self.probes: dict[str, ProbeResult] = {}
        self.base_url_assumed = False
        self.deadline_hit = False
        self.authenticated = False
        self.federation: Federation | None = None
        self.e2e: tuple[E2eStep, ...] | None = None

    def observations(self) -> Observations:
        wellknown = self.wellknown or Fetch(
            url=f"https://{self.server.host_for_url}/.well-known/matrix/client",
            error=FetchError.TIMEOUT,
            detail="no answer before the server's deadline",
        )
        return Observations(
            server=self.server,
            wellknown=wellknown,
            versions=self.versions,
            transports_unstable=self.transports_unstable,
            transports_preflight=self.transports_preflight,
            probes=dict(self.probes),
            other_host_wellknown=self.other_host,
            base_url_assumed=self.base_url_assumed,
            deadline_hit=self.deadline_hit,
            transports_authenticated=self.authenticated,
            federation=self.federation,
            e2e=self.e2e,
        )


def _with_facts(report: ServerReport, facts: dict[str, object]) -> ServerReport:
    from dataclasses import replace

    return replace(report, facts=facts)
