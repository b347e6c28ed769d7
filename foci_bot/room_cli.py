"""``foci-bot room --config config.toml ROOM [--json]``: the room check with the bot's own account.

``ROOM`` is a room ID (``!…``) or alias (``#…``) the bot is in. Exit status: 0 when no server has an
error finding and every member may join a call, 1 otherwise, 2 for a bad config or a room the bot
cannot read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from .compare_cli import per_server_deadline
from .config import Config, ConfigError, load_config
from .discover import Checker, CheckOptions
from .http import HttpClient, HttpOptions
from .render import sections_markdown
from .room import RoomReport
from .room_json import room_json
from .room_render import room_sections
from .roomcheck import room_check
from .service import SnapshotError
from .store import Store


class RoomError(Exception):
    """The room cannot be read (one line for stderr)."""


def http_options(config: Config) -> HttpOptions:
    c = config.checks
    return HttpOptions(
        timeout=c.timeout, concurrency=c.concurrency, allow_private=c.allow_private,
        allowed_addresses=c.allow_addresses, connect_to=c.connect_to, cacert=c.cacert,
    )  # fmt: skip


async def run_room(config: Config, room: str) -> RoomReport:
    """Log in as the bot (reusing its stored session), read the room, check it."""
    from .bot import MatrixBot

    # Room version 12 room IDs have no server part; aliases always do.
    if (
        len(room) < 2
        or room[0] not in "!#"
        or (room[0] == "#" and ":" not in room)
        or any(c.isspace() for c in room)
    ):
        raise RoomError(f"ROOM must be a room ID (!…) or alias (#…:server), got {room!r}")
    store = Store(config.matrix.store_dir)
    bot = MatrixBot(config, store)
    try:
        await bot.login()
        room_id = await bot.resolve_alias(room) if room.startswith("#") else room
        if isinstance(room_id, SnapshotError):
            raise RoomError(room_id.message)
        snapshot = await bot.room_snapshot(room_id)
        if isinstance(snapshot, SnapshotError):
            raise RoomError(f"{room}: {snapshot.message}")
        snapshot = snapshot.without_members({config.matrix.user_id})
        token = str(bot.client.access_token)
        c = config.checks
        async with HttpClient(http_options(config)) as http:
            options = CheckOptions(
                deadline=per_server_deadline(c.deadline), cache_ttl=c.cache_ttl, concurrency=c.concurrency
            )
            checker = Checker(http, options, tokens={config.matrix.server_name: token})
            return await room_check(checker, snapshot, c.deadline)
    finally:
        await bot.client.close()
        store.close()


def room_command(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = asyncio.run(run_room(config, args.room))
    except RoomError as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(room_json(report), indent=2, ensure_ascii=False))
    else:
        print(sections_markdown(room_sections(report, budget=None)), end="")
    errors = any(g.report.status == "error" for g in report.verdict.groups)
    return EXIT_FINDINGS if errors or report.permission.cannot_join else EXIT_OK
