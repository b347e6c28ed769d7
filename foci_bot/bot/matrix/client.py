"""The Matrix bot: after logging in (``session``) it runs its own sync loop, accepts invites from
allowed users, turns new text messages into :class:`~foci_bot.bot.incoming.Incoming` commands for
the :class:`~foci_bot.bot.dispatch.Dispatcher`, and sends what the dispatcher builds.

Exactly once (docs/bot.md): the sync position is stored only when every command of its batch,
and of the batches before it, has been answered (``syncpos``); answered event IDs are kept in
SQLite, and events older than the bot's join of a room are never answered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import nio

from foci_bot.bot import timeline
from foci_bot.bot.access import UserPatterns
from foci_bot.bot.backoff import Backoff
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.incoming import Incoming
from foci_bot.bot.matrix.responses import LoginError, now_ms, token_refused
from foci_bot.bot.matrix.rooms import RoomsMixin
from foci_bot.bot.matrix.session import SessionMixin
from foci_bot.bot.store import Store, private_dir
from foci_bot.bot.syncpos import SyncPositions
from foci_bot.bot.watch_mode import WatchMode
from foci_bot.config import Config
from foci_bot.engine.http import HttpClient
from foci_bot.engine.setup import answer_options, bot_http_options, own_checker

log = logging.getLogger("foci_bot.bot.matrix")

SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER = {
    "presence": {"not_types": ["*"]},
    "room": {"timeline": {"limit": 50}, "ephemeral": {"not_types": ["*"]}},
}
GAP_PAGES = 5  # pages of 100 events fetched back when a sync's timeline was cut short
CLOCK_SLACK_MS = 60_000
UNANSWERED_RETRIES = 5  # tries again for a command whose answer could not be sent
UNANSWERED_RETRY_S = 30.0  # first wait; it doubles
ONE_SHOT_REQUEST_TIMEOUT = 15.0  # seconds per request for the one-shot `room` CLI


class MatrixBot(SessionMixin, RoomsMixin):
    """One bot account: session, sync loop, invites, sending."""

    def __init__(self, config: Config, store: Store, one_shot: bool = False) -> None:
        """``one_shot`` (the ``room`` CLI): bounded retries and timeouts, so an unreachable
        homeserver is an error after a few seconds rather than a wait for ever."""
        self.config, self.store = config, store
        m = config.matrix
        nio_dir = private_dir(m.store_dir / "nio")
        client_config = nio.AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=False,  # we store the position ourselves, after handling: nio saves it before callbacks run
            backoff_factor=0.25,
            max_timeout_retry_wait_time=2 if one_shot else 10,
            request_timeout=ONE_SHOT_REQUEST_TIMEOUT if one_shot else SYNC_TIMEOUT_MS / 1000 + 30,
            max_timeouts=2 if one_shot else None,
            max_limit_exceeded=2 if one_shot else None,
        )
        self.max_attempts: int | None = 2 if one_shot else None  # login/whoami tries; None = for ever
        self.retry_delay = 1.0  # seconds before the first retry of login/whoami; it doubles
        self.client = nio.AsyncClient(m.homeserver, m.user_id, store_path=str(nio_dir), config=client_config)
        self.positions = SyncPositions()
        self.tasks: set[asyncio.Task[bool]] = set()
        self.retries: dict[str, asyncio.TimerHandle] = {}  # event ID -> its next try
        self.dispatcher: Dispatcher | None = None
        self.watch: WatchMode | None = None  # watch mode and metrics
        self.ready = asyncio.Event()

    # -- running

    async def run(self) -> None:
        """Log in, then sync until cancelled; commands are handled in their own tasks."""
        await self.login()
        self.store.prune_answered()
        async with HttpClient(bot_http_options(self.config)) as http:
            checker = own_checker(
                self.config, http, answer_options(self.config.checks), self.client.access_token
            )
            self.dispatcher = Dispatcher(self.config, checker, self.store, self, self)
            self.watch = WatchMode.start(self.config, self.store, self.dispatcher, self, self)
            try:
                await self._sync_forever()
            finally:
                await self.watch.stop()
                await self.shutdown()

    async def shutdown(self, grace: float = 1.0) -> None:
        """Let running commands finish briefly, then cancel them; their batches stay unstored."""
        for handle in self.retries.values():
            handle.cancel()
        self.retries.clear()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=grace)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.close()

    async def _sync_forever(self) -> None:
        since = self.store.sync_token()
        synced_at = self.store.synced_at_ms()
        first, backoff = True, Backoff(1.0, 30.0)
        while True:
            response = await self.client.sync(
                timeout=0 if first else SYNC_TIMEOUT_MS, sync_filter=SYNC_FILTER, since=since,
                # After a restart nio knows no members of unchanged rooms without it (nio 0.26).
                full_state=True if first and since else None,
            )  # fmt: skip
            if not isinstance(response, nio.SyncResponse):
                if token_refused(response):
                    if not self.config.matrix.password:
                        raise LoginError("the homeserver no longer accepts the bot's access token")
                    log.warning("the homeserver no longer accepts the bot's access token; logging in again")
                    await self.relogin()
                    continue
                delay = backoff.next()
                log.warning(
                    "sync failed (%s); retrying in %.0f s", getattr(response, "message", response), delay
                )
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            await self._crypto_chores()
            received_at = now_ms()
            pending = await self._take_batch(response, initial=since is None, since_ms=synced_at)
            self._advance(self.positions.add(response.next_batch, received_at, pending))
            since, synced_at = response.next_batch, received_at
            if first:
                log.info("first sync done; answering commands")
                first = False
            self.ready.set()

    async def _crypto_chores(self) -> None:
        """What nio's sync_forever does between syncs: keys and to-device messages."""
        client = self.client
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    def _advance(self, ready: tuple[str, int] | None) -> None:
        if ready is not None:
            self.store.save_sync_token(*ready)

    # -- one sync batch

    async def _take_batch(self, response: Any, initial: bool, since_ms: int | None) -> set[str]:
        """Accept invites, note joins and leaves, start a task per new command; their event IDs."""
        for room_id, info in response.rooms.invite.items():
            await self._invited(room_id, info.invite_state)
        for room_id in response.rooms.leave:
            self.store.forget_room(room_id)
        started: set[str] = set()
        for room_id, info in response.rooms.join.items():
            events = list(info.timeline.events)
            self._note_join(room_id, list(info.state) + events)
            if initial:
                continue  # a first sync without a position is history: never answer it
            if info.timeline.limited and info.timeline.prev_batch:
                events = await self._gap(room_id, info.timeline.prev_batch, since_ms) + events
            for event in events:
                incoming = self._incoming(room_id, event)
                if incoming is not None and self._start(incoming):
                    started.add(incoming.event_id)
        return started

    async def _invited(self, room_id: str, invite_state: list[Any]) -> None:
        # nio's invite callback fires once per stripped state event: find the one for us.
        sender = timeline.inviter((_raw(e) for e in invite_state), self.config.matrix.user_id)
        if sender is None:
            return
        if not UserPatterns(self.config.bot.accept_invites_from).allows(sender):
            log.info("declining an invite to %s from %s: not in accept_invites_from", room_id, sender)
            await self.client.room_leave(room_id)
            return
        self.store.set_joined_at(room_id, now_ms())  # a lower bound until the join event is seen
        response = await self.client.join(room_id)
        log.info("joined %s, invited by %s: %s", room_id, sender, type(response).__name__)

    def _note_join(self, room_id: str, events: list[Any]) -> None:
        known = self.store.joined_at(room_id) is not None
        joined = timeline.own_join_ms((_raw(e) for e in events), self.config.matrix.user_id, known)
        if joined is not None or not known:
            self.store.set_joined_at(room_id, joined if joined is not None else now_ms())

    async def _gap(self, room_id: str, start: str, since_ms: int | None) -> list[Any]:
        """Events the cut-short timeline left out, back to the last stored sync (bounded)."""
        floor = max(self.store.joined_at(room_id) or 0, (since_ms or 0) - CLOCK_SLACK_MS)
        found: list[Any] = []
        for _ in range(GAP_PAGES):
            back = nio.MessageDirection.back
            page = await self.client.room_messages(room_id, start=start, direction=back, limit=100)
            if not isinstance(page, nio.RoomMessagesResponse) or not page.chunk:
                break
            found = list(reversed(page.chunk)) + found
            if page.chunk[-1].server_timestamp < floor or not page.end:
                break
            start = page.end
        log.info("filled a gap of %d events in %s", len(found), room_id)
        return [e for e in found if e.server_timestamp >= floor]

    def _incoming(self, room_id: str, event: Any) -> Incoming | None:
        joined = self.store.joined_at(room_id)
        return timeline.incoming(room_id, event.source, self.config.matrix.user_id, joined)

    def _start(self, incoming: Incoming, attempt: int = 0) -> bool:
        assert self.dispatcher is not None
        command = self.dispatcher.wants(incoming)
        if command is None:
            return False
        self.dispatcher.begin(incoming)  # in flight from now, not from when the task first runs
        task = asyncio.create_task(self.dispatcher.handle(incoming, command))
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, incoming, attempt))
        return True

    def _finished(self, task: asyncio.Task[bool], incoming: Incoming, attempt: int) -> None:
        self.tasks.discard(task)
        if task.cancelled():  # a cancelled command is answered after the restart
            return
        if task.exception() is None and task.result():
            self._advance(self.positions.done(incoming.event_id))
            return
        # Not answered (sending failed after retries): its batch stays pending, so the sync
        # position does not move past it; try again later, and after a restart at the latest.
        if attempt < UNANSWERED_RETRIES:
            delay = Backoff.nth(UNANSWERED_RETRY_S, attempt)
            log.warning("will try command %s again in %.0f s", incoming.event_id, delay)
            loop = asyncio.get_running_loop()
            self.retries[incoming.event_id] = loop.call_later(delay, self._retry, incoming, attempt + 1)

    def _retry(self, incoming: Incoming, attempt: int) -> None:
        self.retries.pop(incoming.event_id, None)
        if not self._start(incoming, attempt):  # answered meanwhile, or no longer wanted
            self._advance(self.positions.done(incoming.event_id))

    # -- sending (replier.Messenger) and reading rooms (replier.RoomSource)

    async def send(self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str) -> str | None:
        """Send with retries; the same ``txn_id`` makes a resend a no-op on the homeserver.

        In an encrypted room nio (0.26, ``AsyncClient.encrypt``) encrypts the content and copies
        ``m.relates_to`` into the cleartext of the ``m.room.encrypted`` content, as servers and
        clients need for replies, threads and edits; reactions go unencrypted. The e2e test
        ``test_encrypted_room_and_dm`` checks the raw event, so an nio upgrade cannot lose it.
        """
        backoff = Backoff(0.5, 15.0)
        for _attempt in range(8):
            try:
                response = await self.client.room_send(
                    room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
                )
            except (nio.LocalProtocolError, nio.SendRetryError) as exc:
                log.warning("sending to %s failed: %s", room_id, exc)
                response = None
            if isinstance(response, nio.RoomSendResponse):
                return str(response.event_id)
            status = getattr(response, "transport_response", None)
            code = getattr(status, "status", 0) or 0
            if response is not None and 400 <= code < 500 and code != 429:
                log.warning(
                    "the homeserver refused a message to %s: %s", room_id, getattr(response, "message", code)
                )
                return None
            await asyncio.sleep(backoff.next())
        return None


def _raw(event: Any) -> dict[str, Any]:
    """An event's JSON; nio's member events keep their content only as attributes."""
    if isinstance(event, (nio.RoomMemberEvent, nio.InviteMemberEvent)):
        return {
            "type": "m.room.member",
            "sender": event.sender,
            "state_key": event.state_key,
            "origin_server_ts": getattr(event, "server_timestamp", 0),
            "content": event.content,
            "unsigned": {"prev_content": event.prev_content or {}},
        }
    source = getattr(event, "source", None)
    return source if isinstance(source, dict) else {}
