"""The pure room analysis, over room snapshots in ``tests/data/rooms/*.json``.

Each file holds a room's state, minimal reports for its members' servers and the expected JSON
(a subset: dicts match key by key, lists element by element with the same length).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from foci_bot.callflow import E2eStep, Federation
from foci_bot.model import Focus, ServerReport, Status
from foci_bot.render.room import BUDGET, content_bytes, room_sections, summary_line
from foci_bot.render.room_json import room_json
from foci_bot.render.server import sections_html
from foci_bot.room.analysis import analyse_room
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from foci_bot.room.verdict import timed_out

ROOMS = sorted((Path(__file__).parent.parent / "data" / "rooms").glob("*.json"))


def snapshot_of(data: dict[str, Any]) -> RoomSnapshot:
    state = tuple(
        StateEvent(e["type"], e["state_key"], e["sender"], e["content"], e.get("origin_server_ts", 0))
        for e in data["state"]
    )
    return RoomSnapshot(data["room_id"], state, data["now_ms"], data.get("name"))


def report_of(server: str, spec: dict[str, Any]) -> ServerReport:
    foci = tuple(Focus(f["source"], f["index"], f["type"], f["livekit_service_url"]) for f in spec["foci"])
    openid = spec.get("federation")
    federation = Federation(f"https://{server}:8448", "default-port", openid) if openid else None
    status: Status = "ok" if spec["transport"] == "working" else "error"
    return ServerReport(
        server=server, status=status, findings=(), foci=foci, clients=(), wellknown_outcome="IGNORE",
        base_url=f"https://{server}", transports_state="auth", probes=spec["probes"],
        transport=spec["transport"], transport_url=spec["transport_url"], federation=federation,
    )  # fmt: skip


def assert_subset(expected: Any, actual: Any, where: str = "") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_subset(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_subset(e, a, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def analyse_file(path: Path) -> tuple[dict[str, Any], Any]:
    data = json.loads(path.read_text())
    reports = {name: report_of(name, spec) for name, spec in data["servers"].items()}
    members = {
        e["state_key"] for e in data["room"]["state"]
        if e["type"] == "m.room.member" and e["content"].get("membership") == "join"
    }  # fmt: skip
    for name in {m.partition(":")[2].lower() for m in members} - set(reports):
        if name in ("slow.test",):
            reports[name] = timed_out(name, 5)
    return data, analyse_room(snapshot_of(data["room"]), reports, data["focus_health"])


@pytest.mark.parametrize("path", ROOMS, ids=[p.stem for p in ROOMS])
def test_room_scenario(path: Path) -> None:
    """Each stored room gives the expected counts, permissions, call state and suggestion."""
    data, report = analyse_file(path)
    out = room_json(report)
    assert_subset(data["expect"], out, path.stem)
    summary = out["summary"]
    total = sum(
        summary[f"members_{k}"] for k in ("can_speak", "listen_only", "openid_unreachable", "unknown")
    )
    assert total == summary["members_total"]
    json.dumps(out)  # JSON-ready
    sections = room_sections(report)
    assert sections[0].body.startswith(f"**{summary['line']}.**")
    assert content_bytes(sections) <= BUDGET


def test_summary_line_example() -> None:
    """The issue's example sentence comes out word for word."""
    from foci_bot.room.verdict import verdict

    reports = {
        "good.test": report_of(
            "good.test", {"transport": "working", "transport_url": None, "foci": [], "probes": {}}
        ),
        "x.test": report_of("x.test", {"transport": "none", "transport_url": None, "foci": [], "probes": {}}),
        "y.test": report_of(
            "y.test", {"transport": "broken", "transport_url": None, "foci": [], "probes": {}}
        ),
    }
    v = verdict({"good.test": 42, "x.test": 5, "y.test": 3}, reports)
    assert summary_line(v, 3) == (
        "Calls work for 42 of 50 members; 8 members on 2 servers can listen but not speak; "
        "3 members lack permission to join"
    )


def _hostile_room(servers: int, per_server: int) -> tuple[RoomSnapshot, dict[str, ServerReport]]:
    evil = "@room <b>x</b> [y](https://evil.test) `z`"
    state: list[StateEvent] = [
        StateEvent("m.room.create", "", "@a:s0.test", {"room_version": "12"}),
        StateEvent("m.room.power_levels", "", "@a:s0.test", {"users": {}, "state_default": 50}),
    ]
    reports = {}
    for s in range(servers):
        name = f"s{s}-{'x' * 40}.test"
        for u in range(per_server):
            user = f"@{'u' * 60}{u}:{name}"
            state.append(StateEvent("m.room.member", user, user, {"membership": "join"}))
        reports[name] = report_of(
            name, {"transport": "none", "transport_url": None, "foci": [], "probes": {}}
        )
    call = {"application": "m.call", "focus_active": 3, "foci_preferred": [evil]}
    for u in range(200):
        state.append(StateEvent("org.matrix.msc3401.call.member", f"_{evil}{u}", f"@{u}:s0.test", call, 1))
    return RoomSnapshot("!big:s0.test", tuple(state), 10, name=evil), reports


def test_huge_room_fits_one_event_and_pings_no_one() -> None:
    """1,000 servers x 5 members, hostile names: capped with counts, under budget, nothing live."""
    snapshot, reports = _hostile_room(1000, 5)
    report = analyse_room(snapshot, reports)
    assert report.verdict.members_total == 5000 and len(report.permission.cannot_join) == 5000
    sections = room_sections(report)
    size = content_bytes(sections)
    assert size <= BUDGET < 64 * 1024
    text = "\n".join(s.body for s in sections)
    assert "more servers not shown" in text and "more not shown" in text
    html = sections_html(sections)
    assert "<b>" not in html and "href" not in html and "@room" not in html and "@room" not in text
    assert "<details>" in html


@pytest.mark.parametrize("value", ["+-5", "--5", "²", "1e3", "9" * 40, "", [], {}, True])
def test_odd_power_levels_never_crash(value: Any) -> None:
    """Power levels that are not integers (or integer strings) are reported as problems, not crashes."""
    from foci_bot.room.analysis import permission

    state = (
        StateEvent("m.room.create", "", "@a:a.test", {"room_version": "10"}),
        StateEvent("m.room.member", "@a:a.test", "@a:a.test", {"membership": "join"}),
        StateEvent(
            "m.room.power_levels", "", "@a:a.test", {"users": {"@a:a.test": value}, "users_default": value}
        ),
    )
    result = permission(RoomSnapshot("!r:a.test", state, 0), ["@a:a.test"])
    assert result.required == 50


def test_verified_own_server_says_so_in_the_room() -> None:
    """A server whose token flow was verified end to end is marked so in the room's server lines."""
    step = E2eStep("https://j.test", "/sfu/get", 200, None, "wss://s.test", 200, "ok")
    plain = report_of("a.test", {"transport": "working", "transport_url": None, "foci": [], "probes": {}})
    member = StateEvent("m.room.member", "@u:a.test", "@u:a.test", {"membership": "join"})
    snapshot = RoomSnapshot("!r:a.test", (member,), 0)
    for e2e, marked in ((None, False), ((step,), True)):
        report = analyse_room(snapshot, {"a.test": replace(plain, e2e=e2e)})
        assert report.verdict.can_speak == 1
        text = "\n".join(s.body for s in room_sections(report))
        assert ("verified end to end" in text) is marked
