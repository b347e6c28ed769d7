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
        return respond(route, request)


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


def respond(spec: Mapping[str, Any], request: web.Request | None = None) -> web.Response:
    """A response from data: ``status``, ``headers``, and ``json`` or ``text`` or ``size``.

    A header value ``$origin`` echoes the request's ``Origin`` (a common Caddy recipe); ``bom``
    prefixes the body with a UTF-8 byte order mark.
    """
    origin = request.headers.get("Origin", "") if request is not None else ""
    headers = {k: (origin if v == "$origin" else v) for k, v in dict(spec.get("headers", {})).items()}
    headers = {k: v for k, v in headers.items() if v}
    if "json" in spec:
        body = json.dumps(spec["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "size" in spec:
        body = b"{" + b" " * int(spec["size"]) + b"}"
    else:
        body = str(spec.get("text", "")).encode()
    if spec.get("bom"):
        body = b"\xef\xbb\xbf" + body
    return web.Response(status=int(spec.get("status", 200)), headers=headers, body=body)


# -- Presets: the shapes real deployments have, expanded into routes.


#: lk-jwt-service's CORS headers, exactly (element-hq/lk-jwt-service `main.go`).
LK_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token",
}
_GO_404 = {
    "status": 404,
    "text": "404 page not found\n",
    "headers": {"Content-Type": "text/plain; charset=utf-8"},
}


def lk_jwt_handler(route: str, *, cors: bool = True) -> Handler:
    """One lk-jwt-service route as it answers without credentials (element-hq/lk-jwt-service `main.go`).

    OPTIONS: 200 with its CORS headers; GET: 405 with an empty body; POST of non-JSON: 400
    `M_NOT_JSON`; POST of JSON without the fields: 400 `M_BAD_JSON`.
    """
    headers = LK_CORS if cors else {}
    missing = "Missing room parameter" if route == "/sfu/get" else "The request body is missing `room_id`"

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return web.Response(status=200, headers=headers)
        if request.method != "POST":
            return web.Response(status=405, headers=headers)
        try:
            json.loads(await request.read())
        except ValueError:
            return web.json_response(
                {"errcode": "M_NOT_JSON", "error": "Error reading request"}, status=400, headers=headers
            )
        return web.json_response({"errcode": "M_BAD_JSON", "error": missing}, status=400, headers=headers)

    return handle


async def _healthz(request: web.Request) -> web.StreamResponse:
    return web.Response(status=200 if request.method in ("GET", "HEAD") else 405)


def lk_jwt_routes(prefix: str = "/livekit/jwt", *, mode: str = "healthy") -> dict[str, Route]:
    """lk-jwt-service behind a proxy at ``prefix``.

    ``mode``: healthy | outdated (v0.5.0 without `/get_token`... as an older build: no route) |
    no-cors (a proxy drops OPTIONS and CORS) | prefix-not-stripped (everything 404) | down (502
    from the proxy) | not-jwt (a web page) | ess (element-hq/ess-helm ingress: only `/sfu/get` and
    `/get_token` reach the service, everything else goes to LiveKit, which answers `GET /` with `OK`).
    """
    if mode == "prefix-not-stripped":
        return {f"{prefix}/{r}": _GO_404 for r in ("healthz", "sfu/get", "get_token")}
    if mode == "down":
        bad = {"status": 502, "text": "Bad Gateway"}
        return {f"{prefix}/healthz": bad, f"{prefix}/sfu/get": bad, f"{prefix}/get_token": bad}
    if mode == "not-jwt":
        page = {"status": 200, "text": "<html>welcome</html>", "headers": {"Content-Type": "text/html"}}
        return {f"{prefix}/healthz": page, f"{prefix}/sfu/get": page, f"{prefix}/get_token": page, "/": page}
    routes: dict[str, Route] = {
        f"{prefix}/healthz": _healthz,
        f"{prefix}/sfu/get": lk_jwt_handler("/sfu/get", cors=mode != "no-cors"),
        f"{prefix}/get_token": lk_jwt_handler("/get_token"),
        # Go's ServeMux answers an unclean path (a trailing-slash URL plus a route) with a 301.
        f"{prefix}//sfu/get": {"status": 301, "headers": {"Location": "/sfu/get"}},
        f"{prefix}//get_token": {"status": 301, "headers": {"Location": "/get_token"}},
    }
    if mode == "no-cors":
        routes[f"OPTIONS {prefix}/sfu/get"] = {"status": 405, "text": ""}
    if mode == "outdated":
        routes[f"{prefix}/get_token"] = _GO_404
    if mode == "ess":
        routes[f"{prefix}/healthz"] = _GO_404
        routes["GET /"] = {"status": 200, "text": "OK", "headers": {"Content-Type": "text/plain"}}
    return routes


#: Synapse's CORS headers on every client API answer (synapse `http/server.py` `set_cors_headers`).
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

    ``transports``: auth (401) | missing (404 M_UNRECOGNIZED) | not-found (404 M_NOT_FOUND) |
    proxy-404 (HTML) | a list (200, no token needed) | a raw response spec. ``cors``: Synapse's
    CORS headers and its 200 to every OPTIONS; False for a proxy that drops both.
    """
    unstable = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"
    versions = {"versions": ["v1.11", "v1.12"], "unstable_features": {"org.matrix.msc4143": msc4143_feature}}
    headers = SYNAPSE_CORS if cors else {}
    routes: dict[str, Route] = {"/_matrix/client/versions": {"json": versions, "headers": JSON_CORS}}
    if transports == "auth":
        routes[unstable] = {
            "status": 401,
            "json": {"errcode": "M_MISSING_TOKEN", "error": "Missing access token"},
            "headers": headers,
        }
    elif transports == "missing":
        routes[unstable] = {
            "status": 404,
            "json": {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"},
            "headers": headers,
        }
    elif transports == "not-found":
        routes[unstable] = {
            "status": 404,
            "json": {"errcode": "M_NOT_FOUND", "error": "Not found"},
            "headers": headers,
        }
    elif transports == "proxy-404":
        routes[unstable] = {
            "status": 404,
            "text": "<html>Not Found</html>",
            "headers": {"Content-Type": "text/html"},
        }
    elif isinstance(transports, list):
        routes[unstable] = {"json": {"rtc_transports": transports}, "headers": headers}
    elif isinstance(transports, Mapping):
        routes[unstable] = (
            transports
            if "behaviour" in transports
            else {**transports, "headers": {**headers, **transports.get("headers", {})}}
        )
    if cors and transports != "proxy-404":
        # A proxy's own 404 page answers without Synapse's CORS, OPTIONS included.
        routes[f"OPTIONS {unstable}"] = {"status": 200, "headers": SYNAPSE_CORS}
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
            if key == "preset:lk-jwt-route":
                expanded[spec["path"]] = lk_jwt_handler(spec["route"])
            elif key == "preset:lk-jwt":
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
