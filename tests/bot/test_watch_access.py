"""Who may use the watch commands: the room's own call readiness follows ``room_allowed_users``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from foci_bot.bot import watchcommands as wc
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.incoming import Incoming
from foci_bot.bot.store import Store
from foci_bot.config import load_config


@pytest.mark.parametrize(
    ("sender", "command", "answer"),
    [
        ("@admin:x.test", wc.Watch(("room",)), "handled"),
        ("@user:x.test", wc.Watch(("a.test",)), "handled"),
        (
            "@user:x.test",
            wc.Watch(("a.test", "room")),
            "You may not watch this room's call readiness here.\n",
        ),
        ("@user:x.test", wc.History("room"), "You may not watch this room's call readiness here.\n"),
        ("@user:x.test", wc.Watching(), "handled"),
    ],
)
def test_room_allowed_users_apply(tmp_path: Path, sender: str, command: wc.WatchCommand, answer: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[matrix]\nhomeserver = "https://hs.x.test"\nuser_id = "@foci:x.test"\npassword = "x"\n'
        f'store_dir = "{tmp_path / "store"}"\n[bot]\nroom_allowed_users = ["@admin:x.test"]\n'
    )
    config = load_config(path)
    dispatcher = Dispatcher(config, None, Store(tmp_path / "store"), None, None)  # type: ignore[arg-type]
    seen: list[wc.WatchCommand] = []

    async def handler(msg: Incoming, cmd: wc.WatchCommand) -> str:
        seen.append(cmd)
        return "handled"

    dispatcher.watch_handler = handler
    msg = Incoming("!r:x.test", "$e", sender, "", 0)
    assert asyncio.run(dispatcher.on_watch_command(msg, command)) == answer
    assert seen == ([command] if answer == "handled" else [])
