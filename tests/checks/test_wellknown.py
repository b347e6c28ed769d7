"""The client well-known over plain values: outcomes as matrix-js-sdk's `AutoDiscovery` reaches them."""

from __future__ import annotations

import json

import pytest

from foci_bot.checks.wellknown import (
    FAIL_ERROR,
    FAIL_PROMPT,
    IGNORE,
    OK,
    judge_versions,
    read_wellknown,
)
from foci_bot.model import Fetch, FetchError, Hop

URL = "https://example.org/.well-known/matrix/client"
HEADERS = {"content-type": "application/json", "access-control-allow-origin": "*"}
BASE = "https://matrix.example.org"


def wk(
    body: object = None,
    *,
    status: int | None = 200,
    headers: dict[str, str] | None = None,
    error: FetchError | None = None,
    hops: tuple[Hop, ...] = (),
) -> Fetch:
    """A well-known answer; `body` as bytes is served verbatim, anything else as JSON."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    return Fetch(
        url=URL,
        status=None if error else status,
        headers=HEADERS if headers is None else headers,
        body=raw,
        error=error,
        detail="boom" if error else "",
        hops=hops,
        final_url=URL,
    )


def hs(base_url: object) -> dict[str, object]:
    return {"m.homeserver": {"base_url": base_url}}


@pytest.mark.parametrize(
    ("fetch", "outcome", "base_url", "codes"),
    [
        # Spec, "Well-known URI" (client-server API, Server Discovery): 404 is IGNORE, other errors FAIL_PROMPT.
        (wk({"errcode": "M_NOT_FOUND"}, status=404), IGNORE, None, {"wellknown-not-found"}),
        (wk(b"<html>", status=404), IGNORE, None, {"wellknown-not-found"}),
        (wk(b"", status=500), FAIL_PROMPT, None, {"wellknown-http-error"}),
        (wk(hs(BASE), status=403), FAIL_PROMPT, None, {"wellknown-http-error"}),
        (wk(b""), FAIL_PROMPT, None, {"wellknown-invalid-json"}),
        (wk(b"{"), FAIL_PROMPT, None, {"wellknown-invalid-json"}),
        (wk(b"<html>hi</html>"), FAIL_PROMPT, None, {"wellknown-invalid-json"}),
        (wk([hs(BASE)]), FAIL_PROMPT, None, {"wellknown-invalid-json"}),
        (wk(b"[" * 100 + b"]" * 100), FAIL_PROMPT, None, {"wellknown-too-large"}),
        # js-sdk `AutoDiscovery.fromDiscoveryConfig`: a missing or falsy base_url is FAIL_PROMPT.
        (wk({}), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk({"m.homeserver": {}}), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk({"m.homeserver": "https://m"}), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk(hs("")), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk(hs(None)), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk(hs(0)), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        (wk(hs(False)), FAIL_PROMPT, None, {"wellknown-no-base-url"}),
        # Truthy in JavaScript, so js-sdk goes on to parse them as URLs, and fails.
        (wk(hs(True)), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs([])), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs("0")), FAIL_ERROR, None, {"base-url-invalid"}),
        # ...and one that is not a valid URL is FAIL_ERROR.
        (wk(hs(42)), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs("matrix.example.org")), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs("ftp://matrix.example.org")), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs("https://")), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs("https://user:pw@matrix.example.org")), FAIL_ERROR, None, {"base-url-invalid"}),
        (wk(hs(BASE)), OK, BASE, set()),
        (wk(hs(BASE + "/")), OK, BASE, set()),
        (wk(hs("https://matrix.example.org:443/")), OK, BASE, set()),
        (wk(hs(" https://Matrix.Example.org ")), OK, BASE, {"base-url-lenient"}),
        (wk(hs("https://matrix.example.org/?x=1")), OK, BASE, {"base-url-lenient"}),
        (wk(b"\xef\xbb\xbf" + json.dumps(hs(BASE)).encode()), OK, BASE, {"wellknown-bom"}),
        (
            wk(hs(BASE), headers={"access-control-allow-origin": "*"}),
            OK,
            BASE,
            {"wellknown-content-type"},
        ),
        (
            wk(hs(BASE), headers={**HEADERS, "content-type": "application/json; charset=utf-8"}),
            OK,
            BASE,
            set(),
        ),
        (
            wk(hs(BASE), headers={"content-type": "text/plain"}),
            OK,
            BASE,
            {"wellknown-no-cors", "wellknown-content-type"},
        ),
        (wk({**hs(BASE), "im.vector.riot.jitsi": {}}), OK, BASE, set()),
        (wk({**hs(BASE), "jitsi": {}}), OK, BASE, {"wellknown-key-naming"}),
        # js-sdk judges the identity server apart: the homeserver stays OK.
        (
            wk({**hs(BASE), "m.identity_server": {"base_url": 5}}),
            OK,
            BASE,
            {"wellknown-identity-server-invalid"},
        ),
        (wk({**hs(BASE), "m.identity_server": {"base_url": "https://vector.im"}}), OK, BASE, set()),
        (wk(error=FetchError.TIMEOUT), FAIL_PROMPT, None, {"wellknown-unreachable"}),
        (wk(error=FetchError.DNS), FAIL_PROMPT, None, {"wellknown-unreachable"}),
        (wk(error=FetchError.TLS), FAIL_PROMPT, None, {"wellknown-tls-error"}),
        (wk(error=FetchError.BLOCKED), FAIL_PROMPT, None, {"address-blocked"}),
        (wk(error=FetchError.TOO_LARGE), FAIL_PROMPT, None, {"wellknown-too-large"}),
        (wk(error=FetchError.REDIRECT_LOOP), FAIL_PROMPT, None, {"wellknown-redirect-failed"}),
        (wk(error=FetchError.NOT_HTTPS), FAIL_PROMPT, None, {"wellknown-redirect-failed"}),
    ],
)
def test_read_wellknown(fetch: Fetch, outcome: str, base_url: str | None, codes: set[str]) -> None:
    """Each answer gets js-sdk's outcome, the base URL as a browser reads it, and exactly these findings."""
    got = read_wellknown(fetch)
    assert (got.outcome, got.base_url, {f.code for f in got.findings}) == (outcome, base_url, codes)


MOVED_OK = Hop("https://example.org/.well-known/matrix/client", 301, "*")
MOVED_BARE = Hop("https://example.org/.well-known/matrix/client", 301, None)
MOVED_OTHER = Hop("https://example.org/.well-known/matrix/client", 302, "https://example.org")


@pytest.mark.parametrize(
    ("fetch", "cors", "codes"),
    [
        (wk(hs(BASE)), True, set()),
        (
            wk(hs(BASE), headers={**HEADERS, "access-control-allow-origin": "https://app.element.io"}),
            True,
            set(),
        ),
        (
            wk(hs(BASE), headers={**HEADERS, "access-control-allow-origin": "https://example.org"}),
            False,
            {"wellknown-no-cors"},
        ),
        (
            wk(hs(BASE), headers={**HEADERS, "access-control-allow-origin": "*, *"}),
            False,
            {"wellknown-no-cors"},
        ),
        (wk(hs(BASE), headers={"content-type": "application/json"}), False, {"wellknown-no-cors"}),
        # Fetch standard, HTTP-redirect fetch: every hop of a cross-origin redirect needs CORS too.
        (wk(hs(BASE), hops=(MOVED_OK,)), True, {"wellknown-redirected"}),
        (wk(hs(BASE), hops=(MOVED_BARE,)), False, {"wellknown-redirected", "wellknown-redirect-no-cors"}),
        (
            wk(hs(BASE), hops=(MOVED_OK, MOVED_OTHER)),
            False,
            {"wellknown-redirected", "wellknown-redirect-no-cors"},
        ),
        # A 404 is still read by a browser when CORS allows it: that decides IGNORE vs FAIL_PROMPT in js-sdk.
        (wk(b"", status=404), True, {"wellknown-not-found"}),
        (wk(b"", status=404, headers={}), False, {"wellknown-not-found"}),
    ],
)
def test_wellknown_cors(fetch: Fetch, cors: bool, codes: set[str]) -> None:
    """A browser may read the well-known only when the answer and every redirect hop pass CORS."""
    got = read_wellknown(fetch)
    assert (got.cors, {f.code for f in got.findings}) == (cors, codes)


@pytest.mark.parametrize(
    ("fetch", "why"),
    [
        (wk(hs(BASE)), ""),
        (
            wk(hs(BASE), headers={"content-type": "application/json"}),
            "the answer has no `Access-Control-Allow-Origin`",
        ),
        (
            wk(hs(BASE), headers={**HEADERS, "access-control-allow-origin": "https://a, https://b"}),
            "the answer has several",
        ),
        (wk(hs(BASE), hops=(MOVED_BARE,)), "the 301 redirect from"),
        (
            wk(hs(BASE), hops=(MOVED_OTHER,), headers={"content-type": "application/json"}),
            "the 302 redirect from",
        ),
    ],
)
def test_wellknown_cors_why(fetch: Fetch, why: str) -> None:
    """Why a browser may not read the well-known names the first failing hop, else the answer."""
    got = read_wellknown(fetch).cors_why
    assert got.startswith(why) and (got == "") == (why == "")


@pytest.mark.parametrize(
    ("body", "bom"),
    [(b"\xef\xbb\xbf" + json.dumps(hs(BASE)).encode(), True), (json.dumps(hs(BASE)).encode(), False)],
)
def test_wellknown_bom_flag(body: bytes, bom: bool) -> None:
    """A leading UTF-8 BOM is noted: browsers skip it, serde_json (ruma, Element X) does not."""
    assert read_wellknown(wk(body)).bom is bom


def versions(body: object, status: int | None = 200, error: FetchError | None = None) -> Fetch:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(url=BASE + "/_matrix/client/versions", status=status, body=raw, error=error)


@pytest.mark.parametrize(
    ("fetch", "ok", "msc4143", "codes"),
    [
        (
            versions({"versions": ["v1.11"], "unstable_features": {"org.matrix.msc4143": True}}),
            True,
            True,
            set(),
        ),
        (versions({"versions": ["v1.11"]}), True, False, {"versions-no-msc4143"}),
        (
            versions({"versions": ["v1.1"], "unstable_features": {"org.matrix.msc4143": "true"}}),
            True,
            False,
            {"versions-no-msc4143"},
        ),
        # matrix-js-sdk `version-support.js`: a server listing none of the supported versions fails.
        (versions({"versions": ["r0.6.1"]}), False, False, {"base-url-versions-failed"}),
        (versions({"versions": ["v1.99", 11]}), False, False, {"base-url-versions-failed"}),
        (versions({"versions": "v1.11"}), False, False, {"base-url-versions-failed"}),
        (versions({}), False, False, {"base-url-versions-failed"}),
        (versions(b"not json"), False, False, {"base-url-versions-failed"}),
        (versions({"versions": ["v1.11"]}, status=502), False, False, {"base-url-versions-failed"}),
        (versions(b"", status=None, error=FetchError.CONNECT), False, False, {"base-url-versions-failed"}),
        (versions(b"", status=None, error=FetchError.TLS), False, False, {"base-url-versions-failed"}),
        (versions(b"", status=None, error=FetchError.BLOCKED), False, False, {"address-blocked"}),
    ],
)
def test_judge_versions(fetch: Fetch, ok: bool, msc4143: bool, codes: set[str]) -> None:
    """`/_matrix/client/versions` must list a supported version; MSC4143 is read from `unstable_features`."""
    got = judge_versions(BASE, fetch)
    assert (got.ok, got.msc4143, {f.code for f in got.findings}) == (ok, msc4143, codes)
