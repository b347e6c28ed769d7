"""The watch scheduler: checks each watched target on its own jittered clock, confirms
changes, and sends each room's alerts through one rate-limited sender per room.

Plain asyncio over the engine and :class:`~foci_bot.bot.watchstore.WatchStore`; the decisions
are the pure :func:`~foci_bot.bot.watchstate.step` and :func:`~foci_bot.bot.watchstate.send_at_ms`.

- One loop per watched *target* (a server, or ``room:!id``), shared by every room watching it.
  Checks are fresh (a Checker without a report cache). The first check after a start comes at a
  random point of the first interval, so restarts don't fire every check at once.
- A change seen by one check is checked again ``confirm_after`` seconds later; at the same time
  the room's other targets are checked early, so a shared cause (one focus serving fifty servers)
  is confirmed together and announced in one digest.
- Alerts wait in the outbox (SQLite) until the homeserver accepted them; their transaction ID
  comes from the changes they carry (``watchstate.batch_id``), so a resend is deduplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable

from foci_bot.bot import reply
from foci_bot.bot.alerts import alert_sections
from foci_bot.bot.incoming import SnapshotError
from foci_bot.bot.metrics import Metrics
from foci_bot.bot.replier import Messenger, RoomSource
from foci_bot.bot.watchstate import ROOM, Summary, batch_id, room_summary, send_at_ms, server_summary, step
from foci_bot.bot.watchstore import WatchStore
from foci_bot.config import Config
from foci_bot.engine.discover import Checker
from foci_bot.engine.roomcheck import room_check
from foci_bot.servername import parse_server_name

log = logging.getLogger("foci_bot.bot.watch")

GATHER_S = 2.0  # an alert waits this long for other changes to join it in one message
SEND_RETRY_S = 30.0  # an alert that could not be sent is tried again after this
PRUNE_EVERY_S = 86_400.0  # history past retention is dropped at start and then daily
JITTER = 0.1  # each interval is stretched or shrunk by up to this fraction


def target_key(room_id: str, target: str) -> str:
    """What a loop checks: the server name, or ``room:!id`` for a room's own call readiness."""
    return f"room:{room_id}" if target == ROOM else target


def txn_id(batch: str) -> str:
    return f"foci.watch.{batch}"


class Watcher:
    def __init__(
        self,
        config: Config,
        store: WatchStore,
        checker: Callable[[], Checker],  # a fresh (uncached) checker, current after a re-login
        rooms: RoomSource,
        messenger: Messenger,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config, self.store, self.checker, self.rooms = config, store, checker, rooms
        self.messenger, self.metrics, self.clock = messenger, metrics, clock
        self.w = config.watch
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}
        self._senders: dict[str, asyncio.Task[None]] = {}
        self._send_wake: dict[str, asyncio.Event] = {}
        self._housekeeping: asyncio.Task[None] | None = None

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- lifecycle

    def start(self) -> None:
        """Add the config file's watches, then start a loop per watched target and a sender per
        room with alerts still to send."""
        self.store.prune_history(int(self.w.history_days * 86_400_000))
        if self.w.alert_room is not None:
            room = self.w.alert_room
            for watch in self.store.watches(room):
                if watch.source == "config" and watch.target not in self.w.servers:
                    self.store.remove(room, watch.target)
            # The config file is the operator's word: its watches are not held to max_per_room.
            self.store.add(room, list(self.w.servers), "config", "config", cap=1 << 30)
        for key in {target_key(w.room_id, w.target) for w in self.store.watches()}:
            self.ensure_loop(key, random.uniform(0, self.w.interval))
        for room_id in self.store.rooms_with_unsent():
            self.kick_sender(room_id)
        self._housekeeping = asyncio.create_task(self._prune_daily())

    async def _prune_daily(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY_S)
            self.store.prune_history(int(self.w.history_days * 86_400_000))

    async def stop(self) -> None:
        tasks = [*self._loops.values(), *self._senders.values()]
        if self._housekeeping is not None:
            tasks.append(self._housekeeping)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def ensure_loop(self, key: str, first_delay: float) -> None:
        if key in self._loops and not self._loops[key].done():
            if first_delay <= 0:
                self.wake(key)
            return
        self._wake[key] = asyncio.Event()
        self._loops[key] = asyncio.create_task(self._loop(key, first_delay))

    def wake(self, key: str) -> None:
        event = self._wake.get(key)
        if event is not None:
            event.set()

    # -- checking

    def _subscribers(self, key: str) -> list[tuple[str, str]]:
        return [(w.room_id, w.target) for w in self.store.watches() if target_key(w.room_id, w.target) == key]

    async def check(self, key: str) -> Summary | None:
        """A fresh check of one target; None when it could not be made (logged)."""
        started = time.monotonic()
        limit = self.config.checks.deadline * 2 + 5
        try:
            if key.startswith("room:"):
                room_id = key.removeprefix("room:")
                snapshot = await self.rooms.room_snapshot(room_id)
                if isinstance(snapshot, SnapshotError):
                    log.warning("watch of %s: %s", room_id, snapshot.message)
                    return None
                snapshot = snapshot.without_members({self.config.matrix.user_id})
                report = await asyncio.wait_for(
                    room_check(self.checker(), snapshot, self.config.checks.deadline), limit
                )
                summary = room_summary(report)
            else:
                server = await asyncio.wait_for(self.checker().check(parse_server_name(key)), limit)
                summary = server_summary(server)
        except Exception:  # one odd target must never stop the others
            log.exception("watch check of %s failed", key)
            self.metrics.errors.inc()
            return None
        self.metrics.observe(key, summary, time.monotonic() - started, self.clock())
        return summary

    async def _sleep(self, key: str, delay: float) -> None:
        event = self._wake[key]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(0.0, delay))
        event.clear()

    def next_delay(self) -> float:
        return self.w.interval * random.uniform(1 - JITTER, 1 + JITTER)

    async def _loop(self, key: str, delay: float) -> None:
        try:
            while True:
                await self._sleep(key, delay)
                if not self._subscribers(key):
                    return
                summary = await self.check(key)
                delay = self.next_delay()
                if summary is None:
                    continue
                for room_id, target in self._subscribers(key):
                    recheck = self.apply(room_id, target, summary)
                    if recheck is not None:
                        delay = min(delay, recheck)
        finally:
            self._loops.pop(key, None)
            self._wake.pop(key, None)
            self.metrics.forget(key)

    def apply(self, room_id: str, target: str, summary: Summary) -> float | None:
        """Feed one check into one room's watch; seconds until a confirming re-check, if one is due."""
        now = self.now_ms()
        before = self.store.state(room_id, target)
        result = step(before, summary, now, int(self.w.confirm_after * 1000), room_id=room_id, target=target)
        if not self.store.save_state(room_id, target, result.state, result.change):
            return None  # unwatched meanwhile
        if result.change is not None:
            log.info("watch of %s in %s: confirmed change %s", target, room_id, result.change.change_id)
            self.kick_sender(room_id)
        if result.kind != "pending" or result.recheck_at_ms is None:
            return None
        if before.pending is None:  # a new change: check the room's other targets now as well
            log.info("watch of %s in %s: a change, confirming", target, room_id)
            for watch in self.store.watches(room_id):
                if watch.target != target and self.store.state(room_id, watch.target).pending is None:
                    self.wake(target_key(room_id, watch.target))
        return max(0.0, (result.recheck_at_ms - now) / 1000)

    # -- sending

    def kick_sender(self, room_id: str) -> None:
        if room_id not in self._senders or self._senders[room_id].done():
            self._send_wake[room_id] = asyncio.Event()
            self._senders[room_id] = asyncio.create_task(self._sender(room_id))
        self._send_wake[room_id].set()

    async def _sender(self, room_id: str) -> None:
        wake = self._send_wake[room_id]
        while True:
            wake.clear()
            waiting = self.store.unsent(room_id)
            if not waiting:
                await wake.wait()
                continue
            first = min(queued for _, _, queued in waiting)
            at = send_at_ms(
                first,
                self.store.last_sent_ms(room_id),
                int(self.w.alert_gap * 1000),
                int(min(GATHER_S, self.w.alert_gap) * 1000),
            )
            if at > self.now_ms():
                await asyncio.sleep((at - self.now_ms()) / 1000)
                continue
            if not await self._send_waiting(room_id, waiting):
                await asyncio.sleep(SEND_RETRY_S)

    async def _send_waiting(self, room_id: str, waiting: list[tuple[str, str | None, int]]) -> bool:
        """Send every waiting alert: batches made before (a resend after a restart) as they were,
        the rest as one new message. False when one could not be sent."""
        batches: dict[str, list[str]] = {}
        fresh = [cid for cid, batch, _ in waiting if batch is None]
        for cid, batch, _ in waiting:
            if batch is not None:
                batches.setdefault(batch, []).append(cid)
        if fresh:
            batch = batch_id(fresh)
            self.store.assign_batch(fresh, batch)
            batches[batch] = fresh
        for batch, ids in batches.items():
            changes = sorted(self.store.changes(ids), key=lambda c: (c.at_ms, c.target))
            content = reply.notice(alert_sections(changes))
            event_id = await self.messenger.send(room_id, "m.room.message", content, txn_id(batch))
            if event_id is None:
                log.warning("a watch alert to %s could not be sent; trying again later", room_id)
                return False
            self.store.mark_sent(batch)
            self.metrics.alerts.inc()
            log.info("watch alert %s sent to %s (%d changes)", batch, room_id, len(changes))
        return True
