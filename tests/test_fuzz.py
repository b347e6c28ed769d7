"""Seeded random hostile inputs through the pure analyses and renderers: nothing may raise."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from foci_bot.checks.report import analyse
from foci_bot.model import Fetch, FetchError, Observations, ServerName
from foci_bot.render.room import room_sections
from foci_bot.render.room_json import room_json
from foci_bot.render.server import check_json, check_markdown, sections_html, sections_markdown, to_html
from foci_bot.room.analysis import analyse_room
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from foci_bot.text import json_text

# Lone surrogates ("\ud800live"): valid JSON that no UTF-8 output can encode as it is.
VALUES: list[Any] = [None, True, 0, -1, 1.5, "", "x", "https://a.test/x", "wss://a", "http://[", "@room", "<b>", [], {},
                     "\ud800live", "https://a.test/\udfff", "\udc80"]  # fmt: skip
KEYS = ["m.homeserver", "base_url", "type", "livekit_service_url", "org.matrix.msc4143.rtc_foci", "m.rtc_foci",
        "org.matrix.msc4158.rtc_foci", "rtc_transports", "m.identity_server", "errcode", "versions",
        "unstable_features", "expires", "created_ts", "focus_active", "foci_preferred", "focus_selection",
        "users", "events", "state_default", "users_default", "room_version", "additional_creators", "membership",
        "\ud800"]  # fmt: skip
USERS = [
    "@a:a.test",
    "@b:b.test:8448",
    "@c",
    "weird",
    "@d:[::1]:80",
    "",
    "_@a:a.test_DEV_m.call",
    "@\udc80:a.test",
]


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.4:
        return rng.choice(VALUES)
    if roll < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS): _value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def _fetch(rng: random.Random, url: str) -> Fetch:
    if rng.random() < 0.1:
        return Fetch(
            url=url, error=rng.choice(list(FetchError)), detail=rng.choice(["<b>@room</b>", "\udcff"])
        )
    return Fetch(
        url=url, status=rng.choice([200, 200, 401, 404, 500]), body=json.dumps(_value(rng)).encode(),
        headers={"content-type": "application/json", "access-control-allow-origin": rng.choice(["*", "<x>", "\udc80"])},
    )  # fmt: skip


def _encodes(*outputs: str) -> None:
    """Every output is valid UTF-8 as it is (what stdout and Matrix events need)."""
    for text in outputs:
        text.encode("utf-8")


@pytest.mark.parametrize("seed", range(4))
def test_server_analysis_never_raises(seed: int) -> None:
    """Random well-knowns, versions and transports answers give a report that renders safely."""
    rng = random.Random(seed)
    for _ in range(200):
        obs = Observations(
            server=ServerName("a.test"), wellknown=_fetch(rng, "wk"), versions=_fetch(rng, "v"),
            transports_unstable=_fetch(rng, "u"), transports_preflight=_fetch(rng, "v1"),
        )  # fmt: skip
        report = analyse(obs)
        html = to_html(check_markdown([report]))
        assert "<b>" not in html and "@room" not in html
        _encodes(check_markdown([report]), html, json_text(check_json([report])))


@pytest.mark.parametrize("seed", range(4))
def test_room_analysis_never_raises(seed: int) -> None:
    """Random room state (power levels, members, call memberships, slots) never crashes the room check."""
    rng = random.Random(seed)
    types = [
        "m.room.create",
        "m.room.power_levels",
        "m.room.member",
        "org.matrix.msc3401.call.member",
        "org.matrix.msc4143.rtc.slot",
    ]
    for _ in range(120):
        state = []
        for _ in range(rng.randint(0, 12)):
            content = _value(rng)
            content = content if isinstance(content, dict) else {"x": content}
            kind = rng.choice(types)
            if kind == "m.room.member" and rng.random() < 0.7:
                content = {"membership": rng.choice(["join", "invite", "leave", 3])}
            state.append(
                StateEvent(kind, rng.choice(USERS), rng.choice(USERS), content, rng.choice([0, -5, 10**15]))
            )
        report = analyse_room(RoomSnapshot("!r:a.test", tuple(state), 1_800_000_000_000), {})
        sections = room_sections(report)
        assert "@room" not in sections_html(sections)
        _encodes(sections_markdown(sections), sections_html(sections), json_text(room_json(report)))


def test_lone_surrogate_in_wellknown_is_shown_not_dropped() -> None:
    """``"\ud800live"`` from a server reaches every output as U+FFFD + "live"."""
    body = b'{"m.homeserver": {"base_url": "https://a.test"}, "org.matrix.msc4143.rtc_foci":'
    body += b' [{"type": "livekit", "livekit_service_url": "https://lk.a.test/\\ud800live"}]}'
    wellknown = Fetch(url="wk", status=200, body=body, headers={"content-type": "application/json"})
    report = analyse(Observations(server=ServerName("a.test"), wellknown=wellknown))
    outputs = (check_markdown([report]), to_html(check_markdown([report])), json_text(check_json([report])))
    _encodes(*outputs)
    assert all("\ufffdlive" in text for text in outputs)
