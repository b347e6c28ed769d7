"""Stand-ins for lk-jwt-service and the LiveKit SFU, served by a :class:`FakeWeb` over real HTTPS.

No registry here ships these Go programs, so these follow their documented HTTP contracts:

- lk-jwt-service (element-hq/lk-jwt-service ``main.go``, README): ``/healthz``; ``/sfu/get`` and
  ``/get_token`` with CORS on OPTIONS, 405 on GET, 400 ``M_NOT_JSON``/``M_BAD_JSON`` for bad bodies;
  the OpenID token is checked at the user's homeserver over federation
  (``/_matrix/federation/v1/openid/userinfo``, here: a real Synapse). Failure answers by version:
  ``"v0.5"`` gives 500 ``M_LOOKUP_FAILED`` on ``/sfu/get`` and 401 ``M_UNAUTHORIZED`` on
  ``/get_token``; ``"new"`` gives 401 on both. Full-access servers (``LIVEKIT_FULL_ACCESS_HOMESERVERS``)
  get the room created on the SFU through its twirp API (``CreateRoom``), failing with 500
  "Unable to create room on SFU"; others get a token that cannot publish (PR #222). JWTs are real
  LiveKit JWTs from the ``livekit-api`` package.
- LiveKit SFU: ``GET /rtc/validate?access_token=JWT`` verified with ``livekit-api``'s
  ``TokenVerifier``: 401 for a bad signature, 404 when the room is absent and ``auto_create`` is
  off, 503 when full; ``POST /twirp/livekit.RoomService/CreateRoom`` with a ``roomCreate`` grant.

Simplification: the stand-in resolves only IP-literal server names for federation (the test
Synapses are named ``127.0.0.N:PORT``).
"""

from __future__ import annotations

import hashlib
import json
import ssl
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web
from livekit import api

from tests.support.fakeservers import LK_CORS, Route

CORS = LK_CORS  # one copy of lk-jwt-service's CORS headers, shared with the scenario fakes
KEY, SECRET = "devkey", "a-livekit-secret-of-at-least-32-chars"


@dataclass
class Sfu:
    """The LiveKit SFU stand-in's switches and state."""

    keys: dict[str, str] = field(default_factory=lambda: {KEY: SECRET})
    auto_create: bool = True
    full: bool = False
    rooms: set[str] = field(default_factory=set)
    validated: list[str] = field(default_factory=list)  # rooms of accepted tokens

    def _claims(self, token: str) -> Any:
        for key, secret in self.keys.items():
            try:
                return api.TokenVerifier(key, secret).verify(token)
            except Exception:
                continue
        return None

    def routes(self) -> dict[str, Route]:
        async def validate(request: web.Request) -> web.Response:
            claims = self._claims(request.query.get("access_token", ""))
            if claims is None:
                return web.Response(status=401, text="invalid token")
            room = claims.video.room if claims.video else ""
            if self.full:
                return web.Response(status=503, text="no available nodes")
            if room not in self.rooms and not self.auto_create:
                return web.Response(status=404, text="requested room does not exist")
            self.validated.append(room)
            return web.Response(text="success")

        async def create_room(request: web.Request) -> web.Response:
            claims = self._claims(request.headers.get("Authorization", "").removeprefix("Bearer "))
            if claims is None or not (claims.video and claims.video.room_create):
                return web.json_response({"code": "unauthenticated", "msg": "invalid token"}, status=401)
            body = await request.json()
            self.rooms.add(str(body.get("name", "")))
            return web.json_response({"name": body.get("name"), "empty_timeout": 300})

        return {
            "GET /rtc/validate": validate,
            "POST /twirp/livekit.RoomService/CreateRoom": create_room,
            "GET /": {"status": 200, "text": "OK"},
        }


@dataclass
class LkJwt:
    """The lk-jwt-service stand-in's configuration (its environment variables) and switches."""

    livekit_url: str  # LIVEKIT_URL as handed to clients
    twirp: tuple[str, int, str]  # where the service reaches the SFU's API: (address, port, TLS name)
    ca: ssl.SSLContext  # trusts the SFU and the Synapses
    key: str = KEY
    secret: str = SECRET
    full_access: tuple[str, ...] = ("*",)
    version: Literal["v0.5", "new"] = "new"
    prefix: str = "/livekit/jwt"
    down: bool = False  # the proxy answers 502: the service behind it is not running
    requests: list[str] = field(default_factory=list)

    def _error(self, status: int, code: str, message: str) -> web.Response:
        return web.json_response({"errcode": code, "error": message}, status=status, headers=CORS)

    async def _userinfo(self, openid: Any) -> str | None:
        """The user ID the user's homeserver vouches for, or None."""
        if not isinstance(openid, dict) or not isinstance(openid.get("matrix_server_name"), str):
            return None
        server = openid["matrix_server_name"]
        url = f"https://{server}/_matrix/federation/v1/openid/userinfo"
        try:
            async with aiohttp.ClientSession() as session, session.get(
                url, params={"access_token": str(openid.get("access_token"))}, ssl=self.ca,
                timeout=aiohttp.ClientTimeout(total=2),  # well inside the checker's own timeout
            ) as resp:  # fmt: skip
                body = await resp.json(content_type=None) if resp.status == 200 else {}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        sub = body.get("sub") if isinstance(body, dict) else None
        return sub if isinstance(sub, str) and sub.endswith(":" + server) else None

    async def _create_room(self, name: str) -> bool:
        token = api.AccessToken(self.key, self.secret).with_grants(api.VideoGrants(room_create=True)).to_jwt()
        address, port, tls_name = self.twirp
        try:
            async with aiohttp.ClientSession() as session, session.post(
                f"https://{address}:{port}/twirp/livekit.RoomService/CreateRoom",
                json={"name": name, "empty_timeout": 300}, ssl=self.ca, server_hostname=tls_name,
                headers={"Authorization": f"Bearer {token}", "Host": tls_name},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as resp:  # fmt: skip
                return resp.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def _issue(self, route: str, room_id: Any, openid: Any, device: Any) -> web.Response:
        user = await self._userinfo(openid)
        if user is None:
            if self.version == "v0.5" and route == "/sfu/get":
                return self._error(500, "M_LOOKUP_FAILED", "Failed to look up user info from homeserver")
            return self._error(401, "M_UNAUTHORIZED", "The request could not be authorised.")
        server = user.split(":", 1)[1]
        full = self.full_access == ("*",) or server in self.full_access
        room = hashlib.sha256(f"{room_id}|m.call#{room_id}".encode()).hexdigest()
        if full and not await self._create_room(room):
            return self._error(500, "M_UNKNOWN", "Unable to create room on SFU")
        grants = api.VideoGrants(room_join=True, room=room, can_publish=full, can_subscribe=True)
        jwt = (
            api.AccessToken(self.key, self.secret)
            .with_identity(f"{user}:{device}")
            .with_grants(grants)
            .to_jwt()
        )
        return web.json_response({"url": self.livekit_url, "jwt": jwt}, headers=CORS)

    def routes(self) -> dict[str, Route]:
        async def post(request: web.Request) -> web.Response:
            route = request.path.removeprefix(self.prefix)
            self.requests.append(route)
            if self.down:
                return web.Response(status=502, text="Bad Gateway")
            try:
                body = json.loads(await request.read())
            except ValueError:
                return self._error(400, "M_NOT_JSON", "Error decoding JSON")
            if not isinstance(body, dict):
                return self._error(400, "M_NOT_JSON", "Error decoding JSON")
            if route == "/sfu/get":
                if not body.get("room") or not body.get("openid_token"):
                    return self._error(400, "M_BAD_JSON", "Missing room parameter")
                return await self._issue(route, body["room"], body["openid_token"], body.get("device_id"))
            member = body.get("member")
            if not body.get("room_id") or not body.get("slot_id") or not isinstance(member, dict):
                return self._error(400, "M_BAD_JSON", "Missing parameters")
            return await self._issue(route, body["room_id"], body.get("openid_token"), member.get("id"))

        not_allowed = {"status": 405, "text": "", "headers": CORS}
        routes: dict[str, Route] = {f"GET {self.prefix}/healthz": {"status": 200, "text": ""}}
        for route in ("/sfu/get", "/get_token"):
            routes[f"POST {self.prefix}{route}"] = post
            routes[f"OPTIONS {self.prefix}{route}"] = {"status": 200, "headers": CORS}
            routes[f"GET {self.prefix}{route}"] = not_allowed
        return routes
