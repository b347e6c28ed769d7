"""Watch mode and the metrics, wired into a running bot in one call.

The Matrix adapter calls :meth:`WatchMode.start` once its dispatcher exists and
:meth:`WatchMode.stop` when it stops; everything else happens here: the watch store beside the
bot's own, the scheduler, the chat commands' hook, and counting what the bot sends.
"""

from __future__ import annotations

import functools

from foci_bot.bot import reply
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.metrics import Metrics
from foci_bot.bot.replier import Messenger, RoomSource
from foci_bot.bot.store import Store
from foci_bot.bot.watch import Watcher
from foci_bot.bot.watch_command import handle_watch
from foci_bot.bot.watchstore import WatchStore
from foci_bot.config import Config
from foci_bot.engine.discover import Checker


class CountingMessenger:
    """A :class:`Messenger` that counts what was sent (replies) and what could not be (errors)."""

    def __init__(self, inner: Messenger, metrics: Metrics) -> None:
        self.inner, self.metrics = inner, metrics

    async def send(self, room_id: str, event_type: str, content: reply.Content, txn_id: str) -> str | None:
        event_id = await self.inner.send(room_id, event_type, content, txn_id)
        (self.metrics.replies if event_id is not None else self.metrics.errors).inc()
        return event_id


class FreshChecker:
    """The dispatcher's checker without its cache; rebuilt when a re-login replaced it (new token)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._base: Checker | None = None
        self._fresh: Checker | None = None

    def __call__(self) -> Checker:
        base = self.dispatcher.checker
        if self._fresh is None or base is not self._base:
            self._base, self._fresh = base, base.uncached()
        return self._fresh


class WatchMode:
    def __init__(self, watcher: Watcher, store: WatchStore, metrics: Metrics) -> None:
        self.watcher, self.store, self.metrics = watcher, store, metrics

    @classmethod
    def start(
        cls, config: Config, store: Store, dispatcher: Dispatcher, messenger: Messenger, rooms: RoomSource
    ) -> WatchMode:
        metrics = Metrics()
        counted = CountingMessenger(messenger, metrics)
        dispatcher.replier.messenger = counted  # answers to commands count as replies too
        dispatcher.metrics = metrics
        watches = WatchStore(store.path)
        watcher = Watcher(config, watches, FreshChecker(dispatcher), rooms, counted, metrics)
        dispatcher.watch_handler = functools.partial(handle_watch, watcher)
        metrics.serve(config.metrics)
        watcher.start()
        return cls(watcher, watches, metrics)

    async def stop(self) -> None:
        await self.watcher.stop()
        self.metrics.close()
        self.store.close()
