"""``foci-bot room --config config.toml ROOM [--json]``: the room check with the bot's own account.

``ROOM`` is a room ID (``!…``) or alias (``#…``) the bot is in. Exit status: 0 when no server has an
error finding and every member may join a call, 1 otherwise (also when the bot cannot log in or the
homeserver cannot be reached: one line on stderr), 2 for a bad config or a room the bot cannot read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from foci_bot.bot.incoming import SnapshotError
from foci_bot.bot.store import Store
from foci_bot.cli.options import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, load_config_arg
from foci_bot.config import Config
from foci_bot.engine.http import HttpClient
from foci_bot.engine.roomcheck import room_check
from foci_bot.engine.setup import answer_options, bot_http_options, own_checker
from foci_bot.render.room import room_sections
from foci_bot.render.room_json import room_json
from foci_bot.render.server import sections_markdown
from foci_bot.room.analysis import RoomReport
from foci_bot.text import json_text


class RoomError(Exception):
    """The room cannot be read (one line for stderr)."""


class HomeserverError(Exception):
    """The bot cannot log in or its homeserver cannot be reached (one line for stderr)."""


def _snapshot_error(error: SnapshotError, prefix: str) -> Exception:
    """The homeserver could not be reached (exit 1), or it refused the room (exit 2)."""
    if error.unreachable:
        return HomeserverError(error.message)
    return RoomError(f"{prefix}{error.message}")


HOMESERVER_LIMIT = 60.0  # seconds for logging in and reading the room, all retries included


async def run_room(config: Config, room: str) -> RoomReport:
    """Log in as the bot (reusing its stored session), read the room, check it."""
    from foci_bot.bot.matrix import LoginError, MatrixBot

    # Room version 12 room IDs have no server part; aliases always do.
    if (
        len(room) < 2
        or room[0] not in "!#"
        or (room[0] == "#" and ":" not in room)
        or any(c.isspace() for c in room)
    ):
        raise RoomError(f"ROOM must be a room ID (!…) or alias (#…:server), got {room!r}")
    store = Store(config.matrix.store_dir)
    bot = MatrixBot(config, store, one_shot=True)
    try:
        try:
            async with asyncio.timeout(HOMESERVER_LIMIT):
                await bot.login()
                room_id = await bot.resolve_alias(room) if room.startswith("#") else room
                if isinstance(room_id, SnapshotError):
                    raise _snapshot_error(room_id, "")
                snapshot = await bot.room_snapshot(room_id)
        except TimeoutError:
            raise HomeserverError(
                f"{config.matrix.homeserver} did not answer within {HOMESERVER_LIMIT:g} s"
            ) from None
        except LoginError as exc:
            raise HomeserverError(str(exc)) from None
        if isinstance(snapshot, SnapshotError):
            raise _snapshot_error(snapshot, f"{room}: ")
        snapshot = snapshot.without_members({config.matrix.user_id})
        token = str(bot.client.access_token)
        async with HttpClient(bot_http_options(config)) as http:
            checker = own_checker(config, http, answer_options(config.checks), token)
            return await room_check(checker, snapshot, config.checks.deadline)
    finally:
        await bot.client.close()
        store.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    room = sub.add_parser("room", help="check a room's call readiness with the bot's account")
    room.add_argument("--config", required=True, help="the bot's config.toml")
    room.add_argument("room", help="room ID or alias the bot is in")
    room.add_argument("--json", action="store_true", help="print JSON instead of markdown")


def run(args: argparse.Namespace) -> int:
    config = load_config_arg(args.config)
    try:
        report = asyncio.run(run_room(config, args.room))
    except RoomError as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HomeserverError as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    if args.json:
        print(json_text(room_json(report)))
    else:
        print(sections_markdown(room_sections(report, budget=None)), end="")
    errors = any(g.report.status == "error" for g in report.verdict.groups)
    return EXIT_FINDINGS if errors or report.permission.cannot_join else EXIT_OK
