"""What every command of the terminal shell shares: exit codes, the usage error, the parser
class, the network flags and the one place they become the engine's settings.

It lies below every command module and imports none of them (``main`` imports the commands).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Sequence
from typing import NoReturn

from foci_bot.addrguard import ConnectTo, ConnectToError, parse_dns_server
from foci_bot.config import ChecksConfig, Config, ConfigError, load_config
from foci_bot.model import ServerName, ServerReport
from foci_bot.servername import TargetError, parse_target

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A one-line problem with what the user typed; exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`UsageError` (one line, exit status 2)."""

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
        "--dns-server",
        metavar="ADDR:PORT",
        help="resolve every name (and federation SRV records) at this DNS server (lab use)",
    )
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


def checks_settings(args: argparse.Namespace) -> ChecksConfig:
    """The network flags as the same settings the config file's ``[checks]`` table gives."""
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
    dns_server = None
    if args.dns_server:
        try:
            dns_server = parse_dns_server(args.dns_server)
        except ValueError:
            raise UsageError(f"--dns-server wants ADDR:PORT, got {args.dns_server!r}") from None
    return ChecksConfig(
        timeout=args.timeout,
        deadline=args.deadline,
        concurrency=args.concurrency,
        cache_ttl=0.0,
        allow_private=args.allow_private,
        allow_addresses=frozenset(exempt),
        connect_to=tuple(rules),
        cacert=args.cacert,
        dns_server=dns_server,
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


def exit_status(reports: Sequence[ServerReport], fail_on: str = "error") -> int:
    """1 when any server's status is ``fail_on`` ("warning" or "error") or worse, else 0."""
    bad = ("warning", "error") if fail_on == "warning" else ("error",)
    return EXIT_FINDINGS if any(r.status in bad for r in reports) else EXIT_OK
