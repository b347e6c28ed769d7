"""lk-jwt-service probes without credentials, interpreted (domain.md §3, §5.8-5.10)."""

from __future__ import annotations

from foci_bot.catalogue import finding
from foci_bot.checks.fetchfail import failure_finding
from foci_bot.model import Fetch, FetchError, Finding, ProbeResult
from foci_bot.text import quote

HEALTHY, BROKEN, UNREACHABLE, BLOCKED = "healthy", "broken", "unreachable", "blocked"
PROBE_ORIGIN = "https://call.element.io"


def judge_probe(probe: ProbeResult) -> tuple[str, list[Finding]]:
    """Health of one lk-jwt-service base URL and the findings that explain it."""
    where = quote(probe.url)
    answered = [f for f in (probe.healthz, probe.sfu_get, probe.get_token) if f.error is None]
    if not answered:
        failed = probe.sfu_get
        health = BLOCKED if failed.error is FetchError.BLOCKED else UNREACHABLE
        return health, [
            failure_finding(
                failed, "lk-jwt-service", tls_code="livekit-tls-error", other_code="livekit-unreachable"
            )
        ]
    findings: list[Finding] = []
    healthz, sfu, token = _status(probe.healthz), _status(probe.sfu_get), _status(probe.get_token)
    if healthz == sfu == token == 404:
        findings.append(
            finding(
                "livekit-prefix-not-stripped",
                f"{where}: `/healthz`, `/sfu/get` and `/get_token` all answer 404.",
            )
        )
        return BROKEN, findings
    if any(s is not None and s >= 500 for s in (sfu, token)):
        findings.append(
            finding(
                "livekit-backend-error",
                f"{where}: `/sfu/get` answers {_show(sfu)}, `/get_token` {_show(token)}.",
            )
        )
    elif sfu != 405 and token != 405:
        findings.append(
            finding(
                "livekit-not-jwt-service",
                f"{where}: `GET /sfu/get` answers {_show(sfu)} and `GET /get_token` {_show(token)}; lk-jwt-service answers 405.",
            )
        )
    elif sfu == 405 and token == 404:
        findings.append(
            finding("livekit-outdated", f"{where}: `/get_token` answers 404 while `/sfu/get` answers 405.")
        )
    if healthz != 200:
        findings.append(
            finding("livekit-healthz-failed", f"{where}: `GET /healthz` answers {_show(healthz)}.")
        )
    findings.extend(_preflight(probe.preflight, where))
    broken = any(f.severity == "error" for f in findings)
    return (BROKEN if broken else HEALTHY), findings


def _preflight(fetch: Fetch, where: str) -> list[Finding]:
    allowed = fetch.header("access-control-allow-origin")
    if (
        fetch.error is None
        and fetch.status is not None
        and 200 <= fetch.status < 300
        and allowed in ("*", PROBE_ORIGIN)
    ):
        return []
    if fetch.error is not None:
        got = fetch.error.value
    elif fetch.status is None or not 200 <= fetch.status < 300:
        got = f"HTTP {fetch.status}"
    else:
        got = f"`Access-Control-Allow-Origin` is {quote(allowed) if allowed else 'missing'}"
    return [finding("livekit-cors-preflight-failed", f"{where}: `OPTIONS /sfu/get` from an `Origin`: {got}.")]


def _status(fetch: Fetch) -> int | None:
    return fetch.status if fetch.error is None else None


def _show(status: int | None) -> str:
    return "nothing" if status is None else str(status)
