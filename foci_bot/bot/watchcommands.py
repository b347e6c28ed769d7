"""The watch commands' grammar, pure: ``watch``, ``unwatch``, ``watching``, ``history``.

``commands.parse_command`` hands the words after one of :data:`VERBS` to :func:`parse_watch`;
a string result is the reason for a usage answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from foci_bot.bot.watchstate import ROOM
from foci_bot.servername import TargetError, parse_target
from foci_bot.text import quote

VERBS = ("watch", "unwatch", "watching", "history")


@dataclass(frozen=True, slots=True)
class Watch:
    """Watch servers (their names as reports spell them) and/or ``room``."""

    targets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unwatch:
    target: str


@dataclass(frozen=True, slots=True)
class Watching:
    pass


@dataclass(frozen=True, slots=True)
class History:
    target: str


WatchCommand = Watch | Unwatch | Watching | History


def _target(word: str) -> str:
    """``room`` or a server name; raises TargetError."""
    return ROOM if word.casefold() == ROOM else str(parse_target(word))


def parse_watch(verb: str, args: list[str]) -> WatchCommand | str:
    """The watch command for ``verb`` (one of VERBS) and its arguments, or why it is not one."""
    if verb == "watching":
        return Watching() if not args else "watching takes no arguments"
    if not args:
        return f"{verb} needs a server name or `room`"
    if verb != "watch" and len(args) > 1:
        return f"{verb} takes one server name or `room`"
    try:
        targets = tuple(dict.fromkeys(_target(word) for word in args))
    except TargetError as exc:
        return f"bad target: {exc}"
    if verb == "watch":
        return Watch(targets)
    return Unwatch(targets[0]) if verb == "unwatch" else History(targets[0])


def mentions_room(command: WatchCommand) -> bool:
    """Whether the command is about the room's own call readiness (room_allowed_users applies)."""
    match command:
        case Watch(targets):
            return ROOM in targets
        case Unwatch(target) | History(target):
            return target == ROOM
    return False


def describe(targets: tuple[str, ...]) -> str:
    return ", ".join("this room" if t == ROOM else quote(t) for t in targets)
