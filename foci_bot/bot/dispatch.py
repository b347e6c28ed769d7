"""What the bot does with one command, independent of nio.

The Matrix adapter (``matrix/``) turns events into :class:`~foci_bot.bot.incoming.Incoming`
values and sends event contents through the :class:`~foci_bot.bot.replier.Messenger` it
implements; everything here is plain asyncio over the shared engine
(:class:`~foci_bot.engine.discover.Checker`), the store and the pure ``commands`` module.
``!foci room`` continues in :mod:`foci_bot.bot.room_command`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from foci_bot.bot import commands, watchcommands
from foci_bot.bot.access import RateLimiter, UserPatterns
from foci_bot.bot.incoming import Incoming
from foci_bot.bot.metrics import Metrics
from foci_bot.bot.replier import Messenger, Replier, RoomSource
from foci_bot.bot.room_command import RoomCommand
from foci_bot.bot.store import Store
from foci_bot.config import Config
from foci_bot.engine.discover import Checker
from foci_bot.explain import lookup
from foci_bot.model import ServerName
from foci_bot.render.explain import explain_markdown, unknown_code_markdown
from foci_bot.render.server import check_markdown
from foci_bot.servername import parse_server_name

log = logging.getLogger("foci_bot.bot.dispatch")

CHECKING = "Checking {what}…"
WatchHandler = Callable[[Incoming, watchcommands.WatchCommand], Awaitable[str]]


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
        self.room = RoomCommand(config, self.replier, rooms)
        # Watch mode: bot/watch_command.py, bound to the running Watcher; the metrics.
        self.watch_handler: WatchHandler | None = None
        self.metrics: Metrics | None = None

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
        if self.metrics is not None:
            self.metrics.commands.inc()
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
            case commands.Verify():
                own = parse_server_name(self.config.matrix.server_name)
                return await self._check(msg, [own], fresh=True)
            case (
                watchcommands.Watch()
                | watchcommands.Unwatch()
                | watchcommands.Watching()
                | watchcommands.History()
            ):
                text = await self.on_watch_command(msg, command)
        return await self.replier.answer(to, text) is not None

    async def _check(self, msg: Incoming, servers: Sequence[ServerName], fresh: bool = False) -> bool:
        to = msg.reply_to
        cached = [self.checker.cached(s) for s in servers]
        if not fresh and all(r is not None for r in cached):
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
            reports = await asyncio.wait_for(self.checker.check_many(servers, fresh=fresh), limit)
        except TimeoutError:
            text = "The check did not finish in time; please try again later.\n"
            return await self.replier.answer(to, text, progress) is not None
        return await self.replier.answer(to, check_markdown(reports), progress) is not None

    async def on_room_command(self, msg: Incoming, command: commands.Room) -> None:
        """``!foci room``: access is checked here, the check itself is :class:`RoomCommand`."""
        if not self.room_allowed.allows(msg.sender):
            log.info("ignoring a room command from %s: not in room_allowed_users", msg.sender)
            await self.replier.answer(msg.reply_to, "You may not run the room check here.\n")
            return
        await self.room.handle(msg, command, self.checker)

    async def on_watch_command(self, msg: Incoming, command: watchcommands.WatchCommand) -> str:
        """``watch``/``unwatch``/``watching``/``history``; the room's own call readiness
        follows the room check's ``room_allowed_users``."""
        if watchcommands.mentions_room(command) and not self.room_allowed.allows(msg.sender):
            log.info("refusing a room watch command from %s: not in room_allowed_users", msg.sender)
            return "You may not watch this room's call readiness here.\n"
        if self.watch_handler is None:
            return "Watch mode is not available.\n"
        return await self.watch_handler(msg, command)
