"""Watch mode and the metrics, built before the dispatcher and handed to it.

The Matrix adapter builds it, gives its ``messenger``, ``handler`` and ``metrics`` to the dispatcher,
calls :meth:`WatchMode.start` once that dispatcher exists and
:meth:`WatchMode.stop` when it stops; everything else happens here: the watch store beside the
bot's own, the scheduler, the chat commands' hook, and counting what the bot sends.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from foci_bot.bot import reply
from foci_bot.bot.dispatch import WatchHandler
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
    """The commands' checker without its cache; rebuilt when a re-login replaced it (new token)."""

    def __init__(self, current: Callable[[], Checker]) -> None:
        self.current = current
        self._base: Checker | None = None
        self._fresh: Checker | None = None

    def __call__(self) -> Checker:
        base = self.current()
        if self._fresh is None or base is not self._base:
            self._base, self._fresh = base, base.uncached()
        return self._fresh


class WatchMode:
    """Built before the dispatcher, which takes its ``messenger``, ``handler`` and ``metrics``;
    :meth:`start` once the dispatcher exists, :meth:`stop` at the end."""

    def __init__(
        self,
        config: Config,
        store: Store,
        messenger: Messenger,
        rooms: RoomSource,
        checker: Callable[[], Checker],
    ) -> None:
        self.config = config
        self.metrics = Metrics()
        #: Every event the bot sends goes through this, so answers to commands count as replies too.
        self.messenger = CountingMessenger(messenger, self.metrics)
        self.store = WatchStore(store.path)
        self.watcher = Watcher(config, self.store, FreshChecker(checker), rooms, self.messenger, self.metrics)
        self.handler: WatchHandler = functools.partial(handle_watch, self.watcher)

    def start(self) -> None:
        self.metrics.serve(self.config.metrics)
        self.watcher.start()

    async def stop(self) -> None:
        await self.watcher.stop()
        self.metrics.close()
        self.store.close()
