"""``foci-bot check TARGET ...``: the server check, no Matrix account needed."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from foci_bot.cli.options import UsageError, add_network_flags, checks_settings, exit_status, parse_targets
from foci_bot.config import ChecksConfig
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient
from foci_bot.engine.setup import http_options
from foci_bot.model import ServerName, ServerReport
from foci_bot.render.server import check_json, check_markdown
from foci_bot.text import json_text
from foci_bot.urls import http_url


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="check servers' MatrixRTC discovery (no Matrix account needed)")
    check.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="server name, @user:server, matrix.to link or https:// URL",
    )
    check.add_argument(
        "--access-token-file",
        metavar="FILE",
        help="an access token for the one TARGET: verify the call token flow end to end (needs --homeserver)",
    )
    check.add_argument(
        "--homeserver",
        metavar="URL",
        help="the TARGET's client API URL; the access token is sent only there",
    )
    check.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        default="error",
        help="exit 1 when a server's status is this bad or worse (default error); for cron and CI",
    )
    add_network_flags(check)


async def run_check(
    servers: Sequence[ServerName], checks: ChecksConfig, own: tuple[str, str] | None = None
) -> list[ServerReport]:
    """``own`` = (homeserver URL, access token) for the single server checked end to end."""
    options = CheckOptions(deadline=checks.deadline, concurrency=checks.concurrency)
    tokens, homeservers = ({str(servers[0]): own[1]}, {str(servers[0]): own[0]}) if own else ({}, {})
    async with HttpClient(http_options(checks)) as client:
        return await Checker(client, options, tokens=tokens, homeservers=homeservers).check_many(servers)


def own_token(args: argparse.Namespace, servers: Sequence[ServerName]) -> tuple[str, str] | None:
    """(homeserver URL, token) from ``--homeserver`` and ``--access-token-file``, or None."""
    if not args.access_token_file and not args.homeserver:
        return None
    if not (args.access_token_file and args.homeserver):
        raise UsageError("--access-token-file and --homeserver go together")
    if len(servers) != 1:
        raise UsageError("--access-token-file works with exactly one TARGET")
    if http_url(args.homeserver) is None:
        raise UsageError(f"--homeserver wants an http(s) URL, got {args.homeserver!r}")
    try:
        with open(args.access_token_file, encoding="utf-8") as file:
            token = file.read(4096).strip()
    except (OSError, UnicodeDecodeError):
        raise UsageError("--access-token-file is not a readable text file") from None
    if not token or any(c.isspace() for c in token):
        raise UsageError("--access-token-file holds no single token")
    return args.homeserver.rstrip("/"), token


def run(args: argparse.Namespace) -> int:
    servers = parse_targets(args.targets)
    own = own_token(args, servers)
    reports = asyncio.run(run_check(servers, checks_settings(args), own))
    if args.json:
        print(json_text(check_json(reports)))
    else:
        print(check_markdown(reports), end="")
    return exit_status(reports, args.fail_on)
