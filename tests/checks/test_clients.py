"""The client rules over plain values: one table row per behaviour, with the code it comes from."""

from __future__ import annotations

import json
from typing import Any

import pytest

from foci_bot.checks import entries
from foci_bot.checks.clients import RULES, Inputs, WellKnownView, decide_clients
from foci_bot.checks.cors import judge
from foci_bot.checks.transports import judge_transports
from foci_bot.model import UNKNOWN, Fetch
from foci_bot.urls import browser_url

URL = "https://rtc.example.org/livekit/jwt"
LK = {"type": "livekit", "livekit_service_url": URL}
CORS = {"access-control-allow-origin": "*", "content-type": "application/json"}
PREFLIGHT_OK = Fetch(
    url="p",
    method="OPTIONS",
    status=200,
    headers={**CORS, "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization"},
)


def endpoint(status: int, body: Any, *, cors: bool = True, preflight: Fetch | None = PREFLIGHT_OK) -> Inputs:
    fetch = Fetch(url="e", status=status, body=json.dumps(body).encode(), headers=CORS if cors else {})
    return Inputs(judge_transports(fetch, preflight), WellKnownView(None, False))


def with_wellknown(
    inputs: Inputs, content: dict[str, Any] | None, *, browser: bool = True, bom: bool = False
) -> Inputs:
    return Inputs(inputs.endpoint, WellKnownView(content, browser, "" if browser else "no CORS", bom))


def answers(inputs: Inputs) -> dict[str, str | None]:
    return {v.client: v.url for v in decide_clients(inputs)}


MISSING = endpoint(404, {"errcode": "M_UNRECOGNIZED"})
WK = {"m.homeserver": {"base_url": "https://m.example.org"}, "org.matrix.msc4143.rtc_foci": [LK]}

# (inputs, element-call, element-web, element-x, element-call-legacy)
CASES: list[tuple[str, Inputs, tuple[str | None, str | None, str | None, str | None]]] = [
    ("401 behind the token", with_wellknown(endpoint(401, {"errcode": "M_MISSING_TOKEN"}), WK), (UNKNOWN, UNKNOWN, UNKNOWN, URL)),
    ("open list", endpoint(200, {"rtc_transports": [LK]}), (URL, URL, URL, None)),
    ("not implemented: hosts fall back", with_wellknown(MISSING, WK), (None, URL, URL, URL)),
    ("200 {}: Element X does not fall back", with_wellknown(endpoint(200, {}), WK), (None, URL, None, URL)),
    ("404 M_NOT_FOUND: no fallback for Element X", with_wellknown(endpoint(404, {"errcode": "M_NOT_FOUND"}), WK), (None, URL, None, URL)),
    ("null entry: Element Call drops the list, ruma rejects it", endpoint(200, {"rtc_transports": [None, LK]}), (None, None, None, None)),
    ("null after the first match is never reached by js", endpoint(200, {"rtc_transports": [LK, None]}), (URL, URL, None, None)),
    ("endpoint without CORS: browsers fall back, Element X reads it", with_wellknown(endpoint(200, {"rtc_transports": [LK]}, cors=False), WK), (None, URL, URL, URL)),
    ("well-known without CORS: only native clients read it", with_wellknown(MISSING, WK, browser=False), (None, None, URL, None)),
    ("BOM: serde_json rejects the well-known", with_wellknown(MISSING, WK, bom=True), (None, URL, None, URL)),
    ("both keys: ruma's duplicate field", with_wellknown(MISSING, {**WK, "m.rtc_foci": [LK]}), (None, URL, None, URL)),
    ("m.rtc_foci only: Element X alone", with_wellknown(MISSING, {"m.rtc_foci": [LK]}), (None, None, URL, None)),
    ("legacy takes [0] without a type check", with_wellknown(MISSING, {"org.matrix.msc4143.rtc_foci": [{"type": "x", "livekit_service_url": "https://o"}, LK]}), (None, URL, URL, "https://o")),
    ("livekit entry without a URL breaks ruma's list", with_wellknown(MISSING, {"org.matrix.msc4143.rtc_foci": [{"type": "livekit"}, LK]}), (None, URL, None, None)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "inputs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_client_rule(name: str, inputs: Inputs, expected: tuple[str | None, ...]) -> None:
    """Each client's answer for this server shape, as its code decides."""
    got = answers(inputs)
    assert tuple(got[rule.client] for rule in RULES) == expected, name


def test_every_rule_cites_its_source() -> None:
    """A rule names the repository file or PR it comes from, and versions where they matter."""
    for rule in RULES:
        assert ("`" in rule.source or "PR #" in rule.source) and rule.label


def test_unreachable_is_unknown_for_everyone() -> None:
    inputs = Inputs(judge_transports(None), WellKnownView(None, False), unreachable=True)
    assert set(answers(inputs).values()) == {UNKNOWN}


def test_endpoint_preflight_must_allow_authorization() -> None:
    """`*` in Access-Control-Allow-Headers does not cover Authorization (Fetch standard)."""
    star = Fetch(url="p", status=200, headers={**CORS, "access-control-allow-headers": "*"})
    inputs = endpoint(401, {"errcode": "M_MISSING_TOKEN"}, preflight=star)
    assert not inputs.endpoint.browser
    assert answers(inputs)["element-call"] is None


@pytest.mark.parametrize(
    ("value", "sent", "state"),
    [
        ("*", "https://app.element.io", "ok"),
        ("https://app.element.io", "https://app.element.io", "ok"),
        ("null", "null", "ok"),
        ("https://element.example.org", "https://app.element.io", "other-origin"),
        ("*, *", "https://app.element.io", "multiple"),
        (None, "https://app.element.io", "missing"),
    ],
)
def test_cors_judge(value: str | None, sent: str, state: str) -> None:
    assert judge(value, sent) == state


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("https://matrix.example.org/", "https://matrix.example.org"),
        (" https://M.Example.org:443/p/?q=1#f ", "https://m.example.org/p"),
        ("https://user:pw@matrix.example.org", "https://matrix.example.org"),
        ("https:matrix.example.org", "https://matrix.example.org"),
        ("https://matrix.example.org:8448", "https://matrix.example.org:8448"),
        ("https://matrix.example.org//", "https://matrix.example.org/"),
        ("ftp://matrix.example.org", None),
        ("https://a b.example.org", None),
        ("https://.example.org", "https://.example.org"),  # browsers keep empty labels
        (42, None),
    ],
)
def test_browser_url(raw: object, read: str | None) -> None:
    """base_url as `new URL()` plus js-sdk's `sanitizeWellKnownUrl` read it."""
    assert browser_url(raw) == read


def test_entry_readers_disagree_as_the_clients_do() -> None:
    odd: list[object] = [{"type": "livekit", "livekit_service_url": 7}, LK]
    assert entries.js_find(odd).kind == "not-a-string"
    assert entries.ruma_first(odd).kind == "throws"
    assert entries.legacy_first(odd).kind == "not-a-string"
    assert entries.js_find(["text", LK]).url == URL  # primitives are skipped, only null throws
