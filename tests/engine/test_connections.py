"""How requests are made and shared: one connection per host, probes once per run, dead hosts
recognised once and never holding back the living. Real local HTTPS servers, counted server side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme

from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import SERVERS_PER_REQUEST, Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.slots import PRIORITY, Slots
from foci_bot.model import FetchError, ServerReport
from foci_bot.servername import parse_target
from tests.support.fakeservers import FakeWeb, documented_server, expand

Factory = Callable[[dict[str, Any]], FakeWeb]
FOCUS = "https://rtc.shared.test/livekit/jwt"


def _options(web: FakeWeb, ca: Path, *extra: ConnectTo, **kwargs: Any) -> HttpOptions:
    rules = tuple(ConnectTo.parse(f"{host}:443:127.0.0.1:{web.port}") for host in web.routes)
    return HttpOptions(connect_to=(*extra, *rules), cacert=str(ca), allow_private=True, **kwargs)


def _fleet(names: list[str]) -> dict[str, Any]:
    hosts: dict[str, Any] = {name: documented_server(name, FOCUS) for name in names}
    hosts["rtc.shared.test"] = {"preset:lk-jwt": {}}
    return hosts


def test_one_handshake_per_host_and_probes_once_per_run(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """Each server's chain rides one connection; the shared focus is probed once per run although
    the later servers start after its probe finished (one request slot: four server slots)."""
    names = [f"hs{i}.test" for i in range(3 * SERVERS_PER_REQUEST)]
    web = fake_web(expand(_fleet(names)))

    async def go() -> list[ServerReport]:
        async with HttpClient(_options(web, test_ca[1], timeout=5)) as http:
            checker = Checker(http, CheckOptions(deadline=10, concurrency=1))
            return await checker.check_many([parse_target(name) for name in names])

    reports = asyncio.run(go())
    assert [dict(r.probes) for r in reports] == [{FOCUS: "healthy"}] * len(names)
    assert web.handshakes == {name: 1 for name in [*names, "rtc.shared.test"]}
    assert len(web.requests_for("hs0.test")) >= 3  # well-known, versions, transports: one connection
    probes = [(s.method, s.path) for s in web.requests_for("rtc.shared.test")]
    assert len(probes) == len(set(probes)) >= 4  # every probe request once, for all the servers


def test_without_a_cache_the_next_run_probes_afresh(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """A checker without a report cache (watch mode's) keeps probes for one run only: checks that
    follow each other see the focus as it is now."""
    web = fake_web(expand(_fleet(["a.test", "b.test"])))

    async def go() -> None:
        async with HttpClient(_options(web, test_ca[1], timeout=5)) as http:
            checker = Checker(http, CheckOptions(deadline=10, cache_ttl=0))
            await checker.check(parse_target("a.test"))
            await checker.check(parse_target("b.test"))

    asyncio.run(go())
    healthz = [s for s in web.requests_for("rtc.shared.test") if s.path.endswith("/healthz")]
    assert len(healthz) == 2


def test_host_that_never_connects_is_waited_for_once(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], silent_port: int
) -> None:
    """After a connection to a host timed out, the next request to it fails at once, the same way."""
    web = fake_web(expand({"up.test": {"/x": {"json": {}}}}))
    dead = ConnectTo.parse(f"down.test:443:127.0.0.1:{silent_port}")

    async def go() -> list[tuple[FetchError | None, float]]:
        async with HttpClient(_options(web, test_ca[1], dead, timeout=0.5)) as http:
            out = []
            for url in ("https://down.test/a", "https://down.test/b", "https://up.test/x"):
                fetch = await http.fetch(url)
                out.append((fetch.error, fetch.elapsed_ms))
            return out

    (first, first_ms), (second, second_ms), (up, _) = asyncio.run(go())
    assert first == second == FetchError.TIMEOUT
    assert first_ms >= 450 and second_ms < 100
    assert up is None


def test_host_that_connects_but_hangs_one_path_is_still_asked_the_others(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """Only a failed connection marks a host down: a path that hangs says nothing about the others,
    so verdicts stay what a fresh request would give."""
    web = fake_web(expand({"half.test": {"/hang": {"behaviour": "hang"}, "/ok": {"json": {}}}}))

    async def go() -> tuple[FetchError | None, int | None]:
        async with HttpClient(_options(web, test_ca[1], timeout=0.5)) as http:
            hung = await http.fetch("https://half.test/hang")
            return hung.error, (await http.fetch("https://half.test/ok")).status

    assert asyncio.run(go()) == (FetchError.TIMEOUT, 200)


def test_dead_servers_do_not_hold_back_the_living(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], silent_port: int
) -> None:
    """Every server slot taken by a dead server, checked first: the live ones still finish long
    before a request timeout, because a server waiting on a silent host stops holding its slot."""
    names = ["live0.test", "live1.test"]
    web = fake_web(expand(_fleet(names)))
    slots = SERVERS_PER_REQUEST  # with concurrency 1
    dead = [f"dead{i}.test" for i in range(slots)]
    rules = [ConnectTo.parse(f"{host}:443:127.0.0.1:{silent_port}") for host in dead]
    # Their `matrix.` hosts (looked at when a well-known fails) stay on loopback and fail fast.
    rules += [ConnectTo.parse(f"matrix.{host}:443:127.0.0.1:{web.port}") for host in dead]
    finished: dict[str, float] = {}

    async def go() -> None:
        async with HttpClient(_options(web, test_ca[1], *rules, timeout=4)) as http:
            checker = Checker(http, CheckOptions(deadline=10, concurrency=1))
            started = time.monotonic()

            async def one(name: str) -> None:
                await checker.check(parse_target(name))
                finished[name] = time.monotonic() - started

            await asyncio.gather(*(one(n) for n in [*dead, *names]))

    asyncio.run(go())
    assert max(finished[name] for name in names) < 3.5
    assert min(finished[name] for name in dead) >= 4


def test_slots_serve_earlier_work_first_and_park_what_waits() -> None:
    """Waiters are served by priority, not arrival; a holder past park_after frees its slot."""
    order: list[int] = []

    async def go() -> None:
        slots = Slots(1, park_after=0.2, max_parked=1)
        release = asyncio.Event()

        async def holder() -> None:
            async with slots.hold():
                await release.wait()

        async def worker(priority: int) -> None:
            PRIORITY.set(priority)
            async with slots.hold():
                order.append(priority)

        first = asyncio.ensure_future(holder())
        await asyncio.sleep(0)
        waiters = [asyncio.ensure_future(worker(p)) for p in (3, 1, 2)]
        # The holder parks after 0.2 s, so the waiters run in priority order while it still holds.
        async with asyncio.timeout(5):
            await asyncio.gather(*waiters)
        assert not first.done()
        release.set()
        await first

    asyncio.run(go())
    assert order == [1, 2, 3]


def test_stalled_means_no_connection_not_a_slow_answer(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], silent_port: int
) -> None:
    """A host whose connection has been tried for a while is stalled; a host that connected and is
    slow to answer is not, however long it takes; neither is a host nobody is asking."""
    web = fake_web(expand({"slow.test": {"/hang": {"behaviour": "hang"}}}))
    dead = ConnectTo.parse(f"down.test:443:127.0.0.1:{silent_port}")

    async def go() -> tuple[bool, bool, bool, bool]:
        async with HttpClient(_options(web, test_ca[1], dead, timeout=3)) as http:
            asks = [
                asyncio.ensure_future(http.fetch(f"https://{h}/hang")) for h in ("down.test", "slow.test")
            ]
            await asyncio.sleep(0.1)  # both requests are under way
            early = http.stalled("https://down.test/", 0.5)
            deadline = time.monotonic() + 2.5
            # A condition with a deadline: stalled() turns true by itself once 0.5 s have passed.
            while not http.stalled("https://down.test/", 0.5) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            later = http.stalled("https://down.test/", 0.5), http.stalled("https://slow.test/", 0.5)
            idle = http.stalled("https://idle.test/", 0.0)
            for ask in asks:
                ask.cancel()
            return early, *later, idle

    assert asyncio.run(go()) == (False, True, False, False)
