"""lk-jwt-service probes without credentials, interpreted.

The proof that a route reaches lk-jwt-service is a JSON `400 M_BAD_JSON` (or `M_NOT_JSON`) to a
`POST {}`: its handlers answer that before looking at any credential (element-hq/lk-jwt-service
`main.go`, `handleSFUGet`/`handleGetToken`). `/healthz` is only supporting evidence: ESS
(element-hq/ess-helm `templates/matrix-rtc/ingress.yaml`) routes only `/sfu/get` and `/get_token`
to the service and everything else, `/healthz` included, to LiveKit.
"""

from __future__ import annotations

from foci_bot.catalogue import finding
from foci_bot.checks import cors as cors_rules
from foci_bot.checks.fetchfail import describe, failure_finding
from foci_bot.jsonsafe import JsonProblem, decode
from foci_bot.model import Fetch, FetchError, Finding, Health, ProbeResult
from foci_bot.text import quote
from foci_bot.urls import without_credentials

HEALTHY: Health = "healthy"
BROKEN: Health = "broken"
UNREACHABLE: Health = "unreachable"
BLOCKED: Health = "blocked"
PROBE_ORIGIN = cors_rules.PROBE_ORIGIN
#: What Element Call shows when it cannot get a token from the service (`openIDSFU.ts`:
#: FailToGetOpenIdToken), and in `matrix_2_0` mode when `/get_token` fails.
OPEN_ID_ERROR = "OPEN_ID_ERROR"
NO_MATRIX_2_0 = "NO_MATRIX_2_0_AUTHORIZATION_SERVICE"


def _errcode(fetch: Fetch) -> str | None:
    try:
        body = decode(fetch.body)
    except JsonProblem:
        return None
    code = body.get("errcode") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def reaches_service(fetch: Fetch) -> bool:
    return fetch.error is None and fetch.status == 400 and _errcode(fetch) in ("M_BAD_JSON", "M_NOT_JSON")


def _redirect(fetch: Fetch) -> str | None:
    if fetch.error is None and fetch.status is not None and 300 <= fetch.status < 400:
        # A Location may carry user:pass@; it is shown masked, never followed.
        return f"{fetch.status} to {quote(without_credentials(fetch.header('location') or 'nowhere'))}"
    return None


def what_answers(probe: ProbeResult) -> str:
    """Which kind of server the URL reaches, in words."""
    if reaches_service(probe.sfu_get):
        return "lk-jwt-service"
    for fetch in (probe.sfu_get, probe.root):
        kind = (fetch.header("content-type") or "").lower()
        if fetch.error is None and "html" in kind:
            return (
                "the Element Call web app" if b"element call" in fetch.body.lower() else "a web page (HTML)"
            )
    if probe.root.error is None and probe.root.status == 200 and probe.root.body.strip() == b"OK":
        return "LiveKit (`GET /` answers `OK`)"
    server = probe.sfu_get.header("server") or probe.root.header("server")
    return f"another server ({quote(server, 60)})" if server else "another server"


def _route_hint(url: str) -> str:
    """A URL that already names a route: clients append another (`…/sfu/get/sfu/get`)."""
    for route in ("/sfu/get", "/get_token", "/healthz"):
        if url.rstrip("/").endswith(route):
            return f" (the URL already ends with `{route}`; clients append the route to it)"
    return ""


def judge_probe(probe: ProbeResult) -> tuple[Health, list[Finding]]:
    """Health of one `livekit_service_url` and the findings that explain it."""
    where = quote(probe.url)
    answered = [
        f for f in (probe.sfu_get, probe.get_token, probe.preflight, probe.healthz) if f.error is None
    ]
    if not answered:
        failed = probe.sfu_get
        health = BLOCKED if failed.error is FetchError.BLOCKED else UNREACHABLE
        return health, [
            failure_finding(
                failed, "lk-jwt-service", tls_code="livekit-tls-error", other_code="livekit-unreachable"
            )
        ]
    findings: list[Finding] = []
    sfu, token = probe.sfu_get, probe.get_token
    slash = (
        " (the trailing `/` in `livekit_service_url` makes `//sfu/get`)" if probe.url.endswith("/") else ""
    )
    moved = _redirect(sfu)
    if moved:
        findings.append(
            finding(
                "livekit-redirect",
                f"{quote('POST ' + probe.url + '/sfu/get')} is redirected ({moved}){slash}.",
            )
        )
    elif reaches_service(sfu):
        pass
    elif sfu.error is not None:
        findings.append(
            failure_finding(
                sfu, "`POST /sfu/get`", tls_code="livekit-tls-error", other_code="livekit-unreachable"
            )
        )
    elif all(
        f.error is None and f.status == 404 and _errcode(f) is None for f in (sfu, token, probe.healthz)
    ):
        findings.append(
            finding(
                "livekit-prefix-not-stripped",
                f"{where}: `/sfu/get`, `/get_token` and `/healthz` all answer a plain 404.",
            )
        )
    elif sfu.error is None and sfu.status is not None and sfu.status >= 500:
        findings.append(finding("livekit-backend-error", f"{where}: `POST /sfu/get` answers {sfu.status}."))
    else:
        findings.append(
            finding(
                "livekit-not-jwt-service",
                f"{where}: `POST /sfu/get` answers {describe(sfu)} without `M_BAD_JSON`; the URL reaches {what_answers(probe)}{_route_hint(probe.url)}.",
            )
        )
    if reaches_service(sfu) and not reaches_service(token):
        got = _redirect(token) or describe(token)
        findings.append(
            finding(
                "livekit-outdated",
                f"{where}: `POST /get_token` answers {got}, not lk-jwt-service; only `matrix_2_0` mode fails ({NO_MATRIX_2_0}).",
            )
        )
    if probe.healthz.error is not None or probe.healthz.status != 200:
        note = (
            " (normal where only the service routes reach lk-jwt-service, as in ESS)"
            if reaches_service(sfu)
            else ""
        )
        findings.append(
            finding(
                "livekit-healthz-failed", f"{where}: `GET /healthz` answers {describe(probe.healthz)}{note}."
            )
        )
    if reaches_service(sfu):
        # Only where the route reaches the service does its preflight add anything: otherwise the
        # finding above is the one cause, and a failing preflight just one of its consequences.
        findings.extend(_preflight(probe.preflight, where))
    answer_cors = cors_rules.of_fetch(sfu)
    preflight_failed = any(f.code == "livekit-cors-preflight-failed" for f in findings)
    if reaches_service(sfu) and answer_cors != "ok" and not preflight_failed:
        # The browser must also be allowed to read the POST's answer, not only to send it.
        explained = cors_rules.explain(sfu.header("access-control-allow-origin"), answer_cors)
        findings.append(
            finding(
                "livekit-cors-preflight-failed", f"{where}: the answer to `POST /sfu/get` has {explained}."
            )
        )
    broken = any(f.severity == "error" for f in findings)
    return (BROKEN if broken else HEALTHY), findings


def _preflight(fetch: Fetch, where: str) -> list[Finding]:
    allowed = fetch.header("access-control-allow-origin")
    state = cors_rules.of_fetch(fetch)
    headers = {h.strip().lower() for h in (fetch.header("access-control-allow-headers") or "").split(",")}
    if fetch.error is not None:
        got = describe(fetch)
    elif _redirect(fetch):
        got = f"redirected ({_redirect(fetch)}), which browsers refuse"
    elif fetch.status is None or not 200 <= fetch.status < 300:
        got = f"HTTP {fetch.status}"
    elif state != "ok":
        got = cors_rules.explain(allowed, state)
    elif not headers & {"content-type", "*"}:
        got = "`Access-Control-Allow-Headers` does not allow `Content-Type`"
    else:
        return []
    return [
        finding(
            "livekit-cors-preflight-failed",
            f"{where}: `OPTIONS /sfu/get` from `Origin: {PROBE_ORIGIN}`: {got}.",
        )
    ]
