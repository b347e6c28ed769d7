"""The room check at scale: a room whose members come from N servers, some of them dead.

    python -m benchmarks.room_scale [--sizes 10,100,1000] [--latency 0.05] [--dead-every 10]
                                    [--deadline 20] [--timeout 5] [--concurrency 64]

The servers are fake homeservers and lk-jwt-services in a child process on loopback
(``benchmarks/fleet.py``), each answering after ``latency`` seconds; every ``dead-every``-th
server never answers its well-known. All traffic goes to 127.0.0.1 through one wildcard
connect-to rule. For each N it runs the whole room check (snapshot -> servers checked under one
deadline -> analysis -> chat message) in a fresh process and reports, from that one run:

- wall time, and wall time against the limit: the request timeout plus the slowest live chain
  (one live server checked alone, before the run);
- CPU milliseconds per server (this process only; the fleet is another process), output included;
- peak resident memory of the process (``ru_maxrss``);
- TLS handshakes per distinct host, counted by the fleet (server side);
- misjudged servers: a report whose status, room verdict or finding codes differ from those of a
  server of the same kind (live or dead) checked alone, including live servers cut short;
- how long a second, cached room check takes to build its reply.

It exits non-zero when a room check overruns the deadline. Sizes are capped at 5,000.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from foci_bot.addrguard import ConnectTo
from foci_bot.bot.reply import notice
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.gc_tuning import tune_gc
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.roomcheck import room_check
from foci_bot.model import ServerName, ServerReport
from foci_bot.render.room import content_bytes, room_sections, summary_line
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from foci_bot.room.verdict import server_verdict

MAX_SIZE = 5000
MEMBERS_PER_SERVER = 3
Judgement = tuple[str, str, tuple[str, ...]]  # status, room verdict, finding codes


def snapshot(count: int) -> RoomSnapshot:
    """A room with MEMBERS_PER_SERVER joined members on each of ``count`` fleet servers."""
    state = [StateEvent("m.room.create", "", "@admin:hs0.fleet.test", {"room_version": "12"})]
    for i in range(count):
        for m in range(MEMBERS_PER_SERVER):
            user = f"@u{m}:hs{i}.fleet.test"
            state.append(StateEvent("m.room.member", user, user, {"membership": "join"}))
    return RoomSnapshot("!bench:hs0.fleet.test", tuple(state), now_ms=int(time.time() * 1000))


def judgement(report: ServerReport) -> Judgement:
    return report.status, server_verdict(report), tuple(sorted(f.code for f in report.findings))


@dataclass(frozen=True)
class Reference:
    """One live and one dead server checked alone: what every other server should look like."""

    live: Judgement
    dead: Judgement
    chain_s: float  # the live server's own time, its dependent chain


@dataclass(frozen=True)
class Row:
    servers: int
    wall: float
    cpu: float
    peak_mib: float
    misjudged: int
    cut_short: int
    cached: float
    message_bytes: int
    summary: str


def reference(http: HttpOptions, options: CheckOptions, dead_every: int) -> Reference:
    async def run() -> Reference:
        async with HttpClient(http) as client:
            checker = Checker(client, options)
            live = await checker.check(ServerName("hs0.fleet.test"))
            dead = live
            if dead_every:
                dead = await Checker(client, options).check(ServerName(f"hs{dead_every - 1}.fleet.test"))
            elapsed = float(live.facts.get("elapsed_ms", 0.0))  # type: ignore[arg-type]
            return Reference(judgement(live), judgement(dead), elapsed / 1000)

    return asyncio.run(run())


def _is_dead(server: str, dead_every: int) -> bool:
    index = int(server.split(".", 1)[0][2:])
    return bool(dead_every) and index % dead_every == dead_every - 1


async def _once(
    count: int, http: HttpOptions, options: CheckOptions, deadline: float, ref: Reference, dead_every: int
) -> tuple[float, float, float, int, int, int, str]:
    room = snapshot(count)
    async with HttpClient(http) as client:
        checker = Checker(client, options)
        cpu, wall = time.process_time(), time.perf_counter()
        report = await room_check(checker, room, deadline)
        size = content_bytes(room_sections(report))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        again = time.perf_counter()
        cached_report = await room_check(checker, room, deadline)  # within the cache lifetime
        notice(room_sections(cached_report))  # the message the bot sends
        cached = time.perf_counter() - again
    misjudged = cut = 0
    for group in report.verdict.groups:
        expected = ref.dead if _is_dead(group.server, dead_every) else ref.live
        if judgement(group.report) != expected:
            misjudged += 1
        cut += "check-deadline" in judgement(group.report)[2]
    return wall, cpu, cached, size, misjudged, cut, summary_line(report.verdict)


def measure(
    count: int, http: HttpOptions, options: CheckOptions, deadline: float, ref: Reference, dead_every: int
) -> Row:
    """One size in this (fresh) process, so that its peak memory is its own."""
    tune_gc()  # as the CLI and the bot do
    wall, cpu, cached, size, misjudged, cut, summary = asyncio.run(
        _once(count, http, options, deadline, ref, dead_every)
    )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Row(count, wall, cpu, peak_kib / 1024, misjudged, cut, cached, size, summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake request")
    parser.add_argument("--dead-every", type=int, default=10, help="every Nth server is dead (0: none)")
    parser.add_argument(
        "--dead-kind", choices=("hang", "down"), default="hang",
        help="hang: connects, its well-known never answers (other paths do); down: never completes TLS",
    )  # fmt: skip
    parser.add_argument("--deadline", type=float, default=20.0, help="seconds for the whole room check")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    sizes = [min(int(s), MAX_SIZE) for s in args.sizes.split(",")]
    # Imported here, not at the top: each size runs in a child process that imports this module,
    # and its peak memory should be foci-bot's, not the fleet's (aiohttp's server, trustme).
    from benchmarks.fleet import dead_servers, fleet_hosts, fleet_rules, start_fleet

    fleet = start_fleet(fleet_hosts(max(sizes), dead_every=args.dead_every), args.latency)
    down: tuple[ConnectTo, ...] = ()
    if args.dead_kind == "down":
        dead = dead_servers(max(sizes), args.dead_every)
        down = tuple(
            ConnectTo.parse(f"{host}:{port}:127.0.0.1:{fleet.down_port}")
            for host in dead
            for port in (443, 8448)
        )
    http = HttpOptions(
        timeout=args.timeout, concurrency=args.concurrency, allow_private=True, cacert=fleet.cacert,
        connect_to=(*down, *fleet_rules(fleet.port, fleet.federation_port)),
        dns_server=("127.0.0.1", fleet.dns_port),
    )  # fmt: skip
    options = CheckOptions(deadline=max(args.deadline * 0.5, args.deadline - 1), cache_ttl=300,
                           concurrency=args.concurrency)  # fmt: skip
    over = False
    try:
        ref = reference(http, options, args.dead_every)
        limit = args.timeout + ref.chain_s
        fleet.counts()
        print(f"latency {args.latency * 1000:.0f} ms/request, every {args.dead_every}th server dead ({args.dead_kind}), "
              f"deadline {args.deadline:g} s, timeout {args.timeout:g} s, concurrency {args.concurrency}; "
              f"a live server alone takes {ref.chain_s * 1000:.0f} ms, so the limit is {limit:.2f} s")  # fmt: skip
        print(f"{'servers':>7} {'wall s':>7} {'x limit':>7} {'CPU ms/srv':>10} {'peak RSS MiB':>12} "
              f"{'TLS/host':>8} {'misjudged':>9} {'cut short':>9} {'cached ms':>9} {'msg bytes':>9}")  # fmt: skip
        for count in sizes:
            # A fresh process per size: its peak RSS is that room check's alone.
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                row = pool.submit(measure, count, http, options, args.deadline, ref, args.dead_every).result()
            counts = fleet.counts()
            over |= row.wall > args.deadline + 0.5
            print(
                f"{row.servers:>7} {row.wall:>7.2f} {row.wall / limit:>7.2f} "
                f"{row.cpu * 1000 / row.servers:>10.2f} {row.peak_mib:>12.1f} {counts.per_host:>8.2f} "
                f"{row.misjudged:>9} {row.cut_short:>9} {row.cached * 1000:>9.1f} {row.message_bytes:>9}"
            )
            host, most = counts.most
            print(f"        {row.summary}; busiest host {host}: {most} handshakes")
    finally:
        fleet.stop()
    if over:
        print("a room check overran its deadline", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
