"""The raw observations as JSON-ready facts, over plain values: what `--json` shows of each fetch."""

from __future__ import annotations

import json

import pytest

from foci_bot.checks.facts import facts, fetch_facts
from foci_bot.model import Fetch, FetchError, Hop, Observations, ProbeResult
from foci_bot.servername import parse_server_name

URL = "https://example.org/.well-known/matrix/client"
FINAL = "https://matrix.example.org/.well-known/matrix/client"
ANSWER = Fetch(
    url=URL,
    status=200,
    headers={"content-type": "application/json", "access-control-allow-origin": "*", "server": "nginx"},
    body=b'{"access_token": "syt_secret"}',
    final_url=FINAL,
    hops=(Hop(URL, 301, None, "https://app.element.io"),),
    elapsed_ms=12.5,
    origin="null",
)


@pytest.mark.parametrize(
    ("fetch", "key", "value"),
    [
        (ANSWER, "url", URL),
        (ANSWER, "final_url", FINAL),
        (ANSWER, "status", 200),
        (ANSWER, "error", None),
        (ANSWER, "detail", None),
        (ANSWER, "content_type", "application/json"),
        (ANSWER, "cors", "*"),
        (ANSWER, "origin", "null"),
        (
            ANSWER,
            "redirects",
            [{"url": URL, "status": 301, "cors": None, "origin": "https://app.element.io"}],
        ),
        (ANSWER, "elapsed_ms", 12.5),
        (Fetch(url=URL, status=404), "content_type", None),
        (Fetch(url=URL, status=404), "cors", None),
        (Fetch(url=URL, status=404), "redirects", []),
        (Fetch(url=URL, error=FetchError.TIMEOUT, detail="10 s"), "error", "timeout"),
        (Fetch(url=URL, error=FetchError.TIMEOUT, detail="10 s"), "detail", "10 s"),
        (Fetch(url=URL, error=FetchError.BLOCKED), "error", "blocked-address"),
        (Fetch(url=URL, error=FetchError.BLOCKED), "status", None),
    ],
)
def test_fetch_facts(fetch: Fetch, key: str, value: object) -> None:
    """Each fetch is shown as plain JSON values: status, error name, headers that matter, hops."""
    shown = fetch_facts(fetch)
    assert shown is not None and shown[key] == value


def test_fetch_facts_shape() -> None:
    """No body and no other header is shown: remote bodies may carry secrets."""
    shown = fetch_facts(ANSWER)
    assert shown is not None and "syt_secret" not in json.dumps(shown)
    assert set(shown) == {
        "url",
        "final_url",
        "status",
        "error",
        "detail",
        "content_type",
        "cors",
        "origin",
        "redirects",
        "elapsed_ms",
    }
    assert fetch_facts(None) is None


LK = "https://rtc.example.org/livekit/jwt"
BAD_JSON = Fetch(url=LK, status=400, body=b'{"errcode":"M_BAD_JSON"}')
PLAIN_404 = Fetch(url=LK, status=404, body=b"404 page not found")


@pytest.mark.parametrize(
    ("observations", "key", "value"),
    [
        (Observations(server=parse_server_name("example.org"), wellknown=ANSWER), "versions", None),
        (
            Observations(server=parse_server_name("example.org"), wellknown=ANSWER),
            "transports_unstable",
            None,
        ),
        (Observations(server=parse_server_name("example.org"), wellknown=ANSWER), "probes", {}),
        (Observations(server=parse_server_name("example.org"), wellknown=ANSWER), "base_url_assumed", False),
        (
            Observations(server=parse_server_name("example.org"), wellknown=ANSWER, base_url_assumed=True),
            "base_url_assumed",
            True,
        ),
        (
            Observations(server=parse_server_name("example.org"), wellknown=ANSWER, deadline_hit=True),
            "deadline_hit",
            True,
        ),
        (
            Observations(server=parse_server_name("example.org"), wellknown=ANSWER),
            "wellknown",
            fetch_facts(ANSWER),
        ),
        (
            Observations(
                server=parse_server_name("example.org"), wellknown=ANSWER, transports_preflight=PLAIN_404
            ),
            "transports_preflight",
            fetch_facts(PLAIN_404),
        ),
    ],
)
def test_facts(observations: Observations, key: str, value: object) -> None:
    """The observations are shown fetch by fetch, unjudged."""
    assert facts(observations)[key] == value


@pytest.mark.parametrize(
    ("sfu_get", "reaches"),
    [
        (BAD_JSON, "lk-jwt-service"),
        (PLAIN_404, "another server"),
        (
            Fetch(url=LK, status=200, headers={"content-type": "text/html"}, body=b"Element Call"),
            "the Element Call web app",
        ),
    ],
)
def test_probe_facts(sfu_get: Fetch, reaches: str) -> None:
    """Each probe shows its five fetches and, in words, which server the URL reaches."""
    probe = ProbeResult(
        url=LK, preflight=PLAIN_404, sfu_get=sfu_get, get_token=BAD_JSON, healthz=PLAIN_404, root=PLAIN_404
    )
    shown = facts(
        Observations(server=parse_server_name("example.org"), wellknown=ANSWER, probes={LK: probe})
    )["probes"]
    assert shown == {
        LK: {
            "preflight": fetch_facts(PLAIN_404),
            "sfu_get": fetch_facts(sfu_get),
            "get_token": fetch_facts(BAD_JSON),
            "healthz": fetch_facts(PLAIN_404),
            "root": fetch_facts(PLAIN_404),
            "reaches": reaches,
        }
    }
