"""What the Matrix adapter hands to the rest of the bot, as plain data (no I/O, no libraries)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReplyTo:
    """The event answered: its room, its ID, and the thread it is in, if any."""

    room_id: str
    event_id: str
    thread_root: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """A text message addressed to the bot, as plain data."""

    room_id: str
    event_id: str
    sender: str
    body: str
    ts_ms: int
    thread_root: str | None = None

    @property
    def reply_to(self) -> ReplyTo:
        return ReplyTo(self.room_id, self.event_id, self.thread_root)


@dataclass(frozen=True, slots=True)
class SnapshotError:
    """Why a room's state could not be read (a one-line message for the user).

    ``unreachable`` is True when the homeserver could not be reached at all, as opposed to
    answering that the room cannot be read."""

    message: str
    unreachable: bool = False
