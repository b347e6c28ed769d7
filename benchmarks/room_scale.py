"""The room check at scale: a room whose members come from N servers, some of them dead.

    python -m benchmarks.room_scale [--sizes 10,100,1000] [--latency 0.05] [--dead-every 10]
                                    [--deadline 20] [--timeout 5] [--concurrency 64]

The servers are fake homeservers and lk-jwt-services in a child process on loopback
(``benchmarks/fleet.py``), each answering after ``latency`` seconds; every ``dead-every``-th
server never answers its well-known. All traffic goes to 127.0.0.1 through one wildcard
connect-to rule. For each N it runs the whole room check (snapshot -> servers checked under one
deadline -> analysis -> chat message) and reports:

- wall time against the sequential sum (every request's own duration added up),
- servers per second, CPU milliseconds per server (this process only; the fleet is another
  process), peak traced Python memory (a second, traced run),
- how many servers timed out, and how long a second, cached room check takes.

It exits non-zero when a room check overruns the deadline. Sizes are capped at 5,000.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from dataclasses import dataclass

from benchmarks.check_speed import sequential_ms
from benchmarks.fleet import fleet_hosts, start_fleet
from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.roomcheck import room_check
from foci_bot.render.room import content_bytes, room_sections
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from foci_bot.room.verdict import deadline_hit

MAX_SIZE = 5000
MEMBERS_PER_SERVER = 3


def snapshot(count: int) -> RoomSnapshot:
    """A room with MEMBERS_PER_SERVER joined members on each of ``count`` fleet servers."""
    state = [StateEvent("m.room.create", "", "@admin:hs0.fleet.test", {"room_version": "12"})]
    for i in range(count):
        for m in range(MEMBERS_PER_SERVER):
            user = f"@u{m}:hs{i}.fleet.test"
            state.append(StateEvent("m.room.member", user, user, {"membership": "join"}))
    return RoomSnapshot("!bench:hs0.fleet.test", tuple(state), now_ms=int(time.time() * 1000))


@dataclass
class Row:
    servers: int
    wall: float
    sequential_ms: float
    cpu: float
    peak_mib: float
    cut_short: int
    cached: float
    message_bytes: int
    summary: str


async def _once(
    count: int, http: HttpOptions, options: CheckOptions, deadline: float
) -> tuple[float, float, float, object]:
    room = snapshot(count)
    async with HttpClient(http) as client:
        checker = Checker(client, options)
        cpu, wall = time.process_time(), time.perf_counter()
        report = await room_check(checker, room, deadline)
        sections = room_sections(report)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        again = time.perf_counter()
        await room_check(checker, room, deadline)  # within the cache lifetime
        cached = time.perf_counter() - again
        return wall, cpu, cached, (report, content_bytes(sections))


def measure(count: int, http: HttpOptions, options: CheckOptions, deadline: float) -> Row:
    wall, cpu, cached, result = asyncio.run(_once(count, http, options, deadline))
    report, size = result  # type: ignore[misc]
    tracemalloc.start()
    asyncio.run(_once(count, http, options, deadline))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    reports = [g.report for g in report.verdict.groups]
    from foci_bot.render.room import summary_line

    return Row(
        count, wall, sequential_ms(reports), cpu, peak / 2**20,
        sum(1 for r in reports if deadline_hit(r)), cached, size, summary_line(report.verdict),
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per fake request")
    parser.add_argument("--dead-every", type=int, default=10, help="every Nth server hangs (0: none)")
    parser.add_argument("--deadline", type=float, default=20.0, help="seconds for the whole room check")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    sizes = [min(int(s), MAX_SIZE) for s in args.sizes.split(",")]
    fleet = start_fleet(fleet_hosts(max(sizes), dead_every=args.dead_every), args.latency)
    http = HttpOptions(
        timeout=args.timeout, concurrency=args.concurrency, allow_private=True, cacert=fleet.cacert,
        connect_to=(ConnectTo.parse(f":443:127.0.0.1:{fleet.port}"),),
    )  # fmt: skip
    options = CheckOptions(deadline=max(args.deadline * 0.5, args.deadline - 1), cache_ttl=300,
                           concurrency=args.concurrency)  # fmt: skip
    over = False
    try:
        print(f"latency {args.latency * 1000:.0f} ms/request, every {args.dead_every}th server dead, "
              f"deadline {args.deadline:g} s, timeout {args.timeout:g} s, concurrency {args.concurrency}")  # fmt: skip
        print(f"{'servers':>7} {'wall s':>7} {'seq. sum s':>10} {'speed-up':>8} {'servers/s':>9} "
              f"{'CPU ms/srv':>10} {'peak MiB':>8} {'cut short':>9} {'cached ms':>9} {'msg bytes':>9}")  # fmt: skip
        for count in sizes:
            row = measure(count, http, options, args.deadline)
            over |= row.wall > args.deadline + 0.5
            print(
                f"{row.servers:>7} {row.wall:>7.2f} {row.sequential_ms / 1000:>10.1f} "
                f"{row.sequential_ms / 1000 / row.wall:>7.0f}x {row.servers / row.wall:>9.0f} "
                f"{row.cpu * 1000 / row.servers:>10.1f} {row.peak_mib:>8.1f} {row.cut_short:>9} "
                f"{row.cached * 1000:>9.1f} {row.message_bytes:>9}"
            )
            print(f"        {row.summary}")
    finally:
        fleet.stop()
    if over:
        print("a room check overran its deadline", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
