"""The chat command grammar, access patterns and the rate limit (pure)."""

from __future__ import annotations

import pytest

from foci_bot import __version__
from foci_bot.access import RateLimiter, UserPatterns
from foci_bot.commands import (
    Check,
    Help,
    Room,
    Usage,
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
        ("!foci room #calls:example.org", Room(("#calls:example.org",))),
        ("!foci example.org", Check((ServerName("example.org"),))),
        (
            "!foci example.org @bob:other.net:8448 https://matrix.to/#/@c:example.org",
            Check((ServerName("example.org"), ServerName("other.net", 8448))),
        ),
        ("!foci\nexample.org", Check((ServerName("example.org"),))),
        ("> <@a:b.c> earlier\n\n!foci version", Version()),
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


@pytest.mark.parametrize(
    ("patterns", "user", "allowed"),
    [
        (["@*:example.org"], "@alice:example.org", True),
        (["@*:example.org"], "@alice:EXAMPLE.org", True),
        (["@*:example.org"], "@alice:example.org.evil.net", False),
        (["@*:example.org"], "@alice:evil.net:example.org", False),
        (["@*:example.org"], "@a:b:example.org", False),
        (["@alice:example.org"], "@alicex:example.org", False),
        (["@*:127.0.0.1:8448"], "@bob:127.0.0.1:8448", True),
        (["@*:127.0.0.1:8448"], "@bob:127.0.0.1:8449", False),
        (["@*:*.example.org"], "@bob:hs.example.org", True),
        ([], "@alice:example.org", False),
        (["@*:example.org"], "alice", False),
    ],
)
def test_user_patterns(patterns: list[str], user: str, allowed: bool) -> None:
    """Localpart and server are matched separately, case-insensitively."""
    assert UserPatterns(patterns).allows(user) is allowed


def test_rate_limit_window() -> None:
    """At most N commands per window per user; one warning per window; others unaffected."""
    limiter = RateLimiter(2, 10.0)
    assert limiter.allow("@a:x", 0.0) and limiter.allow("@a:x", 1.0)
    assert not limiter.allow("@a:x", 2.0)
    assert limiter.should_warn("@a:x", 2.0) and not limiter.should_warn("@a:x", 3.0)
    assert limiter.allow("@b:x", 2.0)
    assert limiter.allow("@a:x", 10.5)  # the first one left the window
    assert limiter.should_warn("@a:x", 12.5)


ME = "@foci:example.org"


def message(
    body: str, ts: int = 2000, sender: str = "@alice:example.org", **content: object
) -> dict[str, object]:
    return {
        "type": "m.room.message",
        "event_id": "$e",
        "sender": sender,
        "origin_server_ts": ts,
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def test_incoming_messages() -> None:
    """Text messages after the join are candidates; the thread root is kept."""
    from foci_bot.timeline import incoming

    got = incoming("!r", message("!foci help"), ME, 1000)
    assert got is not None and (got.body, got.sender, got.thread_root) == (
        "!foci help",
        "@alice:example.org",
        None,
    )
    threaded = message("!foci help", **{"m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}})
    assert (t := incoming("!r", threaded, ME, 1000)) is not None and t.thread_root == "$root"


@pytest.mark.parametrize(
    "event",
    [
        message("!foci help", ts=999),  # before the join
        message("!foci help", sender=ME),  # our own
        message("!foci help", msgtype="m.notice"),  # another bot's notice
        message("* !foci help", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}),  # an edit
        {"type": "m.room.encrypted", "event_id": "$e", "sender": "@a:b.c", "content": {}},  # undecryptable
    ],
)
def test_ignored_events(event: dict[str, object]) -> None:
    """Old, own, notice, edited and undecryptable events are never commands."""
    from foci_bot.timeline import incoming

    assert incoming("!r", event, ME, 1000) is None


def test_own_join_and_inviter() -> None:
    """The join time is the latest change to join; the inviter comes from our stripped member event."""
    from foci_bot.timeline import inviter, own_join_ms

    def member(membership: str, ts: int, prev: str | None = None) -> dict[str, object]:
        unsigned = {"prev_content": {"membership": prev}} if prev else {}
        return {
            "type": "m.room.member",
            "state_key": ME,
            "origin_server_ts": ts,
            "content": {"membership": membership},
            "unsigned": unsigned,
        }

    events = [
        member("join", 10, "invite"),
        member("join", 20, "join"),
        member("leave", 30, "join"),
        member("join", 40, "leave"),
    ]
    assert own_join_ms(events, ME, known=True) == 40
    assert own_join_ms([member("join", 20, "join")], ME, known=True) is None  # a profile change
    assert own_join_ms([member("join", 20, "join")], ME, known=False) == 20
    invite = [{"type": "m.room.name", "state_key": "", "sender": "@x:y.z", "content": {}},
              {"type": "m.room.member", "state_key": ME, "sender": "@alice:example.org", "content": {"membership": "invite"}}]  # fmt: skip
    assert inviter(invite, ME) == "@alice:example.org"
    assert inviter(invite[:1], ME) is None
