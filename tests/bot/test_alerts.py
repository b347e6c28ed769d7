"""Watch alerts and lists as markdown (pure): content, digests, and remote text kept inert."""

from __future__ import annotations

from foci_bot.bot import reply
from foci_bot.bot.alerts import WatchLine, alert_sections, history_markdown, watching_markdown
from foci_bot.bot.watchstate import Change, RoomCounts, Summary
from foci_bot.model import Finding
from foci_bot.render.size import MAX_CONTENT_BYTES, content_size

OK = Summary("ok", "Calls work: users can join and publish through `https://lk.example.org`.")
BROKEN = Summary(
    "error",
    "Calls fail: the call backend clients use (`https://lk.example.org`) is broken.",
    (
        Finding("focus-unhealthy", "error", "The focus answers 502.", "Start lk-jwt-service."),
        Finding("wellknown-no-cors", "warning", "No CORS.", "Add the header."),
    ),
    "broken",
)
HOSTILE = "evil.test:8448"


def test_single_alert_says_old_new_codes_users_and_fixes() -> None:
    (section,) = alert_sections([Change("c1", "example.org", OK, BROKEN, 0)])
    text = section.body
    assert "`example.org` changed: ok → **error**" in text
    assert "Users now see: Calls fail" in text
    assert "`focus-unhealthy`: The focus answers 502." in text and "*Fix:* Start lk-jwt-service." in text
    assert "1970-01-01 00:00:00 UTC" in text
    assert "Resolved" not in text


def test_recovery_says_so_and_lists_what_went_away() -> None:
    (section,) = alert_sections([Change("c2", "example.org", BROKEN, OK, 0)])
    assert "recovered: error → **ok**" in section.body
    assert "**Resolved**" in section.body and "`focus-unhealthy`" in section.body
    assert "*Fix:*" not in section.body


def test_room_alert_counts_members() -> None:
    before = Summary("ok", "", room=RoomCounts(members=4, can_speak=4, can_join=4))
    after = Summary(
        "warning", "2 of 4 members can speak.", room=RoomCounts(members=4, can_speak=2, can_join=4)
    )
    (section,) = alert_sections([Change("c3", "room", before, after, 0)])
    assert (
        "this room: call readiness changed: 4/4 can speak, 4/4 can join → 2/4 can speak, 4/4 can join"
        in section.body
    )


def test_many_changes_make_one_digest() -> None:
    changes = [Change(f"c{i}", f"s{i}.example.org", OK, BROKEN, i) for i in range(50)]
    sections = alert_sections(changes)
    assert sections[0].body.startswith("**50 watched targets changed**")
    assert sum(1 for s in sections if s.summary) == 50
    content = reply.notice(sections)  # one message, within the size limit
    assert content_size(content) <= MAX_CONTENT_BYTES
    assert content["m.mentions"] == {} and content["msgtype"] == "m.notice"


def test_remote_targets_are_code_spans() -> None:
    change = Change("c", "@room", OK, BROKEN, 0)
    (section,) = alert_sections([change])
    assert "`@\u2060room`" in section.body
    lines = watching_markdown([WatchLine("@room", BROKEN, 0)], 50)
    assert "`@\u2060room`" in lines


def test_watching_and_history() -> None:
    text = watching_markdown(
        [WatchLine("example.org", BROKEN, 60_000, pending=True), WatchLine("room", None, 0)], 50
    )
    assert "watches 2 of at most 50" in text
    assert "`example.org`: error since 1970-01-01 00:01:00 UTC (a change is being confirmed)" in text
    assert "this room: not checked yet" in text
    assert "watches nothing" in watching_markdown([], 50)
    history = history_markdown(
        "example.org",
        [Change("b", "example.org", BROKEN, OK, 120_000), Change("a", "example.org", OK, BROKEN, 60_000)],
        0,
    )
    lines = history.splitlines()
    assert "00:02:00" in lines[2] and "recovered" in lines[2]
    assert "00:01:00" in lines[3] and "watching started" in lines[4]
    assert "not watched here" in history_markdown("example.org", [], None)
