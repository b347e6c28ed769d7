"""``foci-bot explain CODE``: what causes an Element Call or lk-jwt-service error code.

Exit status: 0 for a known code, 2 for an unknown one (one line listing the known codes).
"""

from __future__ import annotations

import argparse

from foci_bot.cli.options import EXIT_OK, UsageError
from foci_bot.explain import lookup
from foci_bot.render.explain import explain_json, explain_markdown, unknown_code_line
from foci_bot.text import json_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = sub.add_parser("explain", help="what causes an Element Call or lk-jwt-service error code")
    explain.add_argument("code", metavar="CODE", help="e.g. MISSING_MATRIX_RTC_TRANSPORT or M_LOOKUP_FAILED")
    explain.add_argument("--json", action="store_true", help="print JSON instead of markdown")


def run(args: argparse.Namespace) -> int:
    entry = lookup(args.code)
    if entry is None:
        raise UsageError(unknown_code_line(args.code))
    if args.json:
        print(json_text(explain_json(entry)))
    else:
        print(explain_markdown(entry), end="")
    return EXIT_OK
