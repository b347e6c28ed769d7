"""Command line: ``foci-bot check|compare|room|run|explain``.

Exit status: 0 when no server has an error finding, 1 when one does, 2 for usage errors.
Each command is a module with ``register(subparsers)`` and ``run(args)``; this module only
builds the parser from them and turns a :class:`~foci_bot.cli.options.UsageError` (or a store
that cannot be opened, :class:`~foci_bot.bot.store.StoreError`) into status 2.
Nothing imports it but the ``foci-bot`` entry point and ``python -m foci_bot``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence

from foci_bot import __version__
from foci_bot.bot.store import StoreError
from foci_bot.cli import check, compare, explain, room, run
from foci_bot.cli.options import EXIT_USAGE, Parser, UsageError
from foci_bot.engine.gc_tuning import tune_gc

COMMANDS: Mapping[str, Callable[[argparse.Namespace], int]] = {
    "check": check.run,
    "compare": compare.run,
    "room": room.run,
    "run": run.run,
    "explain": explain.run,
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="foci-bot", description="Check MatrixRTC call backends (foci) of Matrix homeservers."
    )
    parser.add_argument("--version", action="version", version=f"foci-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in (check, compare, room, run, explain):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        tune_gc()  # everything is imported by now
        return COMMANDS[args.command](args)
    except (UsageError, StoreError) as exc:
        print(f"foci-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
