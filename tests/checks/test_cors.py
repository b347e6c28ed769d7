"""CORS over plain values, as the Fetch standard's "CORS check" judges a response."""

from __future__ import annotations

import pytest

from foci_bot.checks.cors import PROBE_ORIGIN, CorsState, explain, judge, of_fetch, of_hop
from foci_bot.model import Fetch, Hop

ORIGIN = "https://app.element.io"


@pytest.mark.parametrize(
    ("value", "sent", "state"),
    [
        ("*", ORIGIN, "ok"),
        (" * ", ORIGIN, "ok"),
        ("*", None, "ok"),
        (ORIGIN, ORIGIN, "ok"),
        # The match is exact: no trailing slash, no other scheme, no case folding.
        (ORIGIN + "/", ORIGIN, "other-origin"),
        ("http://app.element.io", ORIGIN, "other-origin"),
        ("https://App.Element.io", ORIGIN, "other-origin"),
        ("https://example.org", ORIGIN, "other-origin"),
        (ORIGIN, None, "other-origin"),
        # After a cross-origin redirect the browser sends `Origin: null`; only `*` or `null` pass.
        ("null", "null", "ok"),
        (ORIGIN, "null", "other-origin"),
        # Two headers are joined into one list, which never matches (Fetch standard).
        ("*, *", ORIGIN, "multiple"),
        (f"{ORIGIN}, https://example.org", ORIGIN, "multiple"),
        (None, ORIGIN, "missing"),
        ("", ORIGIN, "missing"),
        ("  ", ORIGIN, "missing"),
    ],
)
def test_judge(value: str | None, sent: str | None, state: CorsState) -> None:
    """`Access-Control-Allow-Origin` passes only as `*` or exactly the request's origin."""
    assert judge(value, sent) == state


@pytest.mark.parametrize(
    ("headers", "origin", "state"),
    [
        ({"access-control-allow-origin": PROBE_ORIGIN}, None, "ok"),
        ({"access-control-allow-origin": "https://other.example"}, "https://other.example", "ok"),
        ({"access-control-allow-origin": PROBE_ORIGIN}, "null", "other-origin"),
        ({}, None, "missing"),
    ],
)
def test_of_fetch(headers: dict[str, str], origin: str | None, state: CorsState) -> None:
    """A fetch is judged against the origin it sent, the probes' origin when none is recorded."""
    assert of_fetch(Fetch(url="https://x.test", status=200, headers=headers, origin=origin)) == state


@pytest.mark.parametrize(
    ("hop", "state"),
    [
        (Hop("https://x.test", 301, "*"), "ok"),
        (Hop("https://x.test", 301, PROBE_ORIGIN), "ok"),
        (Hop("https://x.test", 302, PROBE_ORIGIN, origin="null"), "other-origin"),
        (Hop("https://x.test", 307, None), "missing"),
        (Hop("https://x.test", 308, "*, *"), "multiple"),
    ],
)
def test_of_hop(hop: Hop, state: CorsState) -> None:
    """Every redirect hop is judged like an answer, with the origin sent on that hop."""
    assert of_hop(hop) == state


@pytest.mark.parametrize(
    ("value", "state", "words"),
    [
        (None, "missing", "no `Access-Control-Allow-Origin`"),
        ("*, *", "multiple", "several `Access-Control-Allow-Origin` values (`*, *`), which browsers reject"),
        (
            "https://example.org",
            "other-origin",
            "`Access-Control-Allow-Origin` allows only `https://example.org`, not the caller's origin",
        ),
        ("*", "ok", "CORS allowed"),
    ],
)
def test_explain(value: str | None, state: CorsState, words: str) -> None:
    """Each state is said in words, the remote value quoted as code."""
    assert explain(value, state) == words


def test_explain_quotes_remote_text() -> None:
    """A hostile header value stays inside one code span: its backtick cannot close it."""
    words = explain("<b>@room</b>`", "other-origin")
    assert (
        words
        == "`Access-Control-Allow-Origin` allows only `<b>@\u2060room</b>\u02bc`, not the caller's origin"
    )
