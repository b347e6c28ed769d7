"""Sending answers: replies, progress notices edited in place, and reactions (plain asyncio).

Replies are sent with transaction IDs derived from the command's event ID, so a reply that is
sent again after a crash or restart is deduplicated by the homeserver (spec: "Transaction
identifiers") instead of appearing twice. The Matrix adapter implements :class:`Messenger` and
:class:`RoomSource`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from foci_bot.bot import reply
from foci_bot.bot.incoming import ReplyTo, SnapshotError
from foci_bot.render.server import Section
from foci_bot.room.snapshot import RoomSnapshot

ACK_REACTION = "👀"


class Messenger(Protocol):
    async def send(self, room_id: str, event_type: str, content: reply.Content, txn_id: str) -> str | None:
        """Send one event; its event ID, or None when it could not be sent."""
        ...


class RoomSource(Protocol):
    async def room_snapshot(self, room_id: str) -> RoomSnapshot | SnapshotError:
        """Every current state event of the room (``GET /rooms/{id}/state``) as plain data."""
        ...

    async def resolve_alias(self, alias: str) -> str | SnapshotError:
        """A ``#alias:server``'s room ID."""
        ...


@dataclass
class Progress:
    """A notice that is edited in place while work goes on (see :meth:`Replier.progress`)."""

    reply_to: ReplyTo
    event_id: str | None
    edits: int = 0


def txn_id(event_id: str, kind: str) -> str:
    """A transaction ID that is the same every time the same answer to the same command is sent."""
    return f"foci.{hashlib.sha256(event_id.encode()).hexdigest()[:32]}.{kind}"


class Replier:
    """The reply, progress-notice and edit primitives every command uses (the room check too)."""

    def __init__(self, messenger: Messenger) -> None:
        self.messenger = messenger

    async def react(self, to: ReplyTo, key: str = ACK_REACTION) -> str | None:
        content = reply.reaction(to.event_id, key)
        return await self.messenger.send(to.room_id, "m.reaction", content, txn_id(to.event_id, "ack"))

    async def answer(
        self, to: ReplyTo, text: str | Sequence[Section], progress: Progress | None = None
    ) -> str | None:
        """The final answer (≤ 64 KiB, shortened with a note): an edit of ``progress`` when there is
        one, else a reply notice."""
        if progress is not None and progress.event_id is not None:
            content = reply.edit(progress.event_id, text)
            return await self.messenger.send(
                to.room_id, "m.room.message", content, txn_id(to.event_id, "final")
            )
        content = reply.notice(text, to)
        return await self.messenger.send(to.room_id, "m.room.message", content, txn_id(to.event_id, "reply"))

    async def progress(self, to: ReplyTo, text: str) -> Progress:
        """Post one progress notice replying to the command."""
        content = reply.notice(text, to)
        event_id = await self.messenger.send(
            to.room_id, "m.room.message", content, txn_id(to.event_id, "progress")
        )
        return Progress(to, event_id)

    async def update(self, progress: Progress, text: str | Sequence[Section]) -> None:
        """Edit the progress notice in place (intermediate states; use :meth:`answer` for the last)."""
        if progress.event_id is None:
            return
        progress.edits += 1
        content = reply.edit(progress.event_id, text)
        kind = f"update{progress.edits}"
        await self.messenger.send(
            progress.reply_to.room_id, "m.room.message", content, txn_id(progress.reply_to.event_id, kind)
        )
