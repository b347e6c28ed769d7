"""``!foci room`` in chat: the room check with one progress notice edited in place.

The dispatcher checks ``room_allowed_users`` and hands the command to :class:`RoomCommand`. At
most one room check runs per room at a time; a second request is told so. Plain asyncio over the
shared Checker; no nio here.
"""

from __future__ import annotations

import logging
import time

from foci_bot.bot import commands
from foci_bot.bot.incoming import Incoming, SnapshotError
from foci_bot.bot.replier import Progress, Replier, RoomSource
from foci_bot.config import Config
from foci_bot.engine.discover import Checker
from foci_bot.engine.roomcheck import RoomLocks, room_check
from foci_bot.render.room import room_sections
from foci_bot.room.analysis import members_by_server
from foci_bot.servername import TargetError, parse_server_name

log = logging.getLogger("foci_bot.bot.room_command")

PROGRESS_MIN_SERVERS = 5  # fewer servers than this (or all cached): no progress notice
PROGRESS_EVERY = 2.0  # seconds between edits of the progress notice
BUSY = "A room check is already running in this room; its answer will come shortly.\n"
NO_ARGS = "`{prefix} room` checks the room it is sent in and takes no arguments.\n"


def _all_cached(checker: Checker, servers: list[str]) -> bool:
    try:
        return all(checker.cached(parse_server_name(s)) is not None for s in servers)
    except TargetError:
        return False


class RoomCommand:
    """Answers ``!foci room``; one per dispatcher, holding the per-room locks."""

    def __init__(self, config: Config, replier: Replier, rooms: RoomSource) -> None:
        self.config, self.replier, self.rooms = config, replier, rooms
        self.locks = RoomLocks()

    async def handle(self, msg: Incoming, command: commands.Room, checker: Checker) -> None:
        """Answer ``!foci room`` in ``msg``'s room."""
        to = msg.reply_to
        if command.args:
            await self.replier.answer(to, NO_ARGS.format(prefix=self.config.bot.command_prefix))
            return
        if not self.locks.try_acquire(msg.room_id):
            await self.replier.answer(to, BUSY)
            return
        try:
            await self._run(msg, checker)
        finally:
            self.locks.release(msg.room_id)

    async def _run(self, msg: Incoming, checker: Checker) -> None:
        to = msg.reply_to
        snapshot = await self.rooms.room_snapshot(msg.room_id)
        if isinstance(snapshot, SnapshotError):
            await self.replier.answer(to, f"{snapshot.message.rstrip('.')}.\n")
            return
        snapshot = snapshot.without_members({self.config.matrix.user_id})
        servers = list(members_by_server(snapshot).joined)
        progress: Progress | None = None
        cached = _all_cached(checker, servers)
        if len(servers) >= PROGRESS_MIN_SERVERS and not cached:
            text = f"Checking the call readiness of {len(servers)} servers…"
            progress = await self.replier.progress(to, text)
        elif self.config.bot.ack == "reaction" and not cached:
            await self.replier.react(to)
        last = time.monotonic()

        async def on_progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if progress is None or done == total or now - last < PROGRESS_EVERY:
                return
            last = now
            await self.replier.update(
                progress, f"Checking the call readiness of {total} servers: {done} done…"
            )

        started = time.monotonic()
        report = await room_check(checker, snapshot, self.config.checks.deadline, on_progress)
        log.info(
            "room check of %s: %d servers, %d members, %.1f s",
            msg.room_id, len(servers), report.verdict.members_total, time.monotonic() - started,
        )  # fmt: skip
        await self.replier.answer(to, room_sections(report), progress)
