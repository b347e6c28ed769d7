"""The bot's own state in SQLite (stdlib) inside ``store_dir``.

It holds the sync position, the command events already answered, the login session
(access token and device ID) and when the bot joined each room. The directory is made
owner-only (0700) and the database file owner-read/write (0600): it holds an access token.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answered (event_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS joined (room_id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS session (
    user_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, access_token TEXT NOT NULL, homeserver TEXT NOT NULL
);
"""
ANSWERED_KEEP_MS = 30 * 24 * 3600 * 1000  # answered events older than this are forgotten


@dataclass(frozen=True, slots=True)
class Session:
    user_id: str
    device_id: str
    access_token: str
    homeserver: str

    def __repr__(self) -> str:  # the token never reaches a log or a traceback
        return f"Session(user_id={self.user_id!r}, device_id={self.device_id!r})"


def _now_ms() -> int:
    return int(time.time() * 1000)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def restrict_files(path: Path) -> None:
    """chmod 0600 every regular file directly in ``path`` (SQLite journals, nio's crypto store)."""
    for child in path.iterdir():
        if child.is_file():
            with contextlib.suppress(OSError):
                os.chmod(child, 0o600)


class StoreError(Exception):
    """The store cannot be opened; the message is one line naming the path and what to do."""


DB_NAME = "foci-bot.sqlite3"


class Store:
    """A small synchronous SQLite store; every call is one short transaction.

    What cannot be opened is never deleted, truncated or rewritten: it may be the only copy of
    the bot's session, so :class:`StoreError` says what is wrong and the operator decides.
    """

    def __init__(self, store_dir: Path) -> None:
        self.dir = store_dir
        self.path = store_dir / DB_NAME
        try:
            self._db = self._open()
        except StoreError:
            raise
        except sqlite3.OperationalError as exc:  # read-only, unreadable, locked, ...
            raise StoreError(
                f"cannot open the store {self.path}: {exc}; make {self.dir} and the file in it "
                "writable by the bot's user, or set [matrix] store_dir to another directory"
            ) from None
        except sqlite3.DatabaseError as exc:  # "file is not a database": text, garbage, another format
            raise StoreError(
                f"the store {self.path} is not a SQLite database ({exc}); it was left untouched: "
                "move it away (a new one is made and the bot logs in again) or restore it from a backup"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot use the store directory {self.dir}: {exc.strerror or exc}; make it a directory "
                "writable by the bot's user, or set [matrix] store_dir to another directory"
            ) from None

    def _open(self) -> sqlite3.Connection:
        if self.dir.exists() and not self.dir.is_dir():
            raise StoreError(
                f"the store directory {self.dir} is not a directory; move it away or set "
                "[matrix] store_dir to another directory"
            )
        private_dir(self.dir)
        if self.path.exists() and not self.path.is_file():
            raise StoreError(
                f"the store {self.path} is not a regular file; move it away or set [matrix] store_dir "
                "to another directory"
            )
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        os.chmod(self.path, 0o600)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        restrict_files(self.dir)
        return db

    def close(self) -> None:
        self._db.close()

    # -- sync position

    def sync_token(self) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = 'sync_token'").fetchone()
        return str(row[0]) if row else None

    def synced_at_ms(self) -> int | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = 'synced_at_ms'").fetchone()
        return int(row[0]) if row else None

    def save_sync_token(self, token: str, synced_at_ms: int | None = None) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO kv VALUES ('sync_token', ?)", (token,))
            at = str(synced_at_ms if synced_at_ms is not None else _now_ms())
            self._db.execute("INSERT OR REPLACE INTO kv VALUES ('synced_at_ms', ?)", (at,))

    # -- answered command events

    def is_answered(self, event_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM answered WHERE event_id = ?", (event_id,)).fetchone()
        return row is not None

    def mark_answered(self, event_id: str, room_id: str) -> None:
        now = _now_ms()
        self._db.execute("INSERT OR IGNORE INTO answered VALUES (?, ?, ?)", (event_id, room_id, now))

    def prune_answered(self, keep_ms: int = ANSWERED_KEEP_MS) -> int:
        cursor = self._db.execute("DELETE FROM answered WHERE at_ms < ?", (_now_ms() - keep_ms,))
        return cursor.rowcount

    # -- room joins

    def joined_at(self, room_id: str) -> int | None:
        row = self._db.execute("SELECT at_ms FROM joined WHERE room_id = ?", (room_id,)).fetchone()
        return int(row[0]) if row else None

    def set_joined_at(self, room_id: str, at_ms: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO joined VALUES (?, ?)", (room_id, at_ms))

    def forget_room(self, room_id: str) -> None:
        self._db.execute("DELETE FROM joined WHERE room_id = ?", (room_id,))

    # -- login session

    def session(self, user_id: str, homeserver: str) -> Session | None:
        """The stored session for this user on this homeserver, if any."""
        row = self._db.execute(
            "SELECT device_id, access_token, homeserver FROM session WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None or row[2] != homeserver:
            return None
        return Session(user_id, row[0], row[1], row[2])

    def save_session(self, session: Session) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO session VALUES (?, ?, ?, ?)",
            (session.user_id, session.device_id, session.access_token, session.homeserver),
        )
        restrict_files(self.dir)

    def drop_session(self, user_id: str) -> None:
        self._db.execute("DELETE FROM session WHERE user_id = ?", (user_id,))
