"""Reading rooms for the room check: current state as plain data, and aliases."""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

import nio

from foci_bot.bot.incoming import SnapshotError
from foci_bot.bot.matrix.responses import now_ms, status, unreachable
from foci_bot.config import Config
from foci_bot.engine.http import NETWORK_ERRORS
from foci_bot.room.snapshot import RoomSnapshot, StateEvent

log = logging.getLogger("foci_bot.bot.matrix")


class RoomsMixin:
    """:class:`~foci_bot.bot.replier.RoomSource` over nio; mixed into the Matrix bot."""

    config: Config
    client: nio.AsyncClient

    async def room_snapshot(self, room_id: str) -> RoomSnapshot | SnapshotError:
        """Every current state event of a room (``GET /rooms/{id}/state``) as plain data.

        One odd event must not sink the whole room check: when nio's schema rejects the answer,
        the state is fetched again as raw JSON and malformed events are skipped.
        """
        try:
            response = await self.client.room_get_state(room_id)
        except NETWORK_ERRORS as exc:
            return unreachable(self.config.matrix.homeserver, exc)
        events: list[Any]
        if isinstance(response, nio.RoomGetStateResponse):
            events = list(response.events)
        elif status(response) == 200:
            log.info("nio rejected the state of %s; reading it as raw JSON", room_id)
            raw = await self._raw_state(room_id)
            if isinstance(raw, SnapshotError):
                return raw
            events = raw
        else:
            return SnapshotError(f"cannot read the room's state: {getattr(response, 'message', 'error')}")
        state: list[StateEvent] = []
        for event in events:
            parsed = _state_event(event) if isinstance(event, dict) else None
            if parsed is None:
                log.info("skipping a malformed state event in %s", room_id)
                continue
            state.append(parsed)
        name_event = next((e for e in state if e.type == "m.room.name"), None)
        name = name_event.content.get("name") if name_event else None
        return RoomSnapshot(room_id, tuple(state), now_ms(), name if isinstance(name, str) else None)

    async def _raw_state(self, room_id: str) -> list[Any] | SnapshotError:
        path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/state"
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        try:
            async with await self.client.send("GET", path, headers=headers) as answer:
                body = await answer.json(content_type=None) if answer.status == 200 else None
        except NETWORK_ERRORS as exc:
            return unreachable(self.config.matrix.homeserver, exc)
        except ValueError:
            return SnapshotError("cannot read the room's state: not JSON")
        if not isinstance(body, list):
            return SnapshotError("cannot read the room's state: not a list of events")
        return body

    async def resolve_alias(self, alias: str) -> str | SnapshotError:
        """A room alias's room ID."""
        try:
            response = await self.client.room_resolve_alias(alias)
        except NETWORK_ERRORS as exc:
            return unreachable(self.config.matrix.homeserver, exc)
        if isinstance(response, nio.RoomResolveAliasResponse):
            return str(response.room_id)
        return SnapshotError(f"cannot resolve {alias}: {getattr(response, 'message', 'error')}")


def _state_event(raw: dict[str, Any]) -> StateEvent | None:
    """A state event as plain data; None when it lacks a string type or state key."""
    kind, state_key, sender = raw.get("type"), raw.get("state_key"), raw.get("sender", "")
    if not isinstance(kind, str) or not isinstance(state_key, str):
        return None
    content = raw.get("content")
    ts = raw.get("origin_server_ts")
    return StateEvent(
        type=kind,
        state_key=state_key,
        sender=sender if isinstance(sender, str) else "",
        content=content if isinstance(content, dict) else {},
        origin_server_ts=ts if isinstance(ts, int) and not isinstance(ts, bool) else 0,
    )
