"""``foci-bot explain CODE``: what causes an Element Call or lk-jwt-service error code."""

from __future__ import annotations

import argparse
import json

from foci_bot.cli.main import EXIT_OK, UsageError
from foci_bot.explain import lookup
from foci_bot.render.explain import explain_json, explain_markdown, unknown_code_line


def explain_command(args: argparse.Namespace) -> int:
    entry = lookup(args.code)
    if entry is None:
        raise UsageError(unknown_code_line(args.code))
    if args.json:
        print(json.dumps(explain_json(entry), indent=2, ensure_ascii=False))
    else:
        print(explain_markdown(entry), end="")
    return EXIT_OK
