"""Watches, their state, their history and the alert outbox, in the bot's SQLite file.

A sibling of :mod:`foci_bot.bot.store` with its own connection to the same file (WAL mode lets
both write). When the bot leaves a room, ``Store.forget_room`` deletes the room's ``joined`` row
and a trigger stops the room's watches in the same transaction. The tables are created when missing, so a store from before watch mode keeps
working; ``watch_schema`` in ``kv`` records the version for later migrations.

Exactly once: a confirmed change is written in one transaction together with the new state and
its outbox row. An alert is marked sent only after the homeserver accepted it; an unsent one is
sent again (same transaction ID) after a restart.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from foci_bot.bot.watchstate import Change, Summary, WatchState

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watches (
    room_id TEXT NOT NULL, target TEXT NOT NULL, added_by TEXT NOT NULL, added_ms INTEGER NOT NULL,
    source TEXT NOT NULL, PRIMARY KEY (room_id, target)
);
CREATE TABLE IF NOT EXISTS watch_state (
    room_id TEXT NOT NULL, target TEXT NOT NULL, baseline TEXT, since_ms INTEGER NOT NULL,
    pending TEXT, pending_since_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (room_id, target)
);
CREATE TABLE IF NOT EXISTS watch_history (
    change_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, target TEXT NOT NULL, at_ms INTEGER NOT NULL,
    change TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS watch_history_by_target ON watch_history (room_id, target, at_ms);
CREATE TABLE IF NOT EXISTS watch_outbox (
    change_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, queued_ms INTEGER NOT NULL,
    batch TEXT, sent_ms INTEGER
);
CREATE TABLE IF NOT EXISTS joined (room_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
-- The bot left a room (Store.forget_room deletes its row in `joined`): its watches stop, and
-- alerts not yet sent there are dropped (marked sent at 0). Its history stays until retention.
-- (INSERT OR REPLACE into `joined` does not fire this: recursive triggers are off.)
CREATE TRIGGER IF NOT EXISTS watch_left_room AFTER DELETE ON joined BEGIN
    DELETE FROM watches WHERE room_id = OLD.room_id;
    DELETE FROM watch_state WHERE room_id = OLD.room_id;
    UPDATE watch_outbox SET sent_ms = 0 WHERE room_id = OLD.room_id AND sent_ms IS NULL;
END;
"""
HISTORY_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Watch:
    room_id: str
    target: str
    added_ms: int
    source: str  # "chat" or "config"


def _now_ms() -> int:
    return int(time.time() * 1000)


class WatchStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db.execute("INSERT OR REPLACE INTO kv VALUES ('watch_schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        self._db.close()

    # -- watches

    def watches(self, room_id: str | None = None) -> list[Watch]:
        query = "SELECT room_id, target, added_ms, source FROM watches"
        rows = (
            self._db.execute(query + " WHERE room_id = ? ORDER BY added_ms, target", (room_id,))
            if room_id is not None
            else self._db.execute(query + " ORDER BY room_id, added_ms, target")
        )
        return [Watch(r[0], r[1], int(r[2]), r[3]) for r in rows]

    def add(self, room_id: str, targets: list[str], added_by: str, source: str, cap: int) -> list[str] | None:
        """Add the targets not yet watched; the ones added, or None when the cap would be passed."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            have = {
                r[0] for r in self._db.execute("SELECT target FROM watches WHERE room_id = ?", (room_id,))
            }
            new = [t for t in dict.fromkeys(targets) if t not in have]
            if len(have) + len(new) > cap:
                return None
            now = _now_ms()
            for target in new:
                self._db.execute(
                    "INSERT INTO watches VALUES (?, ?, ?, ?, ?)", (room_id, target, added_by, now, source)
                )
            return new

    def remove(self, room_id: str, target: str) -> bool:
        with self._db:
            self._db.execute("BEGIN")
            gone = self._db.execute(
                "DELETE FROM watches WHERE room_id = ? AND target = ?", (room_id, target)
            ).rowcount
            self._db.execute("DELETE FROM watch_state WHERE room_id = ? AND target = ?", (room_id, target))
        return gone > 0

    def is_watched(self, room_id: str, target: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM watches WHERE room_id = ? AND target = ?", (room_id, target)
        ).fetchone()
        return row is not None

    # -- state

    def state(self, room_id: str, target: str) -> WatchState:
        row = self._db.execute(
            "SELECT baseline, since_ms, pending, pending_since_ms, seq FROM watch_state"
            " WHERE room_id = ? AND target = ?",
            (room_id, target),
        ).fetchone()
        if row is None:
            return WatchState()
        return WatchState(
            baseline=Summary.from_json(row[0]) if row[0] else None,
            since_ms=int(row[1]),
            pending=Summary.from_json(row[2]) if row[2] else None,
            pending_since_ms=int(row[3]),
            seq=int(row[4]),
        )

    def save_state(self, room_id: str, target: str, state: WatchState, change: Change | None = None) -> bool:
        """Store the state (and a confirmed change with its outbox row, in the same transaction).

        False when the watch is gone meanwhile (unwatched, or the bot left): nothing is stored."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if not self._db.execute(
                "SELECT 1 FROM watches WHERE room_id = ? AND target = ?", (room_id, target)
            ).fetchone():
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO watch_state VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    room_id,
                    target,
                    state.baseline.to_json() if state.baseline else None,
                    state.since_ms,
                    state.pending.to_json() if state.pending else None,
                    state.pending_since_ms,
                    state.seq,
                ),
            )
            if change is not None:
                self._db.execute(
                    "INSERT OR IGNORE INTO watch_history VALUES (?, ?, ?, ?, ?)",
                    (change.change_id, room_id, target, change.at_ms, change.to_json()),
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO watch_outbox VALUES (?, ?, ?, NULL, NULL)",
                    (change.change_id, room_id, _now_ms()),
                )
        return True

    # -- history

    def history(self, room_id: str, target: str, limit: int = HISTORY_SHOWN) -> list[Change]:
        rows = self._db.execute(
            "SELECT change FROM watch_history WHERE room_id = ? AND target = ? ORDER BY at_ms DESC LIMIT ?",
            (room_id, target, limit),
        )
        return [Change.from_json(r[0]) for r in rows]

    def prune_history(self, keep_ms: int) -> int:
        cutoff = _now_ms() - keep_ms
        with self._db:
            self._db.execute("BEGIN")
            gone = self._db.execute("DELETE FROM watch_history WHERE at_ms < ?", (cutoff,)).rowcount
            self._db.execute(
                "DELETE FROM watch_outbox WHERE sent_ms IS NOT NULL AND queued_ms < ?", (cutoff,)
            )
        return gone

    # -- outbox

    def unsent(self, room_id: str) -> list[tuple[str, str | None, int]]:
        """(change ID, batch or None, queued at) of the room's alerts not yet sent, oldest first."""
        rows = self._db.execute(
            "SELECT change_id, batch, queued_ms FROM watch_outbox WHERE room_id = ? AND sent_ms IS NULL"
            " ORDER BY queued_ms, change_id",
            (room_id,),
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    def rooms_with_unsent(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT room_id FROM watch_outbox WHERE sent_ms IS NULL")
        return [r[0] for r in rows]

    def assign_batch(self, change_ids: list[str], batch: str) -> None:
        with self._db:
            self._db.execute("BEGIN")
            for cid in change_ids:
                self._db.execute(
                    "UPDATE watch_outbox SET batch = ? WHERE change_id = ? AND batch IS NULL", (batch, cid)
                )

    def changes(self, change_ids: list[str]) -> list[Change]:
        found = []
        for cid in change_ids:
            row = self._db.execute("SELECT change FROM watch_history WHERE change_id = ?", (cid,)).fetchone()
            if row is not None:
                found.append(Change.from_json(row[0]))
        return found

    def mark_sent(self, batch: str) -> None:
        self._db.execute("UPDATE watch_outbox SET sent_ms = ? WHERE batch = ?", (_now_ms(), batch))

    def last_sent_ms(self, room_id: str) -> int | None:
        row = self._db.execute(
            "SELECT MAX(sent_ms) FROM watch_outbox WHERE room_id = ? AND sent_ms > 0", (room_id,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None
