"""Watch alerts, the ``watching`` list and the ``history`` answer as markdown (pure).

Targets and finding texts come from remote servers: targets go through :func:`quote`, and
finding messages are already made inert when findings are built (``render/server.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from foci_bot.bot.watchstate import ROOM, Change, Summary
from foci_bot.model import Finding
from foci_bot.render.server import ICON, Section
from foci_bot.text import quote

DIGEST_DETAILS = "Details"


def when(ms: int) -> str:
    """A UTC time a person reads at a glance: ``2026-11-22 23:30:05 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))


def target_name(target: str) -> str:
    return "this room" if target == ROOM else quote(target)


def _counts(summary: Summary) -> str:
    r = summary.room
    if r is None:
        return summary.status
    return f"{r.can_speak}/{r.members} can speak, {r.can_join}/{r.members} can join"


def headline(change: Change) -> str:
    """One line: the target, old → new."""
    new, old = change.new, change.old
    if new.room is not None:
        what = "call readiness recovered" if change.recovered else "call readiness changed"
        return f"{ICON[new.status]} {target_name(change.target)}: {what}: {_counts(old)} → {_counts(new)}"
    word = "recovered" if change.recovered else "changed"
    return f"{ICON[new.status]} {target_name(change.target)} {word}: {old.status} → **{new.status}**"


def _problem_lines(problems: Sequence[Finding], with_hints: bool) -> list[str]:
    lines = []
    for p in problems:
        lines.append(f"- {ICON.get(p.severity, '')} `{p.code}`: {p.message}")
        if with_hints and p.hint:
            lines.append(f"  *Fix:* {p.hint}")
    return lines


def details(change: Change) -> str:
    """What users now see, the codes that appeared (with fix hints) and those that went away."""
    lines = [f"Users now see: {change.new.users}"]
    if change.appeared:
        lines += ["", "**New**", "", *_problem_lines(change.appeared, True)]
    if change.resolved:
        lines += ["", "**Resolved**", "", *_problem_lines(change.resolved, False)]
    if change.recovered:
        lines += ["", "Everything the last alert reported is fixed."]
    lines += ["", f"*First seen {when(change.at_ms)}.*"]
    return "\n".join(lines)


def alert_sections(changes: Sequence[Change]) -> list[Section]:
    """One message for one or many changes: a single alert, or a digest with folded details."""
    if len(changes) == 1:
        return [Section(f"{headline(changes[0])}\n\n{details(changes[0])}")]
    lines = [f"**{len(changes)} watched targets changed**", ""]
    lines += [f"- {headline(c)}" for c in changes]
    sections = [Section("\n".join(lines))]
    sections += [Section(details(c), f"{DIGEST_DETAILS}: {_plain_target(c.target)}") for c in changes]
    return sections


def _plain_target(target: str) -> str:
    return "this room" if target == ROOM else quote(target, 80)


@dataclass(frozen=True, slots=True)
class WatchLine:
    target: str
    summary: Summary | None  # None: not checked yet
    since_ms: int
    pending: bool = False


def watching_markdown(lines: Sequence[WatchLine], cap: int) -> str:
    if not lines:
        return "This room watches nothing. Start with `watch SERVER` or `watch room`.\n"
    out = [f"**This room watches {len(lines)} of at most {cap} targets**", ""]
    for line in lines:
        if line.summary is None:
            out.append(f"- {target_name(line.target)}: not checked yet")
            continue
        icon = ICON[line.summary.status]
        state = _counts(line.summary) if line.summary.room else line.summary.status
        extra = " (a change is being confirmed)" if line.pending else ""
        out.append(f"- {icon} {target_name(line.target)}: {state} since {when(line.since_ms)}{extra}")
    return "\n".join(out) + "\n"


def history_markdown(target: str, changes: Sequence[Change], first_ms: int | None) -> str:
    """The last changes of one target, newest first."""
    if first_ms is None and not changes:
        return f"{target_name(target)} is not watched here and has no history.\n"
    out = [f"**History of {target_name(target)}** (newest first)", ""]
    out += [f"- {when(c.at_ms)}: {headline(c)}" for c in changes]
    if first_ms is not None:
        out.append(f"- {when(first_ms)}: watching started")
    elif not changes:
        out.append("- no changes recorded")
    return "\n".join(out) + "\n"
