"""The transports endpoint (MSC4143) over plain values: each answer's state, findings and browser view."""

from __future__ import annotations

import json

import pytest

from foci_bot.checks.transports import ANSWERED, GAVE_NOTHING, classify, judge_transports
from foci_bot.model import TRANSPORTS_UNSTABLE, EndpointState, Fetch, FetchError, Hop

URL = "https://matrix.example.org" + TRANSPORTS_UNSTABLE
LK_URL = "https://rtc.example.org/livekit/jwt"
LK = {"type": "livekit", "livekit_service_url": LK_URL}
JSON = {"content-type": "application/json", "access-control-allow-origin": "*"}
HTML = {"content-type": "text/html", "access-control-allow-origin": "*"}
TEXT = {"content-type": "text/plain"}


def answer(
    status: int | None,
    body: object = b"",
    *,
    headers: dict[str, str] | None = None,
    error: FetchError | None = None,
    hops: tuple[Hop, ...] = (),
    method: str = "GET",
) -> Fetch:
    """One answer; `body` as bytes is served verbatim, anything else as JSON."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(
        url=URL,
        method=method,
        status=status,
        headers=JSON if headers is None else headers,
        body=raw,
        error=error,
        detail="refused" if error else "",
        hops=hops,
    )


@pytest.mark.parametrize(
    ("fetch", "state", "listed"),
    [
        (None, "not-checked", 0),
        (answer(None, error=FetchError.CONNECT), "error", 0),
        (answer(None, error=FetchError.TLS), "error", 0),
        (answer(401, {"errcode": "M_MISSING_TOKEN"}), "auth", 0),
        (answer(401, b""), "auth", 0),
        # ruma `is_endpoint_not_implemented`: only 404 with `M_UNRECOGNIZED` means "not implemented".
        (answer(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}), "missing", 0),
        (answer(404, {"errcode": "M_NOT_FOUND"}), "not-found", 0),
        (answer(404, b"<html><body>404 Not Found</body></html>", headers=HTML), "proxy-404", 0),
        (answer(404, b"404 page not found", headers=TEXT), "proxy-404", 0),
        (answer(404, b""), "proxy-404", 0),
        (answer(404, {"errcode": 404}), "proxy-404", 0),
        (answer(405, {"errcode": "M_UNRECOGNIZED"}), "error", 0),
        (answer(500, {"errcode": "M_UNKNOWN"}), "error", 0),
        (answer(502, b"Bad Gateway", headers=TEXT), "error", 0),
        (answer(403, {"errcode": "M_FORBIDDEN"}), "error", 0),
        (answer(200, {"rtc_transports": [LK]}), "listed", 1),
        (answer(200, {"rtc_transports": [LK, {"type": "x"}, None]}), "listed", 2),
        (answer(200, {"rtc_transports": [None]}), "listed", 0),
        (answer(200, {"rtc_transports": []}), "empty", 0),
        # Synapse with `msc4143_enabled` and nothing configured answers `{}` (element-x-android#7659).
        (answer(200, {}), "empty-object", 0),
        (answer(200, {"transports": [LK]}), "empty-object", 0),
        (answer(200, {"rtc_transports": {"0": LK}}), "invalid", 0),
        (answer(200, {"rtc_transports": None}), "invalid", 0),
        (answer(200, [LK]), "invalid", 0),
        (answer(200, b"<html>Element</html>", headers=HTML), "invalid", 0),
        (answer(200, b""), "invalid", 0),
    ],
)
def test_classify(fetch: Fetch | None, state: EndpointState, listed: int) -> None:
    """Each answer falls into the one state that decides what clients do next."""
    got, foci, _, _ = classify(fetch, TRANSPORTS_UNSTABLE)
    assert (got, len(foci)) == (state, listed)


@pytest.mark.parametrize(
    ("state", "answered", "gave_nothing"),
    [
        ("listed", True, False),
        ("auth", True, False),
        ("empty", True, True),
        ("empty-object", True, True),
        ("missing", False, True),
        ("not-found", False, True),
        ("proxy-404", False, True),
        ("invalid", False, True),
        ("error", False, True),
        ("not-checked", False, True),
    ],
)
def test_state_sets(state: EndpointState, answered: bool, gave_nothing: bool) -> None:
    """Implemented-or-not and gave-a-list-or-not are read off the state alone."""
    assert (state in ANSWERED, state in GAVE_NOTHING) == (answered, gave_nothing)


def test_raw_list_kept_as_served() -> None:
    """The raw `rtc_transports` list is kept verbatim for the client readers, odd entries included."""
    raw = [None, LK, {"type": "x"}]
    assert judge_transports(answer(200, {"rtc_transports": raw})).raw == tuple(raw)
    assert judge_transports(answer(200, {"rtc_transports": []})).raw == ()
    assert judge_transports(answer(200, {})).raw is None


PREFLIGHT_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization",
}
PREFLIGHT = answer(204, headers=PREFLIGHT_HEADERS, method="OPTIONS")


@pytest.mark.parametrize(
    ("fetch", "authenticated", "codes"),
    [
        (answer(401, {"errcode": "M_MISSING_TOKEN"}), False, {"transports-endpoint-auth"}),
        # Our own token refused: that is an error, not the expected 401.
        (answer(401, {"errcode": "M_UNKNOWN_TOKEN"}), True, {"transports-endpoint-error"}),
        (answer(200, {"rtc_transports": [LK]}), False, {"transports-endpoint-open"}),
        (answer(200, {"rtc_transports": [LK]}), True, set()),
        (
            answer(200, {"rtc_transports": []}),
            False,
            {"transports-endpoint-open", "transports-endpoint-empty"},
        ),
        (answer(200, {}), False, {"transports-endpoint-open", "transports-endpoint-empty"}),
        (answer(200, {}), True, {"transports-endpoint-empty"}),
        (
            answer(200, {"rtc_transports": [{"type": "livekit"}]}),
            False,
            {"transports-endpoint-open", "focus-missing-url"},
        ),
        (answer(404, {"errcode": "M_UNRECOGNIZED"}), False, {"transports-endpoint-missing"}),
        (answer(404, {"errcode": "M_NOT_FOUND"}), False, {"transports-endpoint-404"}),
        (answer(404, b"<html>", headers=HTML), False, {"transports-endpoint-404"}),
        (answer(200, [LK]), False, {"transports-endpoint-invalid"}),
        (answer(503, b""), False, {"transports-endpoint-error"}),
        (answer(None, error=FetchError.TIMEOUT), False, {"transports-endpoint-error"}),
        (None, False, set()),
    ],
)
def test_judge_transports_findings(fetch: Fetch | None, authenticated: bool, codes: set[str]) -> None:
    """Each state gets its one finding, with the entries' own findings when a list is served."""
    got = judge_transports(fetch, PREFLIGHT, authenticated)
    assert {f.code for f in got.findings} == codes


@pytest.mark.parametrize(
    ("message_part", "fetch"),
    [
        ("errcode `M_NOT_FOUND`, not `M_UNRECOGNIZED`", answer(404, {"errcode": "M_NOT_FOUND"})),
        ("a non-Matrix body (`text/html`), probably from a proxy", answer(404, b"<html>", headers=HTML)),
        ("a non-Matrix body (`no content type`), probably from a proxy", answer(404, b"", headers={})),
    ],
)
def test_404_says_what_answered(message_part: str, fetch: Fetch) -> None:
    """A 404 that is not `M_UNRECOGNIZED` says whether Matrix or a proxy answered."""
    (found,) = judge_transports(fetch, PREFLIGHT).findings
    assert message_part in found.message


LIST = {"rtc_transports": [LK]}


def preflight(status: int = 204, extra: dict[str, str] | None = None) -> Fetch:
    return answer(status, headers={**PREFLIGHT_HEADERS, **(extra or {})}, method="OPTIONS")


@pytest.mark.parametrize(
    ("fetch", "pre", "browser", "why"),
    [
        (answer(200, LIST), PREFLIGHT, True, ""),
        (answer(200, LIST), None, True, ""),
        (answer(200, LIST), preflight(200), True, ""),
        (answer(401, {"errcode": "M_MISSING_TOKEN"}), PREFLIGHT, True, ""),
        (answer(200, LIST), answer(None, error=FetchError.TIMEOUT), False, "the CORS preflight failed"),
        (answer(200, LIST), preflight(405), False, "the CORS preflight answers HTTP 405"),
        (
            answer(200, LIST),
            preflight(301, {"location": "https://u:pw@x.test/"}),
            False,
            "the CORS preflight is redirected (301 to `https://***@\u2060x.test/`)",  # U+2060: never a mention
        ),
        (
            answer(200, LIST),
            preflight(extra={"access-control-allow-origin": "https://example.org"}),
            False,
            "the CORS preflight has `Access-Control-Allow-Origin` allows only",
        ),
        # Fetch standard, CORS-preflight fetch: `*` in Allow-Headers does not cover `Authorization`.
        (
            answer(200, LIST),
            preflight(extra={"access-control-allow-headers": "*"}),
            False,
            "the CORS preflight does not list `Authorization`",
        ),
        (answer(200, LIST), preflight(extra={"access-control-allow-headers": " authorization "}), True, ""),
        (
            answer(200, LIST, headers={"content-type": "application/json"}),
            PREFLIGHT,
            False,
            "the answer has no `Access-Control-Allow-Origin`",
        ),
        (
            answer(200, LIST, hops=(Hop("http://matrix.example.org/x", 301, None),)),
            PREFLIGHT,
            False,
            "the 301 redirect from `http://matrix.example.org/x` has no",
        ),
        (answer(200, LIST, hops=(Hop("http://matrix.example.org/x", 301, "*"),)), PREFLIGHT, True, ""),
        (answer(None, error=FetchError.CONNECT), PREFLIGHT, False, "no answer"),
        (None, None, False, "no answer"),
    ],
)
def test_browser_view(fetch: Fetch | None, pre: Fetch | None, browser: bool, why: str) -> None:
    """Browsers send the user's token, so the preflight and the answer must both pass CORS."""
    got = judge_transports(fetch, pre)
    assert (got.browser, got.browser_why.startswith(why), got.browser_why == "") == (browser, True, browser)


@pytest.mark.parametrize(
    ("fetch", "flagged"),
    [
        (answer(200, LIST), True),
        (answer(200, {}), True),
        (answer(401, b""), True),
        (answer(404, {"errcode": "M_UNRECOGNIZED"}), False),
        (answer(500, b""), False),
    ],
)
def test_no_cors_only_when_answered(fetch: Fetch, flagged: bool) -> None:
    """A browser-blocked endpoint is a finding only when the endpoint is implemented."""
    got = judge_transports(fetch, preflight(403))
    assert ("transports-endpoint-no-cors" in {f.code for f in got.findings}) is flagged
