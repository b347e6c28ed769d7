"""The floor under foci-bot's CPU per server: the same requests through bare aiohttp.

    python -m benchmarks.http_floor [--servers 500] [--rounds 5] [--latency 0.1]

For each of ``servers`` fleet servers (``benchmarks/fleet.py``) it makes, with nothing else, the
requests ``foci-bot check`` makes for a Synapse-like server: on port 443 the client well-known,
``/versions``, the transports endpoint and its preflight, the server well-known, one after the
other on one keep-alive connection; on port 8448 (or 443: ``--federation-port``) the federation
OpenID request; and once per
shared focus URL its five probes. Then it runs foci-bot's own check of the same servers (JSON
output included). Rounds alternate the two in one process, and the medians are reported, since
CPU time on a shared virtual machine varies by tens of percent from run to run.

The difference between the two columns is what foci-bot's own code costs; the floor is what the
HTTP stack (asyncio, aiohttp, OpenSSL) costs for the same work on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import statistics
import time
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from benchmarks.check_speed import run as foci_run
from benchmarks.fleet import Fleet, fleet_hosts, start_fleet
from foci_bot.engine.gc_tuning import tune_gc

TRANSPORTS = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"
USERINFO = "/_matrix/federation/v1/openid/userinfo?access_token=x"


class _FleetResolver(AbstractResolver):
    """Every name to the fleet: port 443 to its client listener, 8448 to its federation one."""

    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        to = self._fleet.port if port == 443 else self._fleet.federation_port
        return [
            ResolveResult(hostname=host, host="127.0.0.1", port=to, family=socket.AF_INET, proto=0, flags=0)
        ]

    async def close(self) -> None:
        return None


async def bare(fleet: Fleet, count: int, federation_port: int, shared_foci: int = 10) -> float:
    """CPU seconds for the bare requests of ``count`` servers."""
    context = ssl.create_default_context()
    context.load_verify_locations(fleet.cacert)
    connector = aiohttp.TCPConnector(
        ssl=context, resolver=_FleetResolver(fleet), limit=128, keepalive_timeout=2
    )
    async with aiohttp.ClientSession(connector=connector) as session:

        async def ask(url: str, method: str = "GET", **kwargs: Any) -> None:
            async with session.request(method, url, allow_redirects=False, **kwargs) as response:
                await response.read()

        async def server(i: int) -> None:
            base = f"https://hs{i}.fleet.test"
            await ask(f"{base}/.well-known/matrix/client", headers={"Origin": "https://app.test"})
            await ask(f"{base}/_matrix/client/versions")
            await ask(f"{base}{TRANSPORTS}", headers={"Origin": "https://app.test"})
            await ask(f"{base}{TRANSPORTS}", "OPTIONS", headers={"Origin": "https://app.test"})
            await ask(f"{base}/.well-known/matrix/server")
            await ask(f"https://hs{i}.fleet.test:{federation_port}{USERINFO}")

        async def focus(n: int) -> None:
            url = f"https://rtc{n}.fleet.test/livekit/jwt"
            await ask(f"{url}/sfu/get", "OPTIONS")
            await ask(f"{url}/sfu/get", "POST", data=b"{}")
            await ask(f"{url}/get_token", "POST", data=b"{}")
            await ask(f"{url}/healthz")
            await ask(f"https://rtc{n}.fleet.test/")

        cpu = time.process_time()
        await asyncio.gather(*(server(i) for i in range(count)), *(focus(n) for n in range(shared_foci)))
        return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--federation-port", type=int, choices=(8448, 443), default=8448)
    args = parser.parse_args()
    count, rounds = min(args.servers, 5000), max(1, min(args.rounds, 20))
    tune_gc()
    fleet = start_fleet(fleet_hosts(count, federation_port=args.federation_port), args.latency)
    floor: list[float] = []
    ours: list[float] = []
    try:
        for _ in range(rounds):
            floor.append(asyncio.run(bare(fleet, count, args.federation_port)) * 1000 / count)
            _, cpu, _ = asyncio.run(
                foci_run(count, fleet.port, fleet.cacert, fleet.dns_port, fleet.federation_port)
            )
            ours.append(cpu * 1000 / count)
    finally:
        fleet.stop()
    print(
        f"{count} servers, {rounds} rounds, latency {args.latency * 1000:.0f} ms, federation on port "
        f"{args.federation_port}; CPU ms per server:"
    )
    print(f"  bare aiohttp, same requests: median {statistics.median(floor):.2f}  ({_spread(floor)})")
    print(f"  foci-bot check + JSON:       median {statistics.median(ours):.2f}  ({_spread(ours)})")


def _spread(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
