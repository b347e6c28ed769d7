"""The chat grammar: commands, usage lines and texts (pure)."""

from __future__ import annotations

import pytest

from foci_bot import __version__
from foci_bot.bot.commands import (
    Check,
    Explain,
    Help,
    Room,
    Usage,
    Verify,
    Version,
    help_markdown,
    parse_command,
    usage_markdown,
    version_markdown,
)
from foci_bot.model import ServerName


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("!foci help", Help()),
        ("  !FOCI   HELP  ", Help()),
        ("!foci version", Version()),
        ("!foci room", Room(())),
        ("!foci verify", Verify()),
        ("!foci verify example.org", Usage("verify takes no arguments")),
        ("!foci room #calls:example.org", Room(("#calls:example.org",))),
        ("!foci example.org", Check((ServerName("example.org"),))),
        (
            "!foci example.org @bob:other.net:8448 https://matrix.to/#/@c:example.org",
            Check((ServerName("example.org"), ServerName("other.net", 8448))),
        ),
        ("!foci\nexample.org", Check((ServerName("example.org"),))),
        ("> <@a:b.c> earlier\n\n!foci version", Version()),
        ("!foci explain OPEN_ID_ERROR", Explain("OPEN_ID_ERROR")),
        ("!foci EXPLAIN m_lookup_failed", Explain("m_lookup_failed")),
        ("!foci explain nonsense", Explain("nonsense")),
    ],
)
def test_commands(body: str, expected: object) -> None:
    """Each supported form parses to its command; duplicate servers are dropped."""
    assert parse_command(body) == expected


@pytest.mark.parametrize(
    "body", ["hello", "!focus example.org", "!fociexample.org", "", "foci help", "> !foci help"]
)
def test_not_for_the_bot(body: str) -> None:
    """Messages that do not start with the prefix are not commands at all."""
    assert parse_command(body) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("!foci", "no command given"),
        ("!foci version please", "version takes no arguments"),
        ("!foci ex ample.org/", "bad target"),
        ("!foci <script>", "bad target"),
        ("!foci frobnicate", "unknown command `frobnicate`"),
        ("!foci Status", "unknown command `Status`"),
        ("!foci explain", "explain takes one error code"),
        ("!foci explain OPEN_ID_ERROR SFU_ERROR", "explain takes one error code"),
        ("!foci " + " ".join(f"s{i}.org" for i in range(11)), "at most 10 servers at once, got 11"),
    ],
)
def test_usage(body: str, reason: str) -> None:
    """Anything else addressed to the bot is a usage error with a short reason."""
    command = parse_command(body)
    assert isinstance(command, Usage) and reason in command.reason


def test_custom_prefix_and_limit() -> None:
    """The prefix and the target limit come from the config."""
    assert parse_command("!rtc a.org b.org", "!rtc", max_targets=2) == Check(
        (ServerName("a.org"), ServerName("b.org"))
    )
    assert isinstance(parse_command("!rtc a.org b.org c.org", "!rtc", max_targets=2), Usage)
    assert parse_command("!foci a.org", "!rtc") is None


def test_texts() -> None:
    """Help, version and usage texts name the prefix and the version."""
    assert "`!rtc SERVER [SERVER ...]`" in usage_markdown("no command given", "!rtc")
    assert usage_markdown("no command given").startswith("No command given. Usage:")
    assert __version__ in version_markdown()
    assert "`!foci room`" in help_markdown() and "up to 10 servers" in help_markdown()
    assert "`!foci explain CODE`" in help_markdown() and "`!foci explain CODE`" in usage_markdown("x")
