"""Real local HTTPS servers standing in for remote homeservers and lk-jwt-services.

One aiohttp server with a trustme certificate serves many virtual hosts, dispatching on the
``Host`` header. Routes are plain data (so scenarios can live in JSON files) or coroutines (for
hostile behaviour such as trickling bodies). Every request is recorded, so tests can assert that
the address guard let nothing through.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = Mapping[str, Any] | Handler

USERINFO = "/_matrix/federation/v1/openid/userinfo"
JSON_CORS = {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"}


@dataclass(frozen=True)
class Seen:
    host: str
    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class FakeWeb:
    """An HTTPS server on 127.0.0.1 with routes keyed by host and ``"METHOD /path"`` or ``"/path"``."""

    ca: trustme.CA
    names: Iterable[str]
    routes: dict[str, dict[str, Route]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    #: TLS handshakes per SNI host name, counted by the server as they happen
    handshakes: dict[str, int] = field(default_factory=dict)
    port: int = 0
    address: str = "127.0.0.1"
    dns_server: str = ""  # the loopback DNS server checks against this web should use (ADDR:PORT)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self, untrusted: Iterable[str] = ()) -> FakeWeb:
        """Serve TLS for ``names``; hosts in ``untrusted`` are routed but not in the certificate."""
        names = sorted(set(self.names) - set(untrusted)) or ["unused.invalid"]
        cert = self.ca.issue_cert(*names)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        context.sni_callback = self._count_handshake
        sock = socket.socket()
        sock.bind((self.address, 0))
        self.port = sock.getsockname()[1]
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(sock, context), self._loop).result(10)
        return self

    async def _serve(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, ssl_context=context).start()

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _count_handshake(self, _sock: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        key = name or ""
        self.handshakes[key] = self.handshakes.get(key, 0) + 1

    def connect_to(self, *hosts: str) -> list[str]:
        """CLI flags that route ``HOST:443`` (and the federation port 8448) for each host here."""
        return [flag for rule in self.connect_rules(*hosts) for flag in ("--connect-to", rule)]

    def connect_rules(self, *hosts: str) -> list[str]:
        """``HOST:PORT:ADDR:PORT2`` rules for ``HOST:443`` and ``HOST:8448`` of each host."""
        return [f"{h}:{p}:{self.address}:{self.port}" for h in hosts or self.routes for p in (443, 8448)]

    def requests_for(self, host: str) -> list[Seen]:
        return [s for s in self.seen if s.host == host]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = (
            (request.host or "").rsplit(":", 1)[0] if not (request.host or "").endswith("]") else request.host
        )
        self.seen.append(Seen(host, request.method, request.path, dict(request.headers)))
        table = self.routes.get(host, {})
        route = table.get(f"{request.method} {request.path}") or table.get(request.path)
        if route is None and request.path == USERINFO:
            # Every fake host federates unless a route says otherwise: a random token is unknown.
            return web.json_response({"errcode": "M_UNKNOWN_TOKEN", "error": "Unknown token"}, status=401)
        if route is None:
            return web.json_response({"errcode": "M_NOT_FOUND", "error": "no route"}, status=404)
        if callable(route):
            return await route(request)
        if "behaviour" in route:
            return await misbehave(request, route)
        return respond(route)


async def misbehave(request: web.Request, spec: Mapping[str, Any]) -> web.StreamResponse:
    """Hostile servers: ``hang`` (never answers), ``trickle`` (a byte at a time, forever),
    ``chunked-huge`` (a body of ``size`` bytes without Content-Length). Also ``echo-origin``: the
    rest of the spec as usual, with ``Access-Control-Allow-Origin`` set to the request's ``Origin``
    and none without one (a common Caddy recipe)."""
    kind = spec["behaviour"]
    if kind == "echo-origin":
        echoed = respond({k: v for k, v in spec.items() if k != "behaviour"})
        if "Origin" in request.headers:
            echoed.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        return echoed
    if kind == "hang":
        await asyncio.sleep(3600)
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    await response.prepare(request)
    if kind == "trickle":
        await response.write(b"{")
        for _ in range(3600):
            await asyncio.sleep(0.05)
            await response.write(b" ")
    elif kind == "chunked-huge":
        chunk = b" " * 65536
        for _ in range(int(spec.get("size", 1 << 24)) // len(chunk)):
            await response.write(chunk)
    await response.write_eof()
    return response


def respond(spec: Mapping[str, Any]) -> web.Response:
    """A response from data: ``status``, ``headers``, and ``json`` or ``text`` or ``size``."""
    headers = dict(spec.get("headers", {}))
    if "json" in spec:
        body = json.dumps(spec["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "size" in spec:
        body = b"{" + b" " * int(spec["size"]) + b"}"
    else:
        body = str(spec.get("text", "")).encode()
    return web.Response(status=int(spec.get("status", 200)), headers=headers, body=body)


# -- Presets: the shapes real deployments have, expanded into routes.


def lk_jwt_routes(prefix: str = "/livekit/jwt", *, mode: str = "healthy") -> dict[str, Route]:
    """lk-jwt-service as it answers credential-free probes (domain.md §3).

    ``mode``: healthy | outdated (no /get_token) | no-cors (preflight without CORS) |
    prefix-not-stripped (everything 404) | down (502 from the proxy) | not-jwt (a web page).
    """
    cors = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token",
    }
    not_allowed = {
        "status": 405,
        "json": {"errcode": "M_UNRECOGNIZED", "error": "Method not allowed"},
        "headers": cors,
    }
    if mode == "prefix-not-stripped":
        return {}
    if mode == "down":
        bad = {"status": 502, "text": "Bad Gateway"}
        return {f"{prefix}/healthz": bad, f"{prefix}/sfu/get": bad, f"{prefix}/get_token": bad}
    if mode == "not-jwt":
        page = {"status": 200, "text": "<html>welcome</html>", "headers": {"Content-Type": "text/html"}}
        return {f"{prefix}/healthz": page, f"{prefix}/sfu/get": page, f"{prefix}/get_token": page}
    routes: dict[str, Route] = {
        f"GET {prefix}/healthz": {"status": 200, "text": ""},
        f"GET {prefix}/sfu/get": not_allowed,
        f"OPTIONS {prefix}/sfu/get": {"status": 200, "headers": cors if mode != "no-cors" else {}},
    }
    if mode != "outdated":
        routes[f"GET {prefix}/get_token"] = not_allowed
    return routes


# Synapse sets these on every client API answer and answers OPTIONS with 200
# (synapse/http/server.py, set_cors_headers), so browsers can call the API with a token.
SYNAPSE_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
}


def homeserver_routes(
    *,
    transports: str | list[Any] | Mapping[str, Any] = "auth",
    msc4143_feature: bool = True,
    cors: bool = True,
) -> dict[str, Route]:
    """A homeserver's client API routes (versions, transports) on its base_url host.

    ``transports``: auth (401) | missing (404 M_UNRECOGNIZED) | proxy-404 | a list (200, no
    token needed) | a raw response spec. ``cors``: the transports paths carry Synapse's CORS
    headers and answer OPTIONS (not for proxy-404, where the proxy answers without them).
    """
    unstable = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"
    stable = "/_matrix/client/v1/rtc/transports"
    versions = {"versions": ["v1.11", "v1.12"], "unstable_features": {"org.matrix.msc4143": msc4143_feature}}
    routes: dict[str, Route] = {"/_matrix/client/versions": {"json": versions, "headers": JSON_CORS}}
    if transports == "auth":
        routes[unstable] = {
            "status": 401,
            "json": {"errcode": "M_MISSING_TOKEN", "error": "Missing access token"},
        }
    elif transports == "missing":
        routes[unstable] = {
            "status": 404,
            "json": {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"},
        }
    elif transports == "proxy-404":
        routes[unstable] = {
            "status": 404,
            "text": "<html>Not Found</html>",
            "headers": {"Content-Type": "text/html"},
        }
    elif isinstance(transports, list):
        routes[unstable] = {"json": {"rtc_transports": transports}}
    elif isinstance(transports, Mapping):
        routes[unstable] = transports
    # Synapse does not serve the stable path yet (synapse#19652).
    routes[stable] = {
        "status": 404,
        "json": {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"},
    }
    if cors and transports != "proxy-404":
        for path in (unstable, stable):
            spec = routes.get(path)
            if isinstance(spec, Mapping) and "behaviour" not in spec:
                routes[path] = {**spec, "headers": {**SYNAPSE_CORS, **spec.get("headers", {})}}
            routes[f"OPTIONS {path}"] = {"status": 200, "json": {}, "headers": SYNAPSE_CORS}
    return routes


def wellknown_route(
    base_url: str,
    foci: Mapping[str, Any] | None = None,
    *,
    cors: bool = True,
    extra: Mapping[str, Any] | None = None,
) -> Route:
    content: dict[str, Any] = {"m.homeserver": {"base_url": base_url}}
    content.update(foci or {})
    content.update(extra or {})
    headers = JSON_CORS if cors else {"Content-Type": "application/json"}
    return {"json": content, "headers": headers}


def documented_server(name: str, focus_url: str | None, transports: str = "auth") -> dict[str, Any]:
    """Scenario hosts entry for a server set up as Synapse documents it, serving its own client API."""
    content: dict[str, Any] = {"m.homeserver": {"base_url": f"https://{name}"}}
    if focus_url is not None:
        content["org.matrix.msc4143.rtc_foci"] = [{"type": "livekit", "livekit_service_url": focus_url}]
    return {
        "/.well-known/matrix/client": {"json": content, "headers": {"Access-Control-Allow-Origin": "*"}},
        "preset:homeserver": {"transports": transports},
    }


def expand(scenario_hosts: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Route]]:
    """Turn a scenario file's ``hosts`` into routes; ``"preset"`` entries use the helpers above."""
    routes: dict[str, dict[str, Route]] = {}
    for host, table in scenario_hosts.items():
        expanded: dict[str, Route] = {}
        for key, spec in table.items():
            if key == "preset:lk-jwt":
                expanded.update(
                    lk_jwt_routes(spec.get("prefix", "/livekit/jwt"), mode=spec.get("mode", "healthy"))
                )
            elif key == "preset:homeserver":
                expanded.update(homeserver_routes(**spec))
            else:
                expanded[key] = spec
        routes[host] = expanded
    return routes


def load_scenario(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data
