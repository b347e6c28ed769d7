"""The MSC4143 transports endpoint, asked without a token (domain.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

from foci_bot.catalogue import finding
from foci_bot.checks.fetchfail import describe
from foci_bot.checks.foci import foci_list
from foci_bot.jsonsafe import JsonProblem, decode
from foci_bot.model import TRANSPORTS_UNSTABLE, TRANSPORTS_V1, Fetch, Finding, Focus
from foci_bot.text import quote

# States, from what clients do with each answer:
LISTED = "listed"  # 200 with at least one entry: clients use it
EMPTY = "empty"  # 200 with none: clients use it, and do NOT fall back to the well-known
AUTH = "auth"  # 401: implemented; the list is only visible with a token
MISSING = "missing"  # 404 M_UNRECOGNIZED: not implemented; hosts fall back to the well-known
NOT_FOUND = "not-found"  # 404 without M_UNRECOGNIZED: a proxy's 404; no fallback
INVALID = "invalid"  # 200 with a body that is not a transports list
ERROR = "error"  # any other status, or no answer
NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True)
class Transports:
    state: str
    v1_state: str
    foci: tuple[Focus, ...]
    findings: tuple[Finding, ...]


def classify(fetch: Fetch | None, path: str) -> tuple[str, list[Focus], list[Finding]]:
    """One path's answer -> (state, foci listed, findings about the list's entries)."""
    if fetch is None:
        return NOT_CHECKED, [], []
    if fetch.error is not None:
        return ERROR, [], []
    body: object = None
    try:
        body = decode(fetch.body)
    except JsonProblem:
        body = None
    errcode = body.get("errcode") if isinstance(body, dict) else None
    if fetch.status == 401:
        return AUTH, [], []
    if fetch.status == 404:
        return (MISSING if errcode == "M_UNRECOGNIZED" else NOT_FOUND), [], []
    if fetch.status != 200:
        return ERROR, [], []
    if not isinstance(body, dict):
        return INVALID, [], []
    if "rtc_transports" not in body:
        return EMPTY, [], []
    value = body["rtc_transports"]
    if isinstance(value, list) and not value:
        return EMPTY, [], []
    if not isinstance(value, list):
        return INVALID, [], []
    foci, findings = foci_list(value, path)
    return LISTED, foci, findings


def judge_transports(unstable: Fetch | None, v1: Fetch | None, authenticated: bool = False) -> Transports:
    """Judge both paths; clients call the unstable one, so it decides the state."""
    state, foci, findings = classify(unstable, TRANSPORTS_UNSTABLE)
    v1_state, _, _ = classify(v1, TRANSPORTS_V1)
    where = quote(unstable.url) if unstable is not None else "the transports endpoint"
    if state == AUTH and authenticated:
        findings.append(
            finding("transports-endpoint-error", f"{where} refused foci-bot's own access token (401).")
        )
    elif state == AUTH:
        findings.append(
            finding("transports-endpoint-auth", f"{where} answers 401: implemented, needs a token.")
        )
    elif state in (LISTED, EMPTY):
        count = len(foci)
        if not authenticated:
            findings.append(
                finding(
                    "transports-endpoint-open",
                    f"{where} answers 200 without a token, listing {count} transport(s).",
                )
            )
        if state == EMPTY:
            findings.append(finding("transports-endpoint-empty", f"{where} answers 200 with no transports."))
    elif state == MISSING:
        findings.append(finding("transports-endpoint-missing", f"{where} answers 404 `M_UNRECOGNIZED`."))
    elif state == NOT_FOUND:
        findings.append(finding("transports-endpoint-404", f"{where} answers 404 without `M_UNRECOGNIZED`."))
    elif state == INVALID:
        findings.append(
            finding("transports-endpoint-invalid", f"{where} answers 200 without a `rtc_transports` list.")
        )
    elif state == ERROR and unstable is not None:
        findings.append(finding("transports-endpoint-error", f"{where}: {describe(unstable)}."))
    if state in (LISTED, EMPTY, AUTH) and v1_state in (MISSING, NOT_FOUND):
        findings.append(finding("transports-v1-missing", f"`{TRANSPORTS_V1}` answers 404."))
    if state in (MISSING, NOT_FOUND) and v1_state in (LISTED, EMPTY, AUTH):
        findings.append(
            finding("transports-only-v1", f"`{TRANSPORTS_V1}` works but the unstable path does not.")
        )
    return Transports(state, v1_state, tuple(foci), tuple(findings))
