"""``!foci room`` in chat: the room check with one progress notice edited in place.

Wired in as the dispatcher's ``room_handler`` (``service.Dispatcher.on_room_command`` checks
``room_allowed_users`` first). At most one room check runs per room at a time; a second request
is told so. Plain asyncio over the shared Checker; no nio here.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import TYPE_CHECKING

from foci_bot.bot import commands
from foci_bot.bot.dispatch import Incoming, Progress, SnapshotError
from foci_bot.engine.roomcheck import RoomLocks, room_check
from foci_bot.render.room import room_sections
from foci_bot.room.analysis import members_by_server
from foci_bot.servername import TargetError, parse_server_name

if TYPE_CHECKING:
    from foci_bot.bot.dispatch import Dispatcher

log = logging.getLogger("foci_bot.room.analysis")

PROGRESS_MIN_SERVERS = 5  # fewer servers than this (or all cached): no progress notice
PROGRESS_EVERY = 2.0  # seconds between edits of the progress notice
BUSY = "A room check is already running in this room; its answer will come shortly.\n"
NO_ARGS = "`{prefix} room` checks the room it is sent in and takes no arguments.\n"

_locks: weakref.WeakKeyDictionary[Dispatcher, RoomLocks] = weakref.WeakKeyDictionary()


def locks_for(dispatcher: Dispatcher) -> RoomLocks:
    found = _locks.get(dispatcher)
    if found is None:
        found = _locks[dispatcher] = RoomLocks()
    return found


def _all_cached(dispatcher: Dispatcher, servers: list[str]) -> bool:
    try:
        return all(dispatcher.checker.cached(parse_server_name(s)) is not None for s in servers)
    except TargetError:
        return False


async def handle_room(dispatcher: Dispatcher, msg: Incoming, command: commands.Room) -> None:
    """Answer ``!foci room`` in ``msg``'s room."""
    to = msg.reply_to
    if command.args:
        await dispatcher.replier.answer(to, NO_ARGS.format(prefix=dispatcher.config.bot.command_prefix))
        return
    locks = locks_for(dispatcher)
    if not locks.try_acquire(msg.room_id):
        await dispatcher.replier.answer(to, BUSY)
        return
    try:
        await _run(dispatcher, msg)
    finally:
        locks.release(msg.room_id)


async def _run(dispatcher: Dispatcher, msg: Incoming) -> None:
    to = msg.reply_to
    snapshot = await dispatcher.rooms.room_snapshot(msg.room_id)
    if isinstance(snapshot, SnapshotError):
        await dispatcher.replier.answer(to, f"{snapshot.message.rstrip('.')}.\n")
        return
    snapshot = snapshot.without_members({dispatcher.config.matrix.user_id})
    servers = list(members_by_server(snapshot).joined)
    progress: Progress | None = None
    cached = _all_cached(dispatcher, servers)
    if len(servers) >= PROGRESS_MIN_SERVERS and not cached:
        text = f"Checking the call readiness of {len(servers)} servers…"
        progress = await dispatcher.replier.progress(to, text)
    elif dispatcher.config.bot.ack == "reaction" and not cached:
        await dispatcher.replier.react(to)
    last = time.monotonic()

    async def on_progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if progress is None or done == total or now - last < PROGRESS_EVERY:
            return
        last = now
        await dispatcher.replier.update(
            progress, f"Checking the call readiness of {total} servers: {done} done…"
        )

    started = time.monotonic()
    report = await room_check(dispatcher.checker, snapshot, dispatcher.config.checks.deadline, on_progress)
    log.info(
        "room check of %s: %d servers, %d members, %.1f s",
        msg.room_id, len(servers), report.verdict.members_total, time.monotonic() - started,
    )  # fmt: skip
    await dispatcher.replier.answer(to, room_sections(report), progress)
