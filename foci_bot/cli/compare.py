"""``foci-bot compare TARGET[=MEMBERS] ...``: the server part of the room check, without Matrix."""

from __future__ import annotations

import argparse
import asyncio

from foci_bot.cli.main import UsageError, exit_status, http_options, parse_targets
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.roomcheck import check_servers
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


def per_server_deadline(deadline: float) -> float:
    """Each server stops a little before the whole report, so it reports its own partial result."""
    return max(deadline * 0.5, deadline - 1.0)


async def run_compare(
    servers: list[ServerName], counts: dict[str, int], http: HttpOptions, deadline: float, concurrency: int
) -> Verdict:
    async with HttpClient(http) as client:
        checker = Checker(
            client, CheckOptions(deadline=per_server_deadline(deadline), concurrency=concurrency)
        )
        reports, _ = await check_servers(checker, servers, deadline)
    return verdict(counts, reports)


def compare_command(args: argparse.Namespace) -> int:
    servers, counts = parse_counted(list(args.targets))
    result = asyncio.run(run_compare(servers, counts, http_options(args), args.deadline, args.concurrency))
    if args.json:
        print(json_text(compare_json(result)))
    else:
        print(sections_markdown(compare_sections(result, budget=None)), end="")
    return exit_status([g.report for g in result.groups])
