"""The client well-known, judged as the spec's Server Discovery section and matrix-js-sdk's
``AutoDiscovery`` (``lib/autodiscovery.js``) judge it, read as a browser reads it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from foci_bot.catalogue import finding
from foci_bot.checks import cors as cors_rules
from foci_bot.checks.fetchfail import failure_finding
from foci_bot.jsonsafe import JsonProblem, decode
from foci_bot.model import FOCI_KEYS, Fetch, FetchError, Finding, WellKnownOutcome
from foci_bot.text import quote
from foci_bot.urls import browser_url, has_credentials, http_url, without_credentials

IGNORE: WellKnownOutcome = "IGNORE"
FAIL_PROMPT: WellKnownOutcome = "FAIL_PROMPT"
FAIL_ERROR: WellKnownOutcome = "FAIL_ERROR"
OK: WellKnownOutcome = "OK"
_JAVA_KEY = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+", re.IGNORECASE)
_SPEC_KEYS = {"m.homeserver", "m.identity_server", *FOCI_KEYS}
_BOM = b"\xef\xbb\xbf"
#: matrix-js-sdk ``version-support.js`` SUPPORTED_MATRIX_VERSIONS: a server listing none fails.
SUPPORTED_VERSIONS = frozenset(f"v1.{n}" for n in range(1, 14))


@dataclass(frozen=True, slots=True)
class WellKnown:
    """The well-known as far as it can be judged without the versions request."""

    outcome: WellKnownOutcome
    content: Mapping[str, object] | None
    base_url: str | None  # as a browser reads it, without trailing "/"; None when absent or invalid
    cors: bool  # a browser may read it: CORS passes on the answer and on every redirect hop
    findings: tuple[Finding, ...]
    bom: bool = False  # starts with a UTF-8 BOM: browsers skip it, serde_json (ruma) does not
    cors_why: str = ""  # why a browser may not read it, in words


def read_wellknown(fetch: Fetch) -> WellKnown:
    """Judge the well-known answer; versions are judged separately by :func:`judge_versions`."""
    findings: list[Finding] = []
    what = "Client well-known"
    hops_ok = True
    why = ""
    for hop in fetch.hops:
        state = cors_rules.of_hop(hop)
        if state != "ok":
            hops_ok = False
            why = (
                why
                or f"the {hop.status} redirect from {quote(hop.url)} has {cors_rules.explain(hop.cors, state)}"
            )
            findings.append(
                finding(
                    "wellknown-redirect-no-cors",
                    f"Redirect {hop.status} from {quote(hop.url)}: {cors_rules.explain(hop.cors, state)}.",
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
    cors_state = cors_rules.of_fetch(fetch)
    cors = cors_state == "ok" and hops_ok
    if cors_state != "ok" and not why:
        why = f"the answer has {cors_rules.explain(fetch.header('access-control-allow-origin'), cors_state)}"
    if fetch.status == 404:
        findings.append(finding("wellknown-not-found", f"{what} at {quote(fetch.url)} answers 404."))
        return WellKnown(IGNORE, None, None, cors, tuple(findings))
    if fetch.status != 200:
        findings.append(
            finding("wellknown-http-error", f"{what} at {quote(fetch.url)} answers HTTP {fetch.status}.")
        )
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings))
    if cors_state != "ok":
        seen = fetch.header("access-control-allow-origin")
        findings.append(
            finding(
                "wellknown-no-cors",
                f"{what} from `Origin: {fetch.origin or cors_rules.PROBE_ORIGIN}`: {cors_rules.explain(seen, cors_state)}.",
            )
        )
    content_type = (fetch.header("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        findings.append(
            finding(
                "wellknown-content-type",
                f"{what} is served as {quote(content_type or 'no content type')}, not `application/json`.",
            )
        )
    body = fetch.body
    bom = body.startswith(_BOM)
    if bom:
        # Browsers' `Response.json()` skips a BOM; serde_json (ruma, Element X) does not (inference).
        body = body[len(_BOM) :]
        findings.append(finding("wellknown-bom", f"{what} starts with a UTF-8 byte order mark (BOM)."))
    try:
        content = decode(body)
    except JsonProblem as problem:
        code = "wellknown-too-large" if problem.kind == "too-deep" else "wellknown-invalid-json"
        findings.append(finding(code, f"{what}: {quote(problem)}."))
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings), bom, why)
    if not isinstance(content, dict):
        findings.append(
            finding("wellknown-invalid-json", f"{what} is JSON but not an object ({type(content).__name__}).")
        )
        return WellKnown(FAIL_PROMPT, None, None, cors, tuple(findings), bom, why)
    findings.extend(_key_naming(content))
    homeserver = content.get("m.homeserver")
    raw_base = homeserver.get("base_url") if isinstance(homeserver, dict) else None
    if raw_base is None or raw_base == "" or raw_base is False or raw_base == 0:
        # js-sdk: a missing or falsy base_url is FAIL_PROMPT.
        findings.append(finding("wellknown-no-base-url", f"{what} has no `m.homeserver.base_url`."))
        return WellKnown(FAIL_PROMPT, content, None, cors, tuple(findings), bom, why)
    if isinstance(raw_base, str) and has_credentials(raw_base):
        # js-sdk would drop the userinfo; foci-bot refuses it so that no password is ever sent or shown.
        shown = quote(without_credentials(raw_base))
        findings.append(
            finding("base-url-invalid", f"`m.homeserver.base_url` carries a user name and password: {shown}.")
        )
        return WellKnown(FAIL_ERROR, content, None, cors, tuple(findings), bom, why)
    base_url = browser_url(raw_base)
    if base_url is None:
        shown = quote(raw_base) if isinstance(raw_base, str) else f"a {type(raw_base).__name__}"
        findings.append(
            finding("base-url-invalid", f"`m.homeserver.base_url` is not an http(s) URL: {shown}.")
        )
        return WellKnown(FAIL_ERROR, content, None, cors, tuple(findings), bom, why)
    strict = http_url(raw_base)
    if strict is None:
        findings.append(
            finding(
                "base-url-lenient",
                f"`m.homeserver.base_url` {quote(raw_base)} is read by browsers as {quote(base_url)}.",
            )
        )
    identity = content.get("m.identity_server")
    if identity is not None and (
        not isinstance(identity, dict) or browser_url(identity.get("base_url")) is None
    ):
        # js-sdk judges the identity server apart: the homeserver outcome stays OK.
        findings.append(
            finding("wellknown-identity-server-invalid", "`m.identity_server` has no valid `base_url`.")
        )
    return WellKnown(OK, content, base_url, cors, tuple(findings), bom, why)


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
    if not SUPPORTED_VERSIONS & {v for v in versions if isinstance(v, str)}:
        return Versions(
            False, False, (finding("base-url-versions-failed", f"{what}: lists none of v1.1–v1.13."),)
        )
    unstable = body.get("unstable_features") if isinstance(body, dict) else None
    msc4143 = isinstance(unstable, dict) and unstable.get("org.matrix.msc4143") is True
    findings: tuple[Finding, ...] = ()
    if not msc4143:
        findings = (
            finding("versions-no-msc4143", "`unstable_features` does not list `org.matrix.msc4143` as true."),
        )
    return Versions(True, msc4143, findings)
