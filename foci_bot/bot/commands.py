"""The chat command grammar: ``!foci help``, ``!foci version``, ``!foci TARGET...``, ``!foci room``,
``!foci verify``, ``!foci explain CODE``.

Pure: text in, a command value out. Anything addressed to the bot that is not a command
becomes :class:`Usage` with a short reason, which the bot answers with the usage line.
"""

from __future__ import annotations

from dataclasses import dataclass

from foci_bot import __version__
from foci_bot.bot import watchcommands
from foci_bot.model import ServerName
from foci_bot.servername import TargetError, parse_target
from foci_bot.text import quote

DEFAULT_PREFIX = "!foci"


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Version:
    pass


@dataclass(frozen=True, slots=True)
class Check:
    servers: tuple[ServerName, ...]


@dataclass(frozen=True, slots=True)
class Room:
    """``!foci room``: the room check of the room the command is in; it takes no argument
    (``args`` holds any words typed after it, which are refused with a short notice)."""

    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Verify:
    """``!foci verify``: check the bot's own server now, bypassing the cache, with the whole token
    flow end to end (the bot holds a token only for its own server)."""


@dataclass(frozen=True, slots=True)
class Explain:
    """``!foci explain CODE``: what causes an error code. ``code`` is as typed (untrusted); the
    answer looks it up and quotes it when unknown."""

    code: str


@dataclass(frozen=True, slots=True)
class Usage:
    reason: str


Command = Help | Version | Check | Room | Verify | Explain | Usage | watchcommands.WatchCommand


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted ``> <@user> ...`` lines that older clients put before a reply's text."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    rest = lines[:]
    while rest and rest[0].startswith(">"):
        rest.pop(0)
    return "\n".join(rest).lstrip("\n")


def _looks_like_a_verb(word: str) -> bool:
    """A bare word: no dot, colon, bracket or sigil, and not ``localhost``."""
    return word.isalpha() and word.casefold() != "localhost"


def parse_command(body: str, prefix: str = DEFAULT_PREFIX, max_targets: int = 10) -> Command | None:
    """The command in a message body, or None when the message is not addressed to the bot."""
    words = strip_reply_fallback(body).split()
    if not words or words[0].casefold() != prefix.casefold():
        return None
    words = words[1:]
    if not words:
        return Usage("no command given")
    verb = words[0].casefold()
    if verb in ("help", "-h", "--help"):
        return Help()
    if verb in ("version", "--version"):
        return Version() if len(words) == 1 else Usage("version takes no arguments")
    if verb == "room":
        return Room(tuple(words[1:]))
    if verb in watchcommands.VERBS:
        watch = watchcommands.parse_watch(verb, words[1:])
        return Usage(watch) if isinstance(watch, str) else watch
    if verb == "verify":
        return Verify() if len(words) == 1 else Usage("verify takes no arguments")
    if verb == "explain":
        if len(words) != 2:
            return Usage("explain takes one error code, e.g. `MISSING_MATRIX_RTC_TRANSPORT`")
        return Explain(words[1])
    if len(words) > max_targets:
        return Usage(f"at most {max_targets} servers at once, got {len(words)}")
    if len(words) == 1 and _looks_like_a_verb(words[0]):
        # `!foci frobnicate` is an unknown command, not a check of a server called "frobnicate".
        return Usage(f"unknown command {quote(words[0], 40)}")
    servers: dict[str, ServerName] = {}
    for word in words:
        try:
            server = parse_target(word)
        except TargetError as exc:
            return Usage(f"bad target: {exc}")
        servers.setdefault(str(server), server)
    return Check(tuple(servers.values()))


def usage_line(prefix: str = DEFAULT_PREFIX) -> str:
    return (
        f"Usage: `{prefix} SERVER [SERVER ...]`, `{prefix} room`, `{prefix} verify`, "
        f"`{prefix} explain CODE`, `{prefix} help` or `{prefix} version`."
    )


def usage_markdown(reason: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The short answer to anything that is not a command.

    ``reason`` is our own text, but may quote what the user typed (always through
    :func:`foci_bot.text.quote`), so only its first character is capitalised.
    """
    return f"{reason[:1].upper()}{reason[1:]}. {usage_line(prefix)}\n"


def help_markdown(prefix: str = DEFAULT_PREFIX, max_targets: int = 10) -> str:
    return "\n".join(
        [
            f"**foci-bot {__version__}** checks whether Matrix homeservers are set up for calls "
            "(MatrixRTC: well-known foci, the transports endpoint, the LiveKit authorization service).",
            "",
            f"- `{prefix} SERVER [SERVER ...]`: check up to {max_targets} servers; a server may be "
            "given as `example.org`, `@user:example.org` or a matrix.to link",
            f"- `{prefix} room`: check this room's call readiness (members' servers, power levels, calls)",
            f"- `{prefix} watch SERVER|room ...`, `{prefix} unwatch SERVER|room`, `{prefix} watching`, "
            f"`{prefix} history SERVER|room`: alert this room when a server's or the room's call "
            "readiness changes",
            f"- `{prefix} verify`: check this bot's own server now, with the call token flow end to end "
            "(OpenID token, lk-jwt-service, SFU)",
            f"- `{prefix} explain CODE`: what causes an Element Call error code (e.g. `OPEN_ID_ERROR`) or an "
            "lk-jwt-service `errcode`, and which findings detect it",
            f"- `{prefix} version`: show the version",
            f"- `{prefix} help`: this help",
            "",
            "The answer is the same report `foci-bot check` prints in a terminal.",
            "",
        ]
    )


def version_markdown() -> str:
    return f"foci-bot {__version__}\n"
