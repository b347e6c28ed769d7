"""Watch decisions (pure): what counts as a change, confirmation, batching, IDs, round trips."""

from __future__ import annotations

from dataclasses import replace

import pytest

from foci_bot.bot.watchstate import (
    Change,
    RoomCounts,
    Summary,
    WatchState,
    batch_id,
    change_id,
    send_at_ms,
    server_summary,
    step,
)
from foci_bot.callflow import E2eStep
from foci_bot.model import Finding
from foci_bot.room.verdict import timed_out

OK = Summary("ok", "Calls work.")
FOCUS_DOWN = Summary(
    "error",
    "Calls fail.",
    (Finding("focus-unhealthy", "error", "The focus is down.", "Start lk-jwt-service."),),
    "broken",
)
FOCUS_DOWN_OTHER_TEXT = Summary(
    "error",
    "Calls fail through another URL.",
    (Finding("focus-unhealthy", "error", "Other words.", "Other hint."),),
    "broken",
)
WARN = Summary("warning", "Calls work.", (Finding("wellknown-no-cors", "warning", "No CORS.", "Add CORS."),))
CONFIRM = 60_000
KW = {"room_id": "!r:x", "target": "example.org"}


def test_first_check_is_the_baseline_and_says_nothing() -> None:
    result = step(WatchState(), FOCUS_DOWN, 1000, CONFIRM, **KW)
    assert result.kind == "first" and result.change is None
    assert result.state.baseline == FOCUS_DOWN and result.state.since_ms == 1000


@pytest.mark.parametrize(
    ("new", "same"),
    [
        (OK, True),
        (Summary("ok", "Calls work through another URL."), True),  # wording is not a change
        (FOCUS_DOWN, False),
        (WARN, False),
    ],
)
def test_what_counts_as_a_change(new: Summary, same: bool) -> None:
    assert (new.key() == OK.key()) is same


def test_room_key_is_who_is_left_out() -> None:
    """A member joining who can speak changes nothing; one who cannot is a change."""
    base = Summary("ok", "", room=RoomCounts(members=4, can_speak=4, can_join=4))
    joined_fine = Summary("ok", "", room=RoomCounts(members=5, can_speak=5, can_join=5))
    lost_speech = Summary("warning", "", room=RoomCounts(members=4, can_speak=2, can_join=4))
    lost_join = Summary("warning", "", room=RoomCounts(members=4, can_speak=4, can_join=3))
    assert joined_fine.key() == base.key()
    assert lost_speech.key() != base.key() and lost_join.key() != base.key()


def steps(confirm_ms: int, *checks: tuple[int, Summary]) -> list[str]:
    state = WatchState(baseline=OK, since_ms=0)
    kinds: list[str] = []
    for at, summary in checks:
        result = step(state, summary, at, confirm_ms, **KW)
        state = result.state
        kinds.append(result.kind)
    return kinds


@pytest.mark.parametrize(
    ("confirm_ms", "checks", "kinds"),
    [
        # A change is announced only when a check confirm_after later still shows it.
        (CONFIRM, [(1000, FOCUS_DOWN), (61_000, FOCUS_DOWN)], ["pending", "confirmed"]),
        # A flap: gone by the confirming check, nothing is announced.
        (CONFIRM, [(1000, FOCUS_DOWN), (61_000, OK)], ["pending", "steady"]),
        # A check pulled forward before confirm_after does not confirm early.
        (
            CONFIRM,
            [(1000, FOCUS_DOWN), (5000, FOCUS_DOWN), (61_000, FOCUS_DOWN)],
            ["pending", "pending", "confirmed"],
        ),
        # The change changed while pending: its own confirmation starts again.
        (CONFIRM, [(1000, FOCUS_DOWN), (61_000, WARN), (121_000, WARN)], ["pending", "pending", "confirmed"]),
        # Same codes, other words: one change, confirmed.
        (CONFIRM, [(1000, FOCUS_DOWN), (61_000, FOCUS_DOWN_OTHER_TEXT)], ["pending", "confirmed"]),
        # confirm_after = 0 announces at once.
        (0, [(1000, FOCUS_DOWN)], ["confirmed"]),
        # After confirmation the new verdict is the baseline: no second alert.
        (0, [(1000, FOCUS_DOWN), (2000, FOCUS_DOWN), (3000, OK)], ["confirmed", "steady", "confirmed"]),
    ],
)
def test_confirmation(confirm_ms: int, checks: list[tuple[int, Summary]], kinds: list[str]) -> None:
    assert steps(confirm_ms, *checks) == kinds


def test_confirmed_change_carries_old_new_codes_and_first_seen() -> None:
    state = WatchState(baseline=WARN, since_ms=0, seq=3)
    pending = step(state, FOCUS_DOWN, 1000, CONFIRM, **KW)
    assert pending.recheck_at_ms == 61_000
    done = step(pending.state, FOCUS_DOWN, 61_000, CONFIRM, **KW)
    change = done.change
    assert change is not None
    assert (change.old, change.new, change.at_ms) == (WARN, FOCUS_DOWN, 1000)
    assert [p.code for p in change.appeared] == ["focus-unhealthy"]
    assert [p.code for p in change.resolved] == ["wellknown-no-cors"]
    assert not change.recovered
    assert done.state == WatchState(baseline=FOCUS_DOWN, since_ms=1000, seq=4)
    assert change.change_id == change_id("!r:x", "example.org", 4, FOCUS_DOWN)
    back = step(done.state, OK, 70_000, 0, **KW).change
    assert back is not None and back.recovered


def test_change_ids_repeat_for_the_same_change_only() -> None:
    """After a crash the same change is found again with the same ID (and transaction ID)."""
    a = change_id("!r:x", "example.org", 1, FOCUS_DOWN)
    assert a == change_id("!r:x", "example.org", 1, FOCUS_DOWN_OTHER_TEXT)
    assert a != change_id("!r:x", "example.org", 2, FOCUS_DOWN)
    assert a != change_id("!other:x", "example.org", 1, FOCUS_DOWN)
    assert a != change_id("!r:x", "other.org", 1, FOCUS_DOWN)
    assert batch_id([a, "b"]) == batch_id(["b", a]) != batch_id([a])


@pytest.mark.parametrize(
    ("first", "last_sent", "gap", "gather", "expected"),
    [
        (10_000, None, 30_000, 2000, 12_000),  # nothing sent yet: after a short gather
        (10_000, 0, 30_000, 2000, 30_000),  # the last alert was recent: wait for the gap
        (100_000, 0, 30_000, 2000, 102_000),  # four changes a minute apart: four alerts
        (10_000, 9000, 0, 0, 10_000),  # no limit at all
    ],
)
def test_send_time(first: int, last_sent: int | None, gap: int, gather: int, expected: int) -> None:
    assert send_at_ms(first, last_sent, gap, gather) == expected


def test_round_trips() -> None:
    room = Summary("warning", "2 of 3", room=RoomCounts(members=3, can_speak=2, can_join=3, unknown=1))
    for summary in (OK, FOCUS_DOWN, room):
        assert Summary.from_json(summary.to_json()) == summary
    change = Change("id", "example.org", OK, FOCUS_DOWN, 5)
    assert Change.from_json(change.to_json()) == change


def _step(verdict: str) -> E2eStep:
    return E2eStep("https://lk.example.org", None, 200, None, "wss://sfu.example.org", 200, verdict)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("e2e", "expected"),
    [(None, None), ((), False), (("ok",), True), (("sfu-refused", "ok"), True), (("sfu-refused",), False)],
)
def test_server_summary_carries_the_end_to_end_result(
    e2e: tuple[str, ...] | None, expected: bool | None
) -> None:
    """Only the bot's own server has a token flow result; it is reported, not compared."""
    report = replace(timed_out("example.org", 1), e2e=None if e2e is None else tuple(_step(v) for v in e2e))
    summary = server_summary(report)
    assert summary.verified is expected
    assert Summary.from_json(summary.to_json()) == summary
    assert summary.key() == server_summary(replace(report, e2e=None)).key()
