"""``foci-bot check TARGET ...``: the server check, no Matrix account needed."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from foci_bot.cli.options import add_network_flags, checks_settings, exit_status, parse_targets
from foci_bot.config import ChecksConfig
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient
from foci_bot.engine.setup import http_options
from foci_bot.model import ServerName, ServerReport
from foci_bot.render.server import check_json, check_markdown
from foci_bot.text import json_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="check servers' MatrixRTC discovery (no Matrix account needed)")
    check.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="server name, @user:server, matrix.to link or https:// URL",
    )
    add_network_flags(check)


async def run_check(servers: Sequence[ServerName], checks: ChecksConfig) -> list[ServerReport]:
    options = CheckOptions(deadline=checks.deadline, concurrency=checks.concurrency)
    async with HttpClient(http_options(checks)) as client:
        return await Checker(client, options).check_many(servers)


def run(args: argparse.Namespace) -> int:
    servers = parse_targets(args.targets)
    reports = asyncio.run(run_check(servers, checks_settings(args)))
    if args.json:
        print(json_text(check_json(reports)))
    else:
        print(check_markdown(reports), end="")
    return exit_status(reports)
