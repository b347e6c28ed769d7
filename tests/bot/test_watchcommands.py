"""The watch commands' grammar (pure) and the store behind them (real SQLite files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from foci_bot.bot.commands import Command, Usage, parse_command
from foci_bot.bot.store import Store
from foci_bot.bot.watchcommands import History, Unwatch, Watch, Watching, mentions_room
from foci_bot.bot.watchstate import Change, Summary, WatchState
from foci_bot.bot.watchstore import WatchStore


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("!foci watch example.org", Watch(("example.org",))),
        (
            "!foci WATCH Example.org @bob:other.net example.org room",
            Watch(("example.org", "other.net", "room")),
        ),
        ("!foci watch room", Watch(("room",))),
        ("!foci unwatch room", Unwatch("room")),
        ("!foci unwatch example.org:8448", Unwatch("example.org:8448")),
        ("!foci watching", Watching()),
        ("!foci history example.org", History("example.org")),
        ("!foci watch", Usage("watch needs a server name or `room`")),
        ("!foci watching now", Usage("watching takes no arguments")),
        ("!foci unwatch a.org b.org", Usage("unwatch takes one server name or `room`")),
    ],
)
def test_grammar(body: str, expected: Command) -> None:
    assert parse_command(body) == expected


def test_bad_target_is_usage() -> None:
    parsed = parse_command("!foci watch http://")
    assert isinstance(parsed, Usage) and parsed.reason.startswith("bad target")


def test_room_commands_are_marked() -> None:
    assert mentions_room(Watch(("a.org", "room"))) and mentions_room(History("room"))
    assert not mentions_room(Watch(("a.org",))) and not mentions_room(Watching())


def test_store_from_before_watch_mode_keeps_working(tmp_path: Path) -> None:
    """An existing store gains the watch tables; its own data stays."""
    old = Store(tmp_path)
    old.mark_answered("$e", "!r:x")
    old.close()
    watches = WatchStore(tmp_path / "foci-bot.sqlite3")
    assert watches.watches() == []
    reopened = Store(tmp_path)
    assert reopened.is_answered("$e")
    tables = {
        r[0] for r in sqlite3.connect(tmp_path / "foci-bot.sqlite3").execute("SELECT name FROM sqlite_master")
    }
    assert {"watches", "watch_state", "watch_history", "watch_outbox", "answered"} <= tables


def test_cap_state_outbox_and_forgetting(tmp_path: Path) -> None:
    store = WatchStore(tmp_path / "w.sqlite3")
    assert store.add("!r:x", ["a.org", "b.org"], "@u:x", "chat", 3) == ["a.org", "b.org"]
    assert store.add("!r:x", ["b.org", "c.org", "d.org"], "@u:x", "chat", 3) is None  # past the cap
    assert store.add("!r:x", ["b.org", "c.org"], "@u:x", "chat", 3) == ["c.org"]
    ok, bad = Summary("ok", "fine"), Summary("error", "broken")
    change = Change("cid", "a.org", ok, bad, 5)
    assert store.save_state("!r:x", "a.org", WatchState(baseline=bad, since_ms=5, seq=1), change)
    assert store.save_state(
        "!r:x", "a.org", WatchState(baseline=bad, since_ms=5, seq=1), change
    )  # idempotent
    assert store.state("!r:x", "a.org").baseline == bad
    assert store.unsent("!r:x") == [("cid", None, store.unsent("!r:x")[0][2])]
    store.assign_batch(["cid"], "b1")
    assert store.changes(["cid"]) == [change]
    store.mark_sent("b1")
    assert store.unsent("!r:x") == [] and store.last_sent_ms("!r:x") is not None
    assert store.history("!r:x", "a.org") == [change]
    assert not store.remove("!r:x", "x.org") and store.remove("!r:x", "c.org")
    assert not store.save_state("!r:x", "c.org", WatchState(baseline=ok))  # gone: nothing stored


def test_leaving_a_room_stops_its_watches(tmp_path: Path) -> None:
    """The bot's own store forgets a room it left; the watches there stop in the same step,
    unsent alerts there are dropped, and rejoining (INSERT OR REPLACE) touches nothing."""
    bot = Store(tmp_path)
    watches = WatchStore(tmp_path / "foci-bot.sqlite3")
    for room in ("!left:x", "!stays:x"):
        bot.set_joined_at(room, 1)
        watches.add(room, ["a.org", "room"], "@u:x", "chat", 50)
        change = Change(f"c{room}", "a.org", Summary("ok", ""), Summary("error", ""), 5)
        watches.save_state(room, "a.org", WatchState(baseline=change.new, seq=1), change)
    bot.set_joined_at("!stays:x", 2)  # a re-join (REPLACE) is not a leave
    bot.forget_room("!left:x")
    assert [(w.room_id, w.target) for w in watches.watches()] == [("!stays:x", "a.org"), ("!stays:x", "room")]
    assert watches.state("!left:x", "a.org") == WatchState()
    assert watches.unsent("!left:x") == [] and len(watches.unsent("!stays:x")) == 1
    assert len(watches.history("!left:x", "a.org")) == 1  # kept until retention
