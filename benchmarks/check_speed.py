"""How long ``check`` takes for N servers with injected latency, against the sequential sum.

    python -m benchmarks.check_speed [--latency 0.1] [--sizes 1,10,50,500]

Each fake server answers every request after ``latency`` seconds, on loopback. A Synapse-like
server needs a well-known, then versions and the transports endpoint (and its preflight) on its own
host, and the probes of its focus on another host. Requests to one host share one keep-alive connection, one
after the other, so one server takes a few round trips, not the sum of its requests.

CPU per server is this process's CPU time (the fleet runs in another process) for checking and
for building the JSON output. TLS handshakes are counted by the fleet, per distinct host.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from benchmarks.fleet import fleet_hosts, fleet_rules, start_fleet
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.gc_tuning import tune_gc
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import ServerName, ServerReport
from foci_bot.render.server import check_json
from foci_bot.text import json_text


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


async def run(
    count: int, port: int, cacert: str, dns_port: int, federation_port: int
) -> tuple[float, float, list[ServerReport]]:
    options = HttpOptions(
        allow_private=True,
        cacert=cacert,
        connect_to=fleet_rules(port, federation_port),
        dns_server=("127.0.0.1", dns_port),
        concurrency=128,
    )
    servers = [ServerName(f"hs{i}.fleet.test") for i in range(count)]
    async with HttpClient(options) as http:
        checker = Checker(http, CheckOptions(deadline=30, concurrency=128))
        cpu, wall = time.process_time(), time.perf_counter()
        reports = await checker.check_many(servers)
        json_text(check_json(reports))  # what `foci-bot check --json` prints
        return time.perf_counter() - wall, time.process_time() - cpu, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--sizes", default="1,10,50,500")
    parser.add_argument(
        "--federation-port", type=int, choices=(8448, 443), default=8448,
        help="where each server delegates federation: 8448 (a second TLS endpoint) or 443 (its client host)",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    tune_gc()  # as the CLI and the bot do
    fleet = start_fleet(fleet_hosts(max(sizes), federation_port=args.federation_port), args.latency)
    try:
        print(f"latency per request: {args.latency * 1000:.0f} ms; federation on port {args.federation_port}")
        print(
            f"{'servers':>8} {'wall ms':>9} {'sequential ms':>14} {'speed-up':>9} {'CPU ms/server':>14} "
            f"{'TLS/host':>9} {'requests':>9} {'statuses'}"
        )
        fleet.counts()
        for count in sizes:
            wall, cpu, reports = asyncio.run(
                run(count, fleet.port, fleet.cacert, fleet.dns_port, fleet.federation_port)
            )
            counts = fleet.counts()
            seq = sequential_ms(reports)
            statuses = sorted({r.status for r in reports})
            print(
                f"{count:>8} {wall * 1000:>9.0f} {seq:>14.0f} {seq / (wall * 1000):>8.1f}x {cpu * 1000 / count:>14.2f} "
                f"{counts.per_host:>9.2f} {sum(counts.requests.values()):>9} {','.join(statuses)}"
            )
    finally:
        fleet.stop()


if __name__ == "__main__":
    main()
