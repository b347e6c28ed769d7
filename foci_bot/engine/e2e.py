"""The end-to-end token flow, the I/O: OpenID token -> lk-jwt-service -> SFU ``/rtc/validate``.

Runs only where foci-bot holds an access token: the bot for its own server, the CLI with
``--access-token-file`` for its one target. The access token goes only to the configured homeserver
URL; OpenID tokens go only to the lk-jwt-service the homeserver's own transports endpoint lists;
the JWT only to the SFU that service names. None of them is kept in a result.

What it leaves behind: no call membership is sent, so no user sees a call. lk-jwt-service may create
an (empty) LiveKit room for the probe's made-up room ID; LiveKit closes empty rooms after the room's
``empty_timeout`` (LiveKit's default: 5 minutes).
"""

from __future__ import annotations

import asyncio
import json
import secrets

from foci_bot.callflow import E2eStep, Route
from foci_bot.checks.e2e import (
    ROUTES,
    errcode,
    judge_validate,
    openid_path,
    read_openid,
    read_token_answer,
    sfu_url_public,
    token_body,
    validate_url,
)
from foci_bot.engine.http import HttpClient
from foci_bot.model import Fetch

_JSON = {"Content-Type": "application/json"}
CAP = 16 * 1024


async def verify_transports(
    http: HttpClient, homeserver: str, token: str, server: str, service_urls: list[str]
) -> tuple[E2eStep, ...]:
    """One step per (listed service URL, route); a route the service does not serve is left out."""
    if not service_urls:
        return ()
    auth = {"Authorization": f"Bearer {token}"}
    # Only these reads, at the homeserver URL the operator configured, may reach a private address.
    whoami = await http.fetch(
        f"{homeserver}/_matrix/client/v3/account/whoami", headers=auth, body_cap=CAP, own_server=True
    )
    user_id, device_id = _whoami(whoami)
    if user_id is None:
        return tuple(
            E2eStep(url, None, whoami.status, errcode(whoami), None, None, "openid-failed", "whoami failed")
            for url in service_urls
        )
    # A made-up room: nobody is in it and no membership is sent, so no user sees anything.
    room_id = f"!foci-bot-probe-{secrets.token_hex(8)}:{server}"
    flow = _Flow(http, homeserver, auth, user_id, device_id or "FOCIBOT", room_id)
    steps = await asyncio.gather(*(flow.step(url, route) for url in service_urls for route in ROUTES))
    return tuple(s for s in steps if s is not None)


def _whoami(fetch: Fetch) -> tuple[str | None, str | None]:
    try:
        content = json.loads(fetch.body) if fetch.status == 200 else None
    except (ValueError, UnicodeDecodeError):
        content = None
    if not isinstance(content, dict) or not isinstance(content.get("user_id"), str):
        return None, None
    device = content.get("device_id")
    return content["user_id"], device if isinstance(device, str) else None


class _Flow:
    def __init__(
        self,
        http: HttpClient,
        homeserver: str,
        auth: dict[str, str],
        user_id: str,
        device_id: str,
        room_id: str,
    ) -> None:
        self.http, self.homeserver, self.auth = http, homeserver, auth
        self.user_id, self.device_id, self.room_id = user_id, device_id, room_id

    async def step(self, url: str, route: Route) -> E2eStep | None:
        # OpenID tokens are single use (spec), so each attempt asks for its own.
        got = await self.http.fetch(
            self.homeserver + openid_path(self.user_id),
            method="POST",
            headers={**self.auth, **_JSON},
            data=b"{}",
            body_cap=CAP,
            own_server=True,
        )
        openid = read_openid(got)
        if openid is None:
            return E2eStep(url, route, got.status, errcode(got), None, None, "openid-failed",
                           "the homeserver gave no OpenID token")  # fmt: skip
        body = token_body(
            route, room_id=self.room_id, openid=openid, user_id=self.user_id, device_id=self.device_id
        )
        answer = await self.http.fetch(url + route, method="POST", headers=_JSON, data=body, body_cap=CAP)
        if route == "/get_token" and answer.status in (404, 405):
            return None  # not routed: only matrix_2_0 mode needs it (livekit-outdated says so)
        failed, sfu_url, jwt = read_token_answer(answer)
        if failed is not None or sfu_url is None or jwt is None:
            detail = "no answer" if answer.error else ""
            return E2eStep(
                url, route, answer.status, errcode(answer), None, None, failed or "service-error", detail
            )
        if not sfu_url_public(sfu_url):
            return E2eStep(url, route, answer.status, None, sfu_url, None, "sfu-url-not-public")
        target = validate_url(sfu_url)
        if target is None:
            return E2eStep(url, route, answer.status, None, sfu_url, None, "sfu-url-not-public")
        checked = await self.http.fetch(f"{target}?access_token={jwt}", body_cap=CAP, https_only=True)
        verdict = judge_validate(checked)
        return E2eStep(url, route, answer.status, None, sfu_url, checked.status, verdict)
