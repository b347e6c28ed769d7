"""The dispatcher: in-flight marking and unsent answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.incoming import Incoming, SnapshotError
from foci_bot.bot.store import Store
from foci_bot.config import load_config
from foci_bot.room.snapshot import RoomSnapshot


class Messenger:
    """Sends nothing until ``working`` is set (a homeserver that refuses, then recovers)."""

    def __init__(self) -> None:
        self.working = False

    async def send(self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str) -> str | None:
        return "$answer" if self.working else None


class NoRooms:
    async def room_snapshot(self, room_id: str) -> RoomSnapshot | SnapshotError:
        return SnapshotError("no rooms here")

    async def resolve_alias(self, alias: str) -> str | SnapshotError:
        return SnapshotError("no aliases here")


def test_unsent_answer_stays_unanswered_and_in_flight_is_marked_at_start(tmp_path: Path) -> None:
    """An event is in flight from when its task is started; a command whose answer could not
    be sent is not marked answered (so its sync batch stays pending and it is tried again)."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[matrix]\nhomeserver = "https://hs.example"\nuser_id = "@foci:example.org"\npassword = "x"\n'
    )
    config = load_config(config_file)
    store = Store(config.matrix.store_dir)
    messenger = Messenger()
    try:
        dispatcher = Dispatcher(config, None, store, messenger, NoRooms())  # type: ignore[arg-type]
        msg = Incoming("!r:example.org", "$cmd", "@alice:example.org", "!foci version", 1)
        command = dispatcher.wants(msg)
        assert command is not None
        dispatcher.begin(msg)
        assert dispatcher.wants(msg) is None  # seen again before its task ran: not started twice
        assert asyncio.run(dispatcher.handle(msg, command)) is False
        assert not store.is_answered("$cmd")
        assert dispatcher.wants(msg) is not None  # still to be answered
        messenger.working = True
        assert asyncio.run(dispatcher.handle(msg, command)) is True
        assert store.is_answered("$cmd") and dispatcher.wants(msg) is None
    finally:
        store.close()
