"""A fleet of fake homeservers and lk-jwt-services with injected latency, in a child process.

Used by the benchmarks so that the server's CPU time is not counted as foci-bot's. The fleet counts
what it sees, server side: TLS handshakes per host name (through the server's SNI callback, which
runs once per handshake) and requests per host.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

from foci_bot.addrguard import ConnectTo
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, Route, expand, misbehave, respond

FOCUS_KEY = "org.matrix.msc4143.rtc_foci"


def fleet_hosts(
    count: int, *, dead_every: int = 0, shared_foci: int = 10, federation_port: int = 8448
) -> dict[str, dict[str, Any]]:
    """``count`` Synapse-like servers (well-known + 401 endpoint) sharing ``shared_foci`` focus URLs.

    Every ``dead_every``-th server (if set) hangs on its well-known; see :func:`dead_servers` to make
    those hosts unreachable instead. Each server's well-known delegates federation to its own name at
    ``federation_port``: 8448, a second TLS endpoint per server, or 443, the port its client API
    is on (a reverse proxy serving both, as many deployments do).
    """
    hosts: dict[str, dict[str, Any]] = {}
    for n in range(shared_foci):
        hosts[f"rtc{n}.fleet.test"] = {"preset:lk-jwt": {}}
    for i in range(count):
        name = f"hs{i}.fleet.test"
        # Federation delegated with an explicit port, as many servers do: no SRV lookup needed.
        server_wellknown = {"json": {"m.server": f"{name}:{federation_port}"}}
        if dead_every and i % dead_every == dead_every - 1:
            hosts[name] = {
                "/.well-known/matrix/client": {"behaviour": "hang"},
                "/.well-known/matrix/server": server_wellknown,
            }
            continue
        focus = [
            {"type": "livekit", "livekit_service_url": f"https://rtc{i % shared_foci}.fleet.test/livekit/jwt"}
        ]
        hosts[name] = {
            "/.well-known/matrix/client": {
                "json": {"m.homeserver": {"base_url": f"https://{name}"}, FOCUS_KEY: focus},
                "headers": {"Access-Control-Allow-Origin": "*"},
            },
            "/.well-known/matrix/server": server_wellknown,
            "preset:homeserver": {},
        }
    return hosts


class _Counts:
    """Handshakes and requests per host, written by the server thread, read on request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.handshakes: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()

    def handshake(self, name: str | None, port: int) -> None:
        with self.lock:
            self.handshakes[f"{name or '(no SNI)'}:{port}"] += 1

    def request(self, host: str) -> None:
        with self.lock:
            self.requests[host] += 1

    def take(self) -> FleetCounts:
        with self.lock:
            counts = FleetCounts(dict(self.handshakes), dict(self.requests))
            self.handshakes.clear()
            self.requests.clear()
        return counts


@dataclass(frozen=True)
class FleetCounts:
    handshakes: dict[str, int]
    requests: dict[str, int]

    @property
    def per_host(self) -> float:
        """TLS handshakes per distinct host and port (443, or 8448 for federation) contacted."""
        return sum(self.handshakes.values()) / max(1, len(self.handshakes))

    @property
    def most(self) -> tuple[str, int]:
        return max(self.handshakes.items(), key=lambda kv: kv[1], default=("-", 0))


class _CountingWeb(FakeWeb):
    counts: _Counts
    public_port: int  # the port the clients think they reach: 443, or 8448 for federation

    async def _serve(self, sock: Any, context: ssl.SSLContext) -> None:
        def count(_sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
            self.counts.handshake(name, self.public_port)

        context.sni_callback = count
        await super()._serve(sock, context)


def fleet_rules(port: int, federation_port: int) -> tuple[ConnectTo, ...]:
    """Every host's client port 443 and federation port 8448 to the fleet (whose hosts all federate)."""
    return (
        ConnectTo.parse(f":443:127.0.0.1:{port}"),
        ConnectTo.parse(f":8448:127.0.0.1:{federation_port}"),
    )


def dead_servers(count: int, dead_every: int) -> list[str]:
    return [f"hs{i}.fleet.test" for i in range(count) if dead_every and i % dead_every == dead_every - 1]


def _delayed(
    routes: Mapping[str, Mapping[str, Route]], latency: float, counts: _Counts
) -> dict[str, dict[str, Route]]:
    def wrap(spec: Route, host: str) -> Route:
        async def handler(request: web.Request) -> web.StreamResponse:
            counts.request(host)
            await asyncio.sleep(latency)
            if callable(spec):
                return await spec(request)
            if "behaviour" in spec:
                return await misbehave(request, spec)
            return respond(spec, request)

        return handler

    return {host: {key: wrap(spec, host) for key, spec in table.items()} for host, table in routes.items()}


def _serve(hosts: dict[str, dict[str, Any]], latency: float, ca_dir: str, conn: Connection) -> None:
    ca = trustme.CA()
    pem = Path(ca_dir) / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    counts = _Counts()
    routes = _delayed(expand(hosts), latency, counts)
    # One server for port 443 and one for 8448, so handshakes are counted per host and port.
    fake, federation = (_CountingWeb(ca, names=["*.fleet.test"], routes=routes) for _ in range(2))
    for web_, public in ((fake, 443), (federation, 8448)):
        web_.counts, web_.public_port = counts, public
        web_.start()
    # A host that is down: the kernel completes TCP (the backlog) but nothing ever answers TLS.
    down = socket.socket()
    down.bind(("127.0.0.1", 0))
    down.listen(4096)
    # A DNS server that knows no name: the federation check's lookups stay on loopback and fail fast.
    dns = LoopbackDns().start()
    conn.send((fake.port, federation.port, down.getsockname()[1], dns.port, str(pem)))
    while conn.recv() == "counts":
        conn.send(counts.take())
    dns.stop()
    down.close()
    federation.stop()
    fake.stop()


@dataclass
class Fleet:
    """The running child process and how to reach it."""

    port: int
    federation_port: int  # where port 8448 is routed
    down_port: int  # a port that accepts TCP and never answers: route dead hosts here
    dns_port: int  # a DNS server on 127.0.0.1 that answers NXDOMAIN to everything
    cacert: str
    _process: multiprocessing.process.BaseProcess
    _conn: Connection

    def counts(self) -> FleetCounts:
        """What the fleet saw since the last call (or its start)."""
        self._conn.send("counts")
        counts: FleetCounts = self._conn.recv()
        return counts

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()


def start_fleet(hosts: dict[str, dict[str, Any]], latency: float) -> Fleet:
    ca_dir = tempfile.mkdtemp(prefix="foci-bench-")
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_serve, args=(hosts, latency, ca_dir, child), daemon=True
    )
    process.start()
    port, federation_port, down_port, dns_port, cacert = parent.recv()
    return Fleet(port, federation_port, down_port, dns_port, cacert, process, parent)
