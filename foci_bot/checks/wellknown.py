"""The client well-known, judged as the spec's Server Discovery section says (domain.md §2)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from foci_bot.catalogue import finding
from foci_bot.checks.fetchfail import failure_finding
from foci_bot.jsonsafe import JsonProblem, decode
from foci_bot.model import FOCI_KEYS, Fetch, FetchError, Finding
from foci_bot.text import quote
from foci_bot.urls import http_url, without_credentials

IGNORE, FAIL_PROMPT, FAIL_ERROR, OK = "IGNORE", "FAIL_PROMPT", "FAIL_ERROR", "OK"
_JAVA_KEY = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+", re.IGNORECASE)
_SPEC_KEYS = {"m.homeserver", "m.identity_server", *FOCI_KEYS}


@dataclass(frozen=True, slots=True)
class WellKnown:
    """The well-known as far as it can be judged without the versions request."""

    outcome: str
    content: Mapping[str, object] | None
    base_url: str | None  # without trailing "/"; None when absent or invalid
    cors: bool
    findings: tuple[Finding, ...]


def read_wellknown(fetch: Fetch) -> WellKnown:
    """Judge the well-known answer; versions are judged separately by :func:`judge_versions`."""
    findings: list[Finding] = []
    what = "Client well-known"
    for hop in fetch.hops:
        if hop.cors != "*":
            findings.append(
                finding(
                    "wellknown-redirect-no-cors",
                    f"Redirect {hop.status} from {quote(hop.url)} has no `Access-Control-Allow-Origin: *`.",
                )
            )
    if fetch.hops and fetch.error is None:
        findings.append(
            finding(
                "wellknown-redirected",
                f"{what} is reached through {len(fetch.hops)} redirect(s), ending at {quote(fetch.final_url)}.",
            )
        )
    if fetch.error in (
        FetchError.REDIRECT_LOOP,
        FetchError.TOO_MANY_REDIRECTS,
        FetchError.NOT_HTTPS,
        FetchError.BAD_REDIRECT,
    ):
        findings.append(finding("wellknown-redirect-failed", f"{what}: {quote(fetch.detail)}."))
        return WellKnown(FAIL_PROMPT, None, None, False, tuple(findings))
    if fetch.error is FetchError.TOO_LARGE:
        findings.append(finding("wellknown-too-large", f"{what} refused: {quote(fetch.detail)}."))
        return WellKnown(FAIL_PROMPT, None, None, False, tuple(findings))
    if fetch.error is not None:
        findings.append(
            failure_finding(fetch, what, tls_code="wellknown-tls-error", other_code="wellknown-unreachable")
        )
        return WellKnown(FAIL_PROMPT, None, None, False, tuple(findings))
    cors = fetch.header("access-control-allow-origin") == "*"
    if fetch.status == 404:
        findings.append(finding("wellknown-not-found", f"{what} at {quote(fetch.url)} answers 404."))
        return WellKnown(IGNORE, None, None, cors, tuple(findings))
    if fetch.status != 200:
        findings.append(
            finding("wellknown-http-error", f"{what} at {quote(fetch.url)} answers HTTP {fetch.status}.")
        )
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings))
    if not cors:
        seen = fetch.header("access-control-allow-origin")
        shown = quote(seen) if seen else "none"
        findings.append(
            finding("wellknown-no-cors", f"{what} has no `Access-Control-Allow-Origin: *` (found: {shown}).")
        )
    content_type = (fetch.header("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        findings.append(
            finding(
                "wellknown-content-type",
                f"{what} is served as {quote(content_type or 'no content type')}, not `application/json`.",
            )
        )
    try:
        content = decode(fetch.body)
    except JsonProblem as problem:
        code = "wellknown-too-large" if problem.kind == "too-deep" else "wellknown-invalid-json"
        findings.append(finding(code, f"{what}: {quote(problem)}."))
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings))
    if not isinstance(content, dict):
        findings.append(
            finding("wellknown-invalid-json", f"{what} is JSON but not an object ({type(content).__name__}).")
        )
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings))
    findings.extend(_key_naming(content))
    homeserver = content.get("m.homeserver")
    raw_base = homeserver.get("base_url") if isinstance(homeserver, dict) else None
    if raw_base is None:
        findings.append(finding("wellknown-no-base-url", f"{what} has no `m.homeserver.base_url`."))
        return WellKnown(FAIL_PROMPT, content, None, cors, tuple(findings))
    base_url = http_url(raw_base)
    if base_url is None:
        shown = without_credentials(raw_base) if isinstance(raw_base, str) else raw_base
        why = "carries a user name and password" if shown != raw_base else "is not an http(s) URL"
        findings.append(finding("base-url-invalid", f"`m.homeserver.base_url` {why}: {quote(shown)}."))
        return WellKnown(FAIL_ERROR, content, None, cors, tuple(findings))
    identity = content.get("m.identity_server")
    if identity is not None and (
        not isinstance(identity, dict) or http_url(identity.get("base_url")) is None
    ):
        findings.append(
            finding("wellknown-identity-server-invalid", "`m.identity_server` has no valid `base_url`.")
        )
        return WellKnown(FAIL_PROMPT, content, base_url, cors, tuple(findings))
    return WellKnown(OK, content, base_url, cors, tuple(findings))


def _key_naming(content: Mapping[str, object]) -> list[Finding]:
    odd = [key for key in content if key not in _SPEC_KEYS and not _JAVA_KEY.fullmatch(key)]
    if not odd:
        return []
    shown = ", ".join(quote(key, 60) for key in odd[:5])
    return [finding("wellknown-key-naming", f"Well-known keys not in Java-package naming: {shown}.")]


@dataclass(frozen=True, slots=True)
class Versions:
    ok: bool
    msc4143: bool
    findings: tuple[Finding, ...]


def judge_versions(base_url: str, fetch: Fetch) -> Versions:
    """``GET {base_url}/_matrix/client/versions`` must answer a ``versions`` list (FAIL_ERROR otherwise)."""
    what = quote(f"{base_url}/_matrix/client/versions")
    if fetch.error is not None:
        return Versions(
            False,
            False,
            (
                failure_finding(
                    fetch, what, tls_code="base-url-versions-failed", other_code="base-url-versions-failed"
                ),
            ),
        )
    body: object = None
    if fetch.status == 200:
        try:
            body = decode(fetch.body)
        except JsonProblem:
            body = None
    versions = body.get("versions") if isinstance(body, dict) else None
    if fetch.status != 200 or not isinstance(versions, list):
        got = f"HTTP {fetch.status}" if fetch.status != 200 else "no `versions` list"
        return Versions(False, False, (finding("base-url-versions-failed", f"{what}: {got}."),))
    unstable = body.get("unstable_features") if isinstance(body, dict) else None
    msc4143 = isinstance(unstable, dict) and unstable.get("org.matrix.msc4143") is True
    findings: tuple[Finding, ...] = ()
    if not msc4143:
        findings = (
            finding("versions-no-msc4143", "`unstable_features` does not list `org.matrix.msc4143` as true."),
        )
    return Versions(True, msc4143, findings)
