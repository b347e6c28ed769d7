"""lk-jwt-service probes over plain values: which answers prove the service, and what each failure means.

The proof is a JSON `400 M_BAD_JSON` (or `M_NOT_JSON`) to `POST {}`: lk-jwt-service answers it before
looking at any credential (element-hq/lk-jwt-service `main.go`, `handleSFUGet`/`handleGetToken`).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from foci_bot.checks.livekit import (
    BLOCKED,
    BROKEN,
    HEALTHY,
    UNREACHABLE,
    judge_probe,
    reaches_service,
    what_answers,
)
from foci_bot.model import Fetch, FetchError, ProbeResult

URL = "https://rtc.example.org/livekit/jwt"
CORS = {"access-control-allow-origin": "*", "content-type": "application/json"}
HTML = {"content-type": "text/html; charset=utf-8"}
TEXT = {"content-type": "text/plain; charset=utf-8"}


def got(
    status: int | None,
    body: object = b"",
    *,
    headers: dict[str, str] | None = None,
    error: FetchError | None = None,
) -> Fetch:
    """One answer; `body` as bytes is served verbatim, anything else as JSON."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(
        url=URL,
        status=status,
        headers=CORS if headers is None else headers,
        body=raw,
        error=error,
        detail="x",
    )


BAD_JSON = got(400, {"errcode": "M_BAD_JSON", "error": "Missing room parameter"})
NOT_JSON = got(400, {"errcode": "M_NOT_JSON", "error": "Error reading request"})
PLAIN_404 = got(404, b"404 page not found", headers=TEXT)
PREFLIGHT = got(
    200, headers={**CORS, "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization"}
)
# A standalone lk-jwt-service, as its `main.go` answers without credentials.
SERVICE = ProbeResult(
    url=URL,
    preflight=PREFLIGHT,
    sfu_get=BAD_JSON,
    get_token=BAD_JSON,
    healthz=got(200, b"", headers={}),
    root=PLAIN_404,
)
DOWN = got(None, error=FetchError.CONNECT)


@pytest.mark.parametrize(
    ("fetch", "reaches"),
    [
        (BAD_JSON, True),
        (NOT_JSON, True),
        (got(400, {"errcode": "M_MISSING_PARAM"}), False),
        (got(400, b"M_BAD_JSON", headers=TEXT), False),
        (got(401, {"errcode": "M_BAD_JSON"}), False),
        (got(200, {"jwt": "x", "url": "wss://sfu"}), False),
        (got(None, error=FetchError.TIMEOUT), False),
    ],
)
def test_reaches_service(fetch: Fetch, reaches: bool) -> None:
    """Only a JSON 400 `M_BAD_JSON`/`M_NOT_JSON` to `POST {}` proves lk-jwt-service answered."""
    assert reaches_service(fetch) is reaches


@pytest.mark.parametrize(
    ("probe", "health", "codes"),
    [
        (SERVICE, HEALTHY, []),
        (replace(SERVICE, sfu_get=NOT_JSON, get_token=NOT_JSON), HEALTHY, []),
        # ESS (element-hq/ess-helm `matrix-rtc/ingress.yaml`) sends `/healthz` to LiveKit: supporting evidence only.
        (replace(SERVICE, healthz=PLAIN_404), HEALTHY, ["livekit-healthz-failed"]),
        (replace(SERVICE, healthz=DOWN), HEALTHY, ["livekit-healthz-failed"]),
        # Older lk-jwt-service has no `/get_token`: only Element Call's `matrix_2_0` mode fails.
        (replace(SERVICE, get_token=PLAIN_404), HEALTHY, ["livekit-outdated"]),
        (replace(SERVICE, get_token=got(405, b"", headers={})), HEALTHY, ["livekit-outdated"]),
        # A path prefix the proxy does not strip: every route is the service's own plain 404.
        (
            replace(SERVICE, sfu_get=PLAIN_404, get_token=PLAIN_404, healthz=PLAIN_404),
            BROKEN,
            ["livekit-healthz-failed", "livekit-prefix-not-stripped"],
        ),
        # A Matrix 404 is not the service's plain one: something else answers.
        (
            replace(
                SERVICE,
                sfu_get=got(404, {"errcode": "M_UNRECOGNIZED"}),
                get_token=PLAIN_404,
                healthz=PLAIN_404,
            ),
            BROKEN,
            ["livekit-healthz-failed", "livekit-not-jwt-service"],
        ),
        (replace(SERVICE, sfu_get=PLAIN_404, get_token=PLAIN_404), BROKEN, ["livekit-not-jwt-service"]),
        (replace(SERVICE, sfu_get=got(405, b"", headers={})), BROKEN, ["livekit-not-jwt-service"]),
        (replace(SERVICE, sfu_get=got(502, b"Bad Gateway", headers=TEXT)), BROKEN, ["livekit-backend-error"]),
        (replace(SERVICE, sfu_get=got(500, {"errcode": "M_UNKNOWN"})), BROKEN, ["livekit-backend-error"]),
        (
            replace(SERVICE, sfu_get=got(301, headers={"location": URL + "/sfu/get/"})),
            BROKEN,
            ["livekit-redirect"],
        ),
        (replace(SERVICE, sfu_get=got(308, headers={})), BROKEN, ["livekit-redirect"]),
        (
            replace(SERVICE, sfu_get=got(200, b"<html>Element Call</html>", headers=HTML)),
            BROKEN,
            ["livekit-not-jwt-service"],
        ),
        (replace(SERVICE, sfu_get=got(None, error=FetchError.TIMEOUT)), BROKEN, ["livekit-unreachable"]),
        (replace(SERVICE, sfu_get=got(None, error=FetchError.TLS)), BROKEN, ["livekit-tls-error"]),
        # Nothing answered at all: one cause, said once.
        (
            ProbeResult(url=URL, preflight=DOWN, sfu_get=DOWN, get_token=DOWN, healthz=DOWN, root=DOWN),
            UNREACHABLE,
            ["livekit-unreachable"],
        ),
        (
            ProbeResult(
                url=URL,
                preflight=got(None, error=FetchError.TLS),
                sfu_get=got(None, error=FetchError.TLS),
                get_token=got(None, error=FetchError.TLS),
                healthz=got(None, error=FetchError.TLS),
                root=got(None, error=FetchError.TLS),
            ),
            UNREACHABLE,
            ["livekit-tls-error"],
        ),
        (
            ProbeResult(
                url=URL,
                preflight=got(None, error=FetchError.BLOCKED),
                sfu_get=got(None, error=FetchError.BLOCKED),
                get_token=got(None, error=FetchError.BLOCKED),
                healthz=got(None, error=FetchError.BLOCKED),
                root=got(None, error=FetchError.BLOCKED),
            ),
            BLOCKED,
            ["address-blocked"],
        ),
    ],
)
def test_judge_probe(probe: ProbeResult, health: str, codes: list[str]) -> None:
    """Each probe gets one health and the findings that explain it, one cause said once."""
    state, found = judge_probe(probe)
    assert (state, sorted(f.code for f in found)) == (health, codes)


def _preflight(status: int = 200, extra: dict[str, str | None] | None = None) -> Fetch:
    """The service's preflight with `extra` headers changed (None: removed)."""
    merged = {**PREFLIGHT.headers, **(extra or {})}
    return got(status, headers={k: v for k, v in merged.items() if v is not None})


@pytest.mark.parametrize(
    ("preflight", "answer", "health", "codes"),
    [
        (_preflight(), BAD_JSON, HEALTHY, []),
        (_preflight(204), BAD_JSON, HEALTHY, []),
        (_preflight(extra={"access-control-allow-headers": "*"}), BAD_JSON, HEALTHY, []),
        (_preflight(extra={"access-control-allow-headers": "content-type"}), BAD_JSON, HEALTHY, []),
        (_preflight(extra={"access-control-allow-origin": "https://app.element.io"}), BAD_JSON, HEALTHY, []),
        # Element Call POSTs JSON: the preflight must allow `Content-Type` (Fetch standard, CORS-preflight fetch).
        (
            _preflight(extra={"access-control-allow-headers": "Authorization"}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (
            _preflight(extra={"access-control-allow-headers": None}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (
            _preflight(extra={"access-control-allow-origin": None}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (
            _preflight(extra={"access-control-allow-origin": "https://example.org"}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (
            _preflight(extra={"access-control-allow-origin": "*, *"}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (_preflight(405), BAD_JSON, BROKEN, ["livekit-cors-preflight-failed"]),
        (
            _preflight(301, {"location": "https://elsewhere.example.org"}),
            BAD_JSON,
            BROKEN,
            ["livekit-cors-preflight-failed"],
        ),
        (got(None, error=FetchError.TIMEOUT), BAD_JSON, BROKEN, ["livekit-cors-preflight-failed"]),
        # The browser must also be allowed to read the POST's answer; said once when both fail.
        (_preflight(), replace(BAD_JSON, headers={}), BROKEN, ["livekit-cors-preflight-failed"]),
        (_preflight(405), replace(BAD_JSON, headers={}), BROKEN, ["livekit-cors-preflight-failed"]),
        # Where the route does not reach the service, that is the one cause: no preflight finding.
        (_preflight(405), got(502, b"", headers={}), BROKEN, ["livekit-backend-error"]),
        (got(None, error=FetchError.TIMEOUT), PLAIN_404, BROKEN, ["livekit-not-jwt-service"]),
    ],
)
def test_judge_probe_cors(preflight: Fetch, answer: Fetch, health: str, codes: list[str]) -> None:
    """A service a browser may not call (preflight or answer without CORS) is broken."""
    state, found = judge_probe(replace(SERVICE, preflight=preflight, sfu_get=answer))
    assert (state, sorted(f.code for f in found)) == (health, codes)


@pytest.mark.parametrize(
    ("probe", "words"),
    [
        (SERVICE, "lk-jwt-service"),
        (
            replace(SERVICE, sfu_get=got(200, b"<html><title>Element Call</title>", headers=HTML)),
            "the Element Call web app",
        ),
        (replace(SERVICE, sfu_get=got(200, b"<html>nginx</html>", headers=HTML)), "a web page (HTML)"),
        (
            replace(SERVICE, sfu_get=PLAIN_404, root=got(200, b"<html>Element Call</html>", headers=HTML)),
            "the Element Call web app",
        ),
        # LiveKit's HTTP server answers `GET /` with `OK` (livekit/livekit `pkg/service/server.go`).
        (
            replace(SERVICE, sfu_get=PLAIN_404, root=got(200, b"OK", headers=TEXT)),
            "LiveKit (`GET /` answers `OK`)",
        ),
        (
            replace(SERVICE, sfu_get=PLAIN_404, root=got(200, b"OK\n", headers=TEXT)),
            "LiveKit (`GET /` answers `OK`)",
        ),
        (replace(SERVICE, sfu_get=PLAIN_404, root=got(200, b"OKAY", headers=TEXT)), "another server"),
        (
            replace(SERVICE, sfu_get=got(404, b"", headers={"server": "nginx/1.25"})),
            "another server (`nginx/1.25`)",
        ),
        (replace(SERVICE, sfu_get=DOWN, root=DOWN), "another server"),
    ],
)
def test_what_answers(probe: ProbeResult, words: str) -> None:
    """The kind of server a URL reaches is named from the answers' bodies and headers."""
    assert what_answers(probe) == words


@pytest.mark.parametrize(
    ("probe", "code", "part"),
    [
        # A trailing `/` makes `…//sfu/get`, which many proxies redirect.
        (
            replace(SERVICE, url=URL + "/", sfu_get=got(301, headers={"location": URL + "/sfu/get"})),
            "livekit-redirect",
            "the trailing `/` in `livekit_service_url` makes `//sfu/get`",
        ),
        (
            replace(SERVICE, sfu_get=got(302, headers={"location": "https://u:pw@login.example.org"})),
            "livekit-redirect",
            "302 to `https://***@\u2060login.example.org`",  # masked, and U+2060: never a mention
        ),
        (
            replace(SERVICE, url=URL + "/sfu/get", sfu_get=PLAIN_404, get_token=PLAIN_404),
            "livekit-not-jwt-service",
            "the URL already ends with `/sfu/get`; clients append the route to it",
        ),
        (
            replace(SERVICE, healthz=PLAIN_404),
            "livekit-healthz-failed",
            "normal where only the service routes reach lk-jwt-service, as in ESS",
        ),
        (replace(SERVICE, get_token=PLAIN_404), "livekit-outdated", "NO_MATRIX_2_0_AUTHORIZATION_SERVICE"),
    ],
)
def test_messages_name_the_cause(probe: ProbeResult, code: str, part: str) -> None:
    """Messages say the likely cause of a failure, with remote text masked and quoted."""
    messages = [f.message for f in judge_probe(probe)[1] if f.code == code]
    assert len(messages) == 1 and part in messages[0]
