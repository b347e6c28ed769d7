"""Command line: ``foci-bot check|compare|room|run|explain``.

Exit status: 0 when no server has an error finding, 1 when one does, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from foci_bot import __version__
from foci_bot.addrguard import ConnectTo, ConnectToError
from foci_bot.config import Config, ConfigError, load_config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import ServerName, ServerReport
from foci_bot.render.server import check_json, check_markdown
from foci_bot.servername import TargetError, parse_target

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A one-line problem with what the user typed; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600: {text!r}")
    return value


def add_network_flags(parser: argparse.ArgumentParser) -> None:
    """The lab hooks and limits shared by every command that fetches URLs."""
    group = parser.add_argument_group("network")
    group.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    group.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST:PORT:ADDR:PORT2",
        help="send connections for HOST:PORT to ADDR:PORT2, keeping the name for TLS and Host (repeatable)",
    )
    group.add_argument("--cacert", metavar="FILE", help="also trust this CA bundle (PEM)")
    group.add_argument(
        "--allow-private",
        action="store_true",
        help="allow loopback, private and link-local addresses (lab use only)",
    )
    group.add_argument(
        "--allow-address",
        action="append",
        default=[],
        metavar="IP",
        help="exempt exactly this IP address from the guard (repeatable)",
    )
    group.add_argument("--timeout", type=_positive, default=5.0, help="seconds per request (default 5)")
    group.add_argument("--deadline", type=_positive, default=20.0, help="seconds per server (default 20)")
    group.add_argument("--concurrency", type=int, default=64, help="requests in flight at once (default 64)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="foci-bot", description="Check MatrixRTC call backends (foci) of Matrix homeservers."
    )
    parser.add_argument("--version", action="version", version=f"foci-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    check = sub.add_parser("check", help="check servers' MatrixRTC discovery (no Matrix account needed)")
    check.add_argument(
        "targets",
        nargs="+",
        metavar="TARGET",
        help="server name, @user:server, matrix.to link or https:// URL",
    )
    add_network_flags(check)
    compare = sub.add_parser("compare", help="compare servers' call backends and suggest a shared one")
    compare.add_argument("targets", nargs="+", metavar="TARGET[=MEMBERS]")
    add_network_flags(compare)
    room = sub.add_parser("room", help="check a room's call readiness with the bot's account")
    room.add_argument("--config", required=True, help="the bot's config.toml")
    room.add_argument("room", help="room ID or alias the bot is in")
    room.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    run = sub.add_parser("run", help="run the Matrix bot")
    run.add_argument("--config", required=True, help="config.toml (see config.sample.toml)")
    explain = sub.add_parser("explain", help="what causes an Element Call or lk-jwt-service error code")
    explain.add_argument("code", metavar="CODE", help="e.g. MISSING_MATRIX_RTC_TRANSPORT or M_LOOKUP_FAILED")
    explain.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    return parser


def http_options(args: argparse.Namespace) -> HttpOptions:
    rules = []
    for text in args.connect_to:
        try:
            rules.append(ConnectTo.parse(text))
        except ConnectToError as exc:
            raise UsageError(str(exc)) from None
    if args.cacert and not os.access(args.cacert, os.R_OK):
        raise UsageError(f"--cacert {args.cacert!r} is not a readable file")
    if not 1 <= args.concurrency <= 1000:
        raise UsageError("--concurrency must be between 1 and 1000")
    exempt = set()
    for text in args.allow_address:
        try:
            exempt.add(str(ipaddress.ip_address(text.strip("[]"))))
        except ValueError:
            raise UsageError(f"--allow-address wants an IP address, got {text!r}") from None
    return HttpOptions(
        timeout=args.timeout,
        concurrency=args.concurrency,
        allow_private=args.allow_private,
        allowed_addresses=frozenset(exempt),
        connect_to=tuple(rules),
        cacert=args.cacert,
    )


def load_config_arg(path: str) -> Config:
    """The ``--config`` file, or a usage error (exit 2) naming the bad key."""
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def parse_targets(texts: Sequence[str]) -> list[ServerName]:
    """Unique server names in the order given; the first bad target is a usage error."""
    servers: dict[str, ServerName] = {}
    for text in texts:
        try:
            server = parse_target(text)
        except TargetError as exc:
            raise UsageError(f"bad target: {exc}") from None
        servers.setdefault(str(server), server)
    return list(servers.values())


async def run_check(
    servers: Sequence[ServerName], http: HttpOptions, options: CheckOptions
) -> list[ServerReport]:
    async with HttpClient(http) as client:
        return await Checker(client, options).check_many(servers)


def exit_status(reports: Sequence[ServerReport]) -> int:
    return EXIT_FINDINGS if any(r.status == "error" for r in reports) else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    servers = parse_targets(args.targets)
    options = CheckOptions(deadline=args.deadline, concurrency=args.concurrency)
    reports = asyncio.run(run_check(servers, http_options(args), options))
    if args.json:
        print(json.dumps(check_json(reports), indent=2, ensure_ascii=False))
    else:
        print(check_markdown(reports), end="")
    return exit_status(reports)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command == "check":
            return _check(args)
        if args.command == "compare":
            from foci_bot.cli.compare import compare_command

            return compare_command(args)
        if args.command == "explain":
            from foci_bot.cli.explain import explain_command

            return explain_command(args)
        if args.command == "room":
            from foci_bot.cli.room import room_command

            return room_command(args)
        from foci_bot.cli.run import run_command

        return run_command(args)
    except UsageError as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
