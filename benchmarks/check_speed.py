"""How long ``check`` takes for N servers with injected latency, against the sequential sum.

    python -m benchmarks.check_speed [--latency 0.1] [--sizes 1,10,50]

Each fake server answers every request after ``latency`` seconds, on loopback. A Synapse-like
server needs 9 requests (well-known, versions, the endpoint and its preflight, 5 probes), of which the
longest dependent chain is 2 (well-known, then the rest at once), so one server should take
about 2 x latency, not 9 x latency.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from benchmarks.fleet import fleet_hosts, start_fleet
from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import ServerName, ServerReport


def sequential_ms(reports: list[ServerReport]) -> float:
    """The sum of every request's own duration: what a one-at-a-time checker would spend.

    Shared probes are counted once. Durations include time queued for a connection slot, so
    at large N this overstates a little; the N=1 row has no queueing.
    """
    total = 0.0
    probed: set[str] = set()
    for report in reports:
        obs = report.facts
        for key in ("wellknown", "versions", "transports_unstable", "transports_preflight"):
            fetch = obs.get(key)
            if isinstance(fetch, dict):
                total += float(fetch["elapsed_ms"])
        probes = obs.get("probes")
        if isinstance(probes, dict):
            for url, probe in probes.items():
                if url not in probed:
                    probed.add(url)
                    total += sum(float(p["elapsed_ms"]) for p in probe.values() if isinstance(p, dict))
    return total


async def run(count: int, port: int, cacert: str) -> tuple[float, float, list[ServerReport]]:
    options = HttpOptions(
        allow_private=True,
        cacert=cacert,
        connect_to=(ConnectTo.parse(f":443:127.0.0.1:{port}"),),
        concurrency=128,
    )
    servers = [ServerName(f"hs{i}.fleet.test") for i in range(count)]
    async with HttpClient(options) as http:
        checker = Checker(http, CheckOptions(deadline=30, concurrency=128))
        cpu, wall = time.process_time(), time.perf_counter()
        reports = await checker.check_many(servers)
        return time.perf_counter() - wall, time.process_time() - cpu, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--sizes", default="1,10,50")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    fleet = start_fleet(fleet_hosts(max(sizes)), args.latency)
    try:
        print(f"latency per request: {args.latency * 1000:.0f} ms")
        print(
            f"{'servers':>8} {'wall ms':>9} {'sequential ms':>14} {'speed-up':>9} {'CPU ms/server':>14} {'statuses'}"
        )
        for count in sizes:
            wall, cpu, reports = asyncio.run(run(count, fleet.port, fleet.cacert))
            seq = sequential_ms(reports)
            statuses = sorted({r.status for r in reports})
            print(
                f"{count:>8} {wall * 1000:>9.0f} {seq:>14.0f} {seq / (wall * 1000):>8.1f}x {cpu * 1000 / count:>14.1f} {','.join(statuses)}"
            )
    finally:
        fleet.stop()


if __name__ == "__main__":
    main()
