"""The verified call token flow in reports: federation OpenID and end-to-end results (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from foci_bot.callflow import E2eStep, Federation
from foci_bot.text import quote

_OPENID_LINE = {
    "reachable": "Federation OpenID reachable at {url} (found through {via}): call backends can verify this server's users",
    "unreachable": "Federation OpenID unreachable at {url}: this server's users get OPEN_ID_ERROR on every call backend",
    "error": "Federation OpenID at {url} answered unexpectedly",
    "not-checked": "Federation OpenID not checked",
}


_VIA = {
    "ip-literal": "the IP-literal server name",
    "explicit-port": "the port in the server name",
    "well-known": "`/.well-known/matrix/server`",
    "srv": "an SRV record",
    "default-port": "the default port 8448",
}


def federation_json(fed: Federation | None) -> dict[str, Any]:
    if fed is None:
        fed = Federation(None, None, "not-checked")
    return {
        "server_url": fed.server_url,
        "via": fed.via,
        "openid": fed.openid,
        "status": fed.status,
        "errcode": fed.errcode,
    }


def e2e_json(steps: Sequence[E2eStep] | None) -> list[dict[str, Any]] | None:
    if steps is None:
        return None
    return [
        {
            "livekit_service_url": s.livekit_service_url,
            "route": s.route,
            "status": s.status,
            "errcode": s.errcode,
            "sfu_url": s.sfu_url,
            "sfu_validate_status": s.sfu_validate_status,
            "verdict": s.verdict,
        }
        for s in steps
    ]


def federation_line(fed: Federation | None) -> str:
    state = fed.openid if fed is not None else "not-checked"
    url = quote(fed.server_url) if fed is not None and fed.server_url else "no endpoint"
    via = _VIA[fed.via] if fed is not None and fed.via else "?"
    return _OPENID_LINE[state].format(url=url, via=via) + "."


def e2e_lines(steps: Sequence[E2eStep] | None) -> list[str]:
    """One line per transport tried end to end; nothing when no token was available."""
    if steps is None:
        return []
    if not steps:
        return ["End to end: no transport to try."]
    out = []
    for s in steps:
        route = f" `{s.route}`" if s.route else ""
        if s.verdict == "ok":
            out.append(
                f"Verified end to end: {quote(s.livekit_service_url)}{route} gave a token the SFU accepts."
            )
        else:
            out.append(f"End to end through {quote(s.livekit_service_url)}{route}: `{s.verdict}`.")
    return out


def verified(steps: Sequence[E2eStep] | None) -> bool:
    return bool(steps) and any(s.verdict == "ok" for s in steps or ())
