"""The end-to-end token flow, the pure parts: request bodies, and what each answer means.

The flow is what Element Call does on join (element-call ``src/livekit/openIDSFU.ts``,
``Connection.ts``): an OpenID token from the user's homeserver
(``POST /_matrix/client/v3/user/{userId}/openid/request_token``), then ``POST {url}/sfu/get`` or
``{url}/get_token`` at lk-jwt-service, which answers ``{"url": "wss://…", "jwt": "…"}``, then the
SFU at that URL (``GET /rtc/validate?access_token=JWT``, what livekit-client checks on a failed
connect). Each step's failure maps to the error Element Call shows (see the catalogue).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from foci_bot.callflow import E2eStep, Route, Verdict
from foci_bot.catalogue import finding
from foci_bot.jsonsafe import decode_object
from foci_bot.model import Fetch, Finding
from foci_bot.text import quote

ROUTES: tuple[Route, ...] = ("/sfu/get", "/get_token")


def openid_path(user_id: str) -> str:
    from urllib.parse import quote as urlquote

    return f"/_matrix/client/v3/user/{urlquote(user_id, safe='')}/openid/request_token"


def token_body(route: Route, *, room_id: str, openid: dict[str, Any], user_id: str, device_id: str) -> bytes:
    """The body Element Call sends: ``/sfu/get`` (legacy and compatibility modes) or ``/get_token``."""
    if route == "/sfu/get":
        body: dict[str, Any] = {"room": room_id, "openid_token": openid, "device_id": device_id}
    else:
        body = {
            "room_id": room_id,
            "slot_id": f"m.call#{room_id}",
            "openid_token": openid,
            "member": {"id": device_id, "claimed_user_id": user_id, "claimed_device_id": device_id},
        }
    return json.dumps(body).encode()


def read_openid(fetch: Fetch) -> dict[str, Any] | None:
    """The OpenID token object from ``request_token``, or None when there is none."""
    content = decode_object(fetch.body)
    if fetch.status != 200 or content is None or not isinstance(content.get("access_token"), str):
        return None
    return {
        k: content[k]
        for k in ("access_token", "token_type", "matrix_server_name", "expires_in")
        if k in content
    }


def errcode(fetch: Fetch) -> str | None:
    content = decode_object(fetch.body)
    code = content.get("errcode") if content else None
    return code[:100] if isinstance(code, str) else None


def read_token_answer(fetch: Fetch) -> tuple[Verdict | None, str | None, str | None]:
    """(a failure verdict or None, the SFU URL, the JWT) from lk-jwt-service's answer.

    Failure answers by service version (lk-jwt-service ``main.go``): OpenID validation failing is
    500 ``M_LOOKUP_FAILED`` on ``/sfu/get`` up to v0.5.0 and 401 ``M_UNAUTHORIZED`` elsewhere;
    "Unable to create room on SFU" is a 500 (lk-jwt-service#137, #177).
    """
    content = decode_object(fetch.body) or {}
    code = errcode(fetch)
    url, jwt = content.get("url"), content.get("jwt")
    if fetch.status == 200 and isinstance(url, str) and isinstance(jwt, str):
        return None, url[:500], jwt
    if fetch.status == 401 or code in ("M_LOOKUP_FAILED", "M_UNAUTHORIZED"):
        return "openid-failed", None, None
    message = content.get("error")
    if fetch.status == 500 and isinstance(message, str) and "create room" in message.lower():
        return "room-create-failed", None, None
    return "service-error", None, None


def sfu_url_public(url: str) -> bool:
    """Whether browsers elsewhere can reach the SFU URL: ``wss://`` to a public host name or address."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme != "wss" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return "." in host
    return ip.is_global


def validate_url(sfu_url: str) -> str | None:
    """``wss://host/path`` -> ``https://host/path/rtc/validate`` (livekit-client's ``toHttpUrl``)."""
    try:
        parts = urlsplit(sfu_url)
    except ValueError:
        return None
    scheme = {"wss": "https", "ws": "http", "https": "https", "http": "http"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        return None
    path = parts.path.rstrip("/") + "/rtc/validate"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def judge_validate(fetch: Fetch) -> Verdict:
    """The SFU's answer to ``/rtc/validate`` as Element Call's ``Connection.ts`` maps it."""
    if fetch.error is not None or fetch.status is None:
        return "sfu-unreachable"
    if fetch.status == 200:
        return "ok"
    if fetch.status == 401:
        return "sfu-rejected-token"
    if fetch.status == 404:
        return "room-restricted"
    if fetch.status in (503, 429):
        return "sfu-capacity"
    return "sfu-unreachable"


#: What Element Call shows for each failure (``openIDSFU.ts``: a failed token request is
#: OPEN_ID_ERROR; ``Connection.ts``: the SFU's answers on connect).
EC_ERROR: dict[Verdict, str] = {
    "openid-failed": "OPEN_ID_ERROR",
    "service-error": "OPEN_ID_ERROR",
    "room-create-failed": "OPEN_ID_ERROR",
    "sfu-url-not-public": "SFU_ERROR (the connection fails)",
    "sfu-unreachable": 'SFU_ERROR "Connection timeout"',
    "sfu-rejected-token": "SFU_ERROR",
    "room-restricted": 'SFU_ERROR "call creation might be restricted"',
    "sfu-capacity": "INSUFFICIENT_CAPACITY_ERROR",
}


def e2e_findings(steps: tuple[E2eStep, ...] | None) -> list[Finding]:
    out: list[Finding] = []
    for s in steps or ():
        if s.verdict == "ok":
            continue
        where = quote(s.livekit_service_url) + (f" `{s.route}`" if s.route else "")
        status = f"HTTP {s.status}" if s.status is not None else "no answer"
        sfu = f"; SFU {quote(s.sfu_url)}" if s.sfu_url else ""
        detail = f" ({s.detail})" if s.detail else ""
        shows = EC_ERROR.get(s.verdict, "an error")
        message = f"End to end through {where}: {status}{sfu}{detail}; Element Call shows {shows}."
        out.append(finding(f"e2e-{s.verdict}", message))
    return out
