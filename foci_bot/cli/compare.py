"""``foci-bot compare TARGET[=MEMBERS] ...``: the server part of the room check, without Matrix."""

from __future__ import annotations

import argparse
import asyncio

from foci_bot.cli.options import UsageError, add_network_flags, checks_settings, exit_status, parse_targets
from foci_bot.config import ChecksConfig
from foci_bot.engine.discover import Checker
from foci_bot.engine.http import HttpClient
from foci_bot.engine.roomcheck import check_servers
from foci_bot.engine.setup import answer_options, http_options
from foci_bot.model import ServerName
from foci_bot.render.room import compare_sections
from foci_bot.render.room_json import compare_json
from foci_bot.render.server import sections_markdown
from foci_bot.room.verdict import Verdict, verdict
from foci_bot.text import json_text

MAX_MEMBERS = 10_000_000


def parse_counted(texts: list[str]) -> tuple[list[ServerName], dict[str, int]]:
    """``example.org=40`` -> (servers in order, members per server); no count means 1 member.
    A server named twice gets the sum."""
    counts: dict[str, int] = {}
    servers: list[ServerName] = []
    for text in texts:
        target, sep, number = text.rpartition("=")
        if not sep or not number.isdigit():
            target, number = text, "1"
        members = int(number)
        if not 0 <= members <= MAX_MEMBERS:
            raise UsageError(f"member count out of range 0-{MAX_MEMBERS} in {text!r}")
        (server,) = parse_targets([target])
        name = str(server)
        if name not in counts:
            servers.append(server)
        counts[name] = counts.get(name, 0) + members
    return servers, counts


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compare = sub.add_parser("compare", help="compare servers' call backends and suggest a shared one")
    compare.add_argument("targets", nargs="+", metavar="TARGET[=MEMBERS]")
    add_network_flags(compare)


async def run_compare(servers: list[ServerName], counts: dict[str, int], checks: ChecksConfig) -> Verdict:
    async with HttpClient(http_options(checks)) as client:
        checker = Checker(client, answer_options(checks))
        reports, _ = await check_servers(checker, servers, checks.deadline)
    return verdict(counts, reports)


def run(args: argparse.Namespace) -> int:
    servers, counts = parse_counted(list(args.targets))
    result = asyncio.run(run_compare(servers, counts, checks_settings(args)))
    if args.json:
        print(json_text(compare_json(result)))
    else:
        print(sections_markdown(compare_sections(result, budget=None)), end="")
    return exit_status([g.report for g in result.groups])
