"""The transports endpoint (MSC4143, now MSC4519), asked as a browser asks it, without a token.

Only the unstable path is asked: no client calls the stable `/_matrix/client/v1/rtc/transports`
(matrix-js-sdk `_unstable_getRTCTransports` and ruma-client-api `rtc/transports.rs` name only it).
"""

from __future__ import annotations

from dataclasses import dataclass

from foci_bot.catalogue import finding
from foci_bot.checks import cors as cors_rules
from foci_bot.checks.fetchfail import describe
from foci_bot.checks.foci import foci_list
from foci_bot.jsonsafe import JsonProblem, decode
from foci_bot.model import TRANSPORTS_UNSTABLE, EndpointState, Fetch, Finding, Focus
from foci_bot.text import quote
from foci_bot.urls import without_credentials

# States, from what clients do with each answer (Element X: ruma `is_endpoint_not_implemented`):
LISTED: EndpointState = "listed"  # 200 with at least one entry
EMPTY: EndpointState = "empty"  # 200 with an empty list: nothing, and Element X does not fall back
#: 200 `{}` (Synapse with `msc4143_enabled` and no transports): ruma fails to parse it (no serde
#: default for `rtc_transports`, element-x-android#7659), js-sdk returns `undefined`.
EMPTY_OBJECT: EndpointState = "empty-object"
AUTH: EndpointState = "auth"  # 401: implemented; the list is only visible with the user's token
MISSING: EndpointState = "missing"  # 404 M_UNRECOGNIZED: not implemented; the one fallback signal
NOT_FOUND: EndpointState = "not-found"  # 404 JSON with another errcode (e.g. M_NOT_FOUND)
PROXY_404: EndpointState = "proxy-404"  # 404 that is not Matrix JSON: HTML or text from a proxy
INVALID: EndpointState = "invalid"  # 200 with a body that is not a transports list
ERROR: EndpointState = "error"  # any other status, or no answer
NOT_CHECKED: EndpointState = "not-checked"

#: The answers after which a client has nothing from the endpoint (it may then fall back).
GAVE_NOTHING = frozenset({EMPTY, EMPTY_OBJECT, MISSING, NOT_FOUND, PROXY_404, INVALID, ERROR, NOT_CHECKED})
#: Answers that show the endpoint is implemented.
ANSWERED = frozenset({LISTED, EMPTY, EMPTY_OBJECT, AUTH})


@dataclass(frozen=True, slots=True)
class Transports:
    state: EndpointState
    foci: tuple[Focus, ...]
    findings: tuple[Finding, ...]
    raw: tuple[object, ...] | None = None  # the `rtc_transports` list as served
    browser: bool = True  # a browser may read it (preflight for Authorization, and CORS on the answer)
    browser_why: str = ""


def classify(
    fetch: Fetch | None, path: str
) -> tuple[EndpointState, list[Focus], list[Finding], list[object] | None]:
    """One answer -> (state, foci listed, findings about the entries, the raw list)."""
    if fetch is None:
        return NOT_CHECKED, [], [], None
    if fetch.error is not None:
        return ERROR, [], [], None
    body: object = None
    try:
        body = decode(fetch.body.removeprefix(b"\xef\xbb\xbf"))
    except JsonProblem:
        body = None
    errcode = body.get("errcode") if isinstance(body, dict) else None
    if fetch.status == 401:
        return AUTH, [], [], None
    if fetch.status == 404:
        if errcode == "M_UNRECOGNIZED":
            return MISSING, [], [], None
        return (NOT_FOUND if isinstance(errcode, str) else PROXY_404), [], [], None
    if fetch.status != 200:
        return ERROR, [], [], None
    if not isinstance(body, dict):
        return INVALID, [], [], None
    if "rtc_transports" not in body:
        return EMPTY_OBJECT, [], [], None
    value = body["rtc_transports"]
    if isinstance(value, list) and not value:
        return EMPTY, [], [], []
    if not isinstance(value, list):
        return INVALID, [], [], None
    foci, findings = foci_list(value, path)
    return LISTED, foci, findings, value


def judge_transports(
    fetch: Fetch | None, preflight: Fetch | None = None, authenticated: bool = False
) -> Transports:
    """Judge the endpoint's answer and, for browsers, its CORS preflight."""
    state, foci, findings, raw = classify(fetch, TRANSPORTS_UNSTABLE)
    where = quote(fetch.url) if fetch is not None else "the transports endpoint"
    if state == AUTH and authenticated:
        findings.append(
            finding("transports-endpoint-error", f"{where} refused foci-bot's own access token (401).")
        )
    elif state == AUTH:
        findings.append(
            finding("transports-endpoint-auth", f"{where} answers 401: implemented, needs a token.")
        )
    elif state in (LISTED, EMPTY, EMPTY_OBJECT):
        if not authenticated:
            findings.append(
                finding(
                    "transports-endpoint-open",
                    f"{where} answers 200 without a token, listing {len(foci)} transport(s).",
                )
            )
        if state in (EMPTY, EMPTY_OBJECT):
            shown = "an empty `rtc_transports` list" if state == EMPTY else "no `rtc_transports` (`{}`)"
            findings.append(finding("transports-endpoint-empty", f"{where} answers 200 with {shown}."))
    elif state == MISSING:
        findings.append(finding("transports-endpoint-missing", f"{where} answers 404 `M_UNRECOGNIZED`."))
    elif state in (NOT_FOUND, PROXY_404) and fetch is not None:
        findings.append(finding("transports-endpoint-404", f"{where} answers 404 with {_body_kind(fetch)}."))
    elif state == INVALID:
        findings.append(
            finding("transports-endpoint-invalid", f"{where} answers 200 without a `rtc_transports` list.")
        )
    elif state == ERROR and fetch is not None:
        findings.append(finding("transports-endpoint-error", f"{where}: {describe(fetch)}."))
    browser, why = _browser(fetch, preflight)
    if not browser and state in ANSWERED:
        findings.append(finding("transports-endpoint-no-cors", f"{where}: {why}."))
    return Transports(
        state, tuple(foci), tuple(findings), tuple(raw) if raw is not None else None, browser, why
    )


def _browser(fetch: Fetch | None, preflight: Fetch | None) -> tuple[bool, str]:
    """Browsers send the user's token, so they preflight: it and the answer must both allow CORS."""
    if fetch is None or fetch.error is not None:
        return False, "no answer"
    if preflight is not None:
        if preflight.error is not None:
            return False, f"the CORS preflight failed: {describe(preflight)}"
        status = preflight.status or 0
        if 300 <= status < 400:
            target = quote(without_credentials(preflight.header("location") or "nowhere"))
            return False, f"the CORS preflight is redirected ({status} to {target}), which browsers refuse"
        if not 200 <= status < 300:
            return False, f"the CORS preflight answers HTTP {status}"
        state = cors_rules.of_fetch(preflight)
        if state != "ok":
            return (
                False,
                f"the CORS preflight has {cors_rules.explain(preflight.header('access-control-allow-origin'), state)}",
            )
        allowed = {
            h.strip().lower() for h in (preflight.header("access-control-allow-headers") or "").split(",")
        }
        if "authorization" not in allowed:
            # The `*` wildcard does not cover Authorization (Fetch standard, CORS-preflight fetch).
            return False, "the CORS preflight does not list `Authorization` in `Access-Control-Allow-Headers`"
    for hop in fetch.hops:
        hop_state = cors_rules.of_hop(hop)
        if hop_state != "ok":
            return (
                False,
                f"the {hop.status} redirect from {quote(hop.url)} has {cors_rules.explain(hop.cors, hop_state)}",
            )
    state = cors_rules.of_fetch(fetch)
    if state != "ok":
        return (
            False,
            f"the answer has {cors_rules.explain(fetch.header('access-control-allow-origin'), state)}",
        )
    return True, ""


def _body_kind(fetch: Fetch) -> str:
    try:
        body = decode(fetch.body)
    except JsonProblem:
        body = None
    if isinstance(body, dict) and isinstance(body.get("errcode"), str):
        return f"errcode {quote(body['errcode'], 40)}, not `M_UNRECOGNIZED`"
    kind = (fetch.header("content-type") or "no content type").split(";", 1)[0]
    return f"a non-Matrix body ({quote(kind, 60)}), probably from a proxy"
