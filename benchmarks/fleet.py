"""A fleet of fake homeservers and lk-jwt-services with injected latency, in a child process.

Used by the benchmarks so that the server's CPU time is not counted as foci-bot's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

from tests.support.fakeservers import FakeWeb, Route, expand, misbehave, respond

FOCUS_KEY = "org.matrix.msc4143.rtc_foci"


def fleet_hosts(count: int, *, dead_every: int = 0, shared_foci: int = 10) -> dict[str, dict[str, Any]]:
    """``count`` Synapse-like servers (well-known + 401 endpoint) sharing ``shared_foci`` focus URLs.

    Every ``dead_every``-th server (if set) hangs on its well-known, like a dead host.
    """
    hosts: dict[str, dict[str, Any]] = {}
    for n in range(shared_foci):
        hosts[f"rtc{n}.fleet.test"] = {"preset:lk-jwt": {}}
    for i in range(count):
        name = f"hs{i}.fleet.test"
        if dead_every and i % dead_every == dead_every - 1:
            hosts[name] = {"/.well-known/matrix/client": {"behaviour": "hang"}}
            continue
        focus = [
            {"type": "livekit", "livekit_service_url": f"https://rtc{i % shared_foci}.fleet.test/livekit/jwt"}
        ]
        hosts[name] = {
            "/.well-known/matrix/client": {
                "json": {"m.homeserver": {"base_url": f"https://{name}"}, FOCUS_KEY: focus},
                "headers": {"Access-Control-Allow-Origin": "*"},
            },
            "preset:homeserver": {},
        }
    return hosts


def _delayed(routes: Mapping[str, Mapping[str, Route]], latency: float) -> dict[str, dict[str, Route]]:
    def wrap(spec: Route) -> Route:
        async def handler(request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(latency)
            if callable(spec):
                return await spec(request)
            if "behaviour" in spec:
                return await misbehave(request, spec)
            return respond(spec, request)

        return handler

    return {host: {key: wrap(spec) for key, spec in table.items()} for host, table in routes.items()}


def _serve(hosts: dict[str, dict[str, Any]], latency: float, ca_dir: str, conn: Connection) -> None:
    ca = trustme.CA()
    pem = Path(ca_dir) / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    routes = _delayed(expand(hosts), latency)
    fake = FakeWeb(ca, names=["*.fleet.test"], routes=routes).start()
    conn.send((fake.port, str(pem)))
    conn.recv()  # wait for "stop"
    fake.stop()


@dataclass
class Fleet:
    """The running child process and how to reach it."""

    port: int
    cacert: str
    _process: multiprocessing.Process
    _conn: Connection

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
    port, cacert = parent.recv()
    return Fleet(port, cacert, process, parent)
