"""Explanations of error codes -> markdown (CLI and chat) and JSON (pure).

Only our own table's text goes into the markdown; what the user typed appears only through
:func:`foci_bot.text.quote`, as a code span.
"""

from __future__ import annotations

from typing import Any

from foci_bot.explain import ORIGIN_LABEL, Explanation, known_codes
from foci_bot.text import quote


def explain_markdown(entry: Explanation) -> str:
    """The code, what it means, then each cause with its source and the findings that detect it."""
    lines = [f"### `{entry.code}` ({ORIGIN_LABEL[entry.origin]})", "", entry.summary, "", "**Causes:**", ""]
    for cause in entry.causes:
        if cause.findings:
            detect = ", ".join(f"`{code}`" for code in cause.findings)
        else:
            detect = "no finding (not visible from outside)"
        if cause.see_also:
            detect += f"; {cause.see_also}"
        lines.append(f"- {cause.text}. *Detected by:* {detect}. *Source:* {cause.source}.")
    if entry.aliases:
        lines += [
            "",
            "Older Element Call releases called it " + ", ".join(f"`{a}`" for a in entry.aliases) + ".",
        ]
    return "\n".join(lines) + "\n"


def unknown_code_line(text: str) -> str:
    """One line for a code not in the table, listing the known ones."""
    return f"unknown error code {quote(text, 60)}; known codes: {', '.join(known_codes())}"


def unknown_code_markdown(text: str) -> str:
    """The chat answer for a code not in the table: the same line, as a sentence."""
    line = unknown_code_line(text)
    return f"{line[:1].upper()}{line[1:]}.\n"


def explain_json(entry: Explanation) -> dict[str, Any]:
    return {
        "code": entry.code,
        "origin": entry.origin,
        "aliases": list(entry.aliases),
        "summary": entry.summary,
        "causes": [
            {"text": c.text, "source": c.source, "findings": list(c.findings), "see_also": c.see_also or None}
            for c in entry.causes
        ],
    }
