"""A room as the room check sees it: current state, as plain data (no nio types).

The Matrix adapter (``bot/matrix``) builds a :class:`RoomSnapshot` from ``GET /rooms/{id}/state``;
the pure room analysis (``room.py``) reads only this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class StateEvent:
    type: str
    state_key: str
    sender: str
    content: Mapping[str, object]
    origin_server_ts: int = 0


@dataclass(frozen=True, slots=True)
class RoomSnapshot:
    """Every current state event of one room, and the time it was read (ms since the epoch)."""

    room_id: str
    state: tuple[StateEvent, ...]
    now_ms: int
    name: str | None = None

    def without_members(self, users: frozenset[str] | set[str]) -> RoomSnapshot:
        """The room as if ``users`` (the bot itself) were not members: they never join calls."""
        kept = tuple(e for e in self.state if not (e.type == "m.room.member" and e.state_key in users))
        return replace(self, state=kept)

    def of_type(self, event_type: str) -> list[StateEvent]:
        return [e for e in self.state if e.type == event_type]

    def get(self, event_type: str, state_key: str = "") -> StateEvent | None:
        return next((e for e in self.state if e.type == event_type and e.state_key == state_key), None)

    def memberships(self) -> dict[str, str]:
        """user ID -> membership (join, invite, leave, ban, knock)."""
        out: dict[str, str] = {}
        for event in self.of_type("m.room.member"):
            value = event.content.get("membership")
            if isinstance(value, str):
                out[event.state_key] = value
        return out
