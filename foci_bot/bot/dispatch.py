"""What the bot does with one command, independent of nio.

The Matrix adapter (``bot.py``) turns events into :class:`Incoming` values and sends event
contents through the :class:`Messenger` it implements; everything here is plain asyncio over
the shared engine (``discover.Checker``), the store and the pure ``commands``/``reply`` modules.

Replies are sent with transaction IDs derived from the command's event ID, so a reply that is
sent again after a crash or restart is deduplicated by the homeserver (spec: "Transaction
identifiers") instead of appearing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from foci_bot.bot import commands, reply
from foci_bot.bot.access import RateLimiter, UserPatterns
from foci_bot.bot.store import Store
from foci_bot.config import Config
from foci_bot.engine.discover import Checker
from foci_bot.explain import lookup
from foci_bot.model import ServerName
from foci_bot.render.explain import explain_markdown, unknown_code_markdown
from foci_bot.render.server import Section, check_markdown
from foci_bot.room.snapshot import RoomSnapshot

log = logging.getLogger("foci_bot.bot.dispatch")

ACK_REACTION = "👀"
CHECKING = "Checking {what}…"


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
    def reply_to(self) -> reply.ReplyTo:
        return reply.ReplyTo(self.room_id, self.event_id, self.thread_root)


@dataclass(frozen=True, slots=True)
class SnapshotError:
    """Why a room's state could not be read (a one-line message for the user)."""

    message: str


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

    reply_to: reply.ReplyTo
    event_id: str | None
    edits: int = 0


def txn_id(event_id: str, kind: str) -> str:
    """A transaction ID that is the same every time the same answer to the same command is sent."""
    return f"foci.{hashlib.sha256(event_id.encode()).hexdigest()[:32]}.{kind}"


class Replier:
    """The reply, progress-notice and edit primitives every command uses (the room check too)."""

    def __init__(self, messenger: Messenger) -> None:
        self.messenger = messenger

    async def react(self, to: reply.ReplyTo, key: str = ACK_REACTION) -> str | None:
        content = reply.reaction(to.event_id, key)
        return await self.messenger.send(to.room_id, "m.reaction", content, txn_id(to.event_id, "ack"))

    async def answer(
        self, to: reply.ReplyTo, text: str | Sequence[Section], progress: Progress | None = None
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

    async def progress(self, to: reply.ReplyTo, text: str) -> Progress:
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


RoomHandler = Callable[["Dispatcher", Incoming, commands.Room], Awaitable[None]]


class Dispatcher:
    """Routes one command to its answer; answers each command event at most once."""

    def __init__(
        self,
        config: Config,
        checker: Checker,
        store: Store,
        messenger: Messenger,
        rooms: RoomSource,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config, self.checker, self.store, self.rooms = config, checker, store, rooms
        self.replier = Replier(messenger)
        self.allowed = UserPatterns(config.bot.allowed_users)
        self.room_allowed = UserPatterns(config.bot.room_allowed_users)
        self.limiter = RateLimiter(config.bot.rate_limit, config.bot.rate_limit_window)
        self.clock = clock
        self._in_flight: set[str] = set()
        # HOOK for the room check (issue 4): set this to an async function
        # ``(dispatcher, incoming, command) -> None``; see on_room_command.
        self.room_handler: RoomHandler | None = None

    def wants(self, msg: Incoming) -> commands.Command | None:
        """The command in ``msg`` when the bot should act on it now, else None (and logged)."""
        bot = self.config.bot
        command = commands.parse_command(msg.body, bot.command_prefix, bot.max_targets)
        if command is None:
            return None
        if not self.allowed.allows(msg.sender):
            log.info("ignoring a command from %s in %s: not in allowed_users", msg.sender, msg.room_id)
            return None
        if msg.event_id in self._in_flight or self.store.is_answered(msg.event_id):
            return None
        return command

    def begin(self, msg: Incoming) -> None:
        """Mark ``msg`` in flight; call it when its task is started, so the same event seen again
        before the task first runs (a gap refill, a repeated batch) is not started twice."""
        self._in_flight.add(msg.event_id)

    async def handle(self, msg: Incoming, command: commands.Command) -> bool:
        """Answer one command; it is marked answered only once the answer was sent.

        True when it was answered; False when sending failed after retries (it stays unanswered,
        so the caller keeps its sync batch pending and may try again)."""
        self._in_flight.add(msg.event_id)
        answered = False
        try:
            answered = await self._answer(msg, command)
        except Exception:
            log.exception("command %s in %s failed", msg.event_id, msg.room_id)
            text = "Sorry, something went wrong while answering this command.\n"
            answered = await self.replier.answer(msg.reply_to, text) is not None
        finally:
            self._in_flight.discard(msg.event_id)
        if answered:
            self.store.mark_answered(msg.event_id, msg.room_id)
        else:
            log.warning("command %s in %s could not be answered; it stays pending", msg.event_id, msg.room_id)
        return answered

    async def _answer(self, msg: Incoming, command: commands.Command) -> bool:
        bot = self.config.bot
        to = msg.reply_to
        if not self.limiter.allow(msg.sender, self.clock()):
            log.info("rate limit: %s sent more than %d commands", msg.sender, bot.rate_limit)
            if not self.limiter.should_warn(msg.sender, self.clock()):
                return True  # refused quietly, and that was its answer
            text = f"Slow down: at most {bot.rate_limit} commands per {bot.rate_limit_window:g} seconds.\n"
            return await self.replier.answer(to, text) is not None
        log.info("%s from %s in %s", type(command).__name__.lower(), msg.sender, msg.room_id)
        match command:
            case commands.Help():
                text = commands.help_markdown(bot.command_prefix, bot.max_targets)
            case commands.Version():
                text = commands.version_markdown()
            case commands.Usage(reason):
                text = commands.usage_markdown(reason, bot.command_prefix)
            case commands.Explain(code):
                entry = lookup(code)
                text = explain_markdown(entry) if entry else unknown_code_markdown(code)
            case commands.Room():
                await self.on_room_command(msg, command)
                return True
            case commands.Check(servers):
                return await self._check(msg, servers)
        return await self.replier.answer(to, text) is not None

    async def _check(self, msg: Incoming, servers: Sequence[ServerName]) -> bool:
        to = msg.reply_to
        cached = [self.checker.cached(s) for s in servers]
        if all(r is not None for r in cached):
            reports = [r for r in cached if r is not None]
            return await self.replier.answer(to, check_markdown(reports)) is not None
        progress = None
        if self.config.bot.ack == "reaction":
            await self.replier.react(to)
        elif self.config.bot.ack == "notice":
            what = str(servers[0]) if len(servers) == 1 else f"{len(servers)} servers"
            progress = await self.replier.progress(to, CHECKING.format(what=f"`{what}`"))
        # The checker's per-server deadline already bounds this; the outer limit only guards
        # against waiting for a free slot forever.
        limit = self.config.checks.deadline * 2 + 5
        try:
            reports = await asyncio.wait_for(self.checker.check_many(servers), limit)
        except TimeoutError:
            text = "The check did not finish in time; please try again later.\n"
            return await self.replier.answer(to, text, progress) is not None
        return await self.replier.answer(to, check_markdown(reports), progress) is not None

    async def on_room_command(self, msg: Incoming, command: commands.Room) -> None:
        """``!foci room``: HOOK for the room check (issue 4). Access is checked here; the check
        itself is ``self.room_handler`` (it can use ``self.rooms.room_snapshot`` and ``self.replier``)."""
        if not self.room_allowed.allows(msg.sender):
            log.info("ignoring a room command from %s: not in room_allowed_users", msg.sender)
            await self.replier.answer(msg.reply_to, "You may not run the room check here.\n")
            return
        if self.room_handler is None:
            await self.replier.answer(msg.reply_to, "The room check is not available yet.\n")
            return
        await self.room_handler(self, msg, command)
