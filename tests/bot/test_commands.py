"""The chat command grammar, access patterns and the rate limit (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from foci_bot import __version__
from foci_bot.bot.access import RateLimiter, UserPatterns
from foci_bot.bot.commands import (
    Check,
    Explain,
    Help,
    Room,
    Usage,
    Version,
    help_markdown,
    parse_command,
    usage_markdown,
    version_markdown,
)
from foci_bot.bot.dispatch import SnapshotError
from foci_bot.bot.matrix import MatrixBot
from foci_bot.bot.store import Store
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
    from foci_bot.bot.timeline import incoming

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
    from foci_bot.bot.timeline import incoming

    assert incoming("!r", event, ME, 1000) is None


def test_own_join_and_inviter() -> None:
    """The join time is the latest change to join; the inviter comes from our stripped member event."""
    from foci_bot.bot.timeline import inviter, own_join_ms

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


def test_log_lines_never_show_tokens() -> None:
    """The bot's log formatter redacts access tokens in URLs, JSON and Bearer headers, also in
    arguments and tracebacks."""
    import logging

    from foci_bot.cli.run import LOG_FORMAT, RedactingFormatter, redact

    formatter = RedactingFormatter(LOG_FORMAT)
    url = "https://hs.example/_matrix/client/v3/sync?since=s1&access_token=syt_SECRET1&timeout=0"
    record = logging.LogRecord("nio", logging.WARNING, __file__, 1, "GET %s failed", (url,), None)
    try:
        raise RuntimeError(
            "headers {'Authorization': 'Bearer syt_SECRET2'} body {\"access_token\": \"syt_SECRET3\"}"
        )
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "SECRET" not in line
    assert "access_token=<redacted>&timeout=0" in line
    assert "Bearer <redacted>" in line and "since=s1" in line and "RuntimeError" in line
    assert redact("GET /x?access_token%3Dsyt_SECRET4") == "GET /x?access_token%3D<redacted>"
    assert redact("nothing secret here") == "nothing secret here"


def test_room_snapshot_survives_one_odd_state_event(tmp_path: Path) -> None:
    """nio's schema rejects the whole state for one odd event; the bot reads it raw and skips it."""
    import asyncio
    import json
    from types import SimpleNamespace
    from typing import Any

    import nio

    room = "!r:example.org"
    good = {
        "type": "m.room.name", "state_key": "", "sender": "@a:example.org",
        "content": {"name": "Lab"}, "origin_server_ts": 5, "event_id": "$1",
    }  # fmt: skip
    odd = dict(good, type="m.room.topic", origin_server_ts="yesterday", event_id="$2")
    broken = {"type": 7, "content": []}
    events = [good, odd, broken]
    rejected = nio.RoomGetStateResponse.from_dict(events, room)
    assert isinstance(rejected, nio.RoomGetStateError)
    rejected.transport_response = SimpleNamespace(status=200)

    class Answer:
        status = 200

        async def __aenter__(self) -> Answer:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def json(self, content_type: object = None) -> Any:
            return json.loads(json.dumps(events))

    paths: list[str] = []

    class Client:
        access_token = "syt_x"

        async def room_get_state(self, room_id: str) -> Any:
            return rejected

        async def send(self, method: str, path: str, headers: dict[str, str]) -> Answer:
            paths.append(path)
            return Answer()

    bot, store = _bot_with(tmp_path, Client())
    try:
        snapshot = asyncio.run(bot.room_snapshot(room))
    finally:
        store.close()
    assert not isinstance(snapshot, SnapshotError), snapshot
    assert [(e.type, e.origin_server_ts) for e in snapshot.state] == [("m.room.name", 5), ("m.room.topic", 0)]
    assert snapshot.name == "Lab"
    assert paths == ["/_matrix/client/v3/rooms/%21r%3Aexample.org/state"]


def _bot_with(tmp_path: Path, client: object) -> tuple[MatrixBot, Store]:
    """A MatrixBot whose nio client is ``client`` (a fake), retrying without waiting."""
    import asyncio

    from foci_bot.config import load_config

    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[matrix]\nhomeserver = "https://hs.example"\nuser_id = "@foci:example.org"\npassword = "x"\n'
    )
    config = load_config(config_file)
    store = Store(config.matrix.store_dir)
    bot = MatrixBot(config, store)
    asyncio.run(bot.client.close())
    bot.client = client
    bot.retry_delay = 0.0
    return bot, store


@pytest.mark.parametrize("refusal", ["M_UNKNOWN_TOKEN", None])
def test_stored_session_is_dropped_only_for_an_unknown_token(tmp_path: Path, refusal: str | None) -> None:
    """whoami: 401 M_UNKNOWN_TOKEN drops the stored session and logs in; 5xx and connection
    errors are retried and keep it."""
    import asyncio
    from types import SimpleNamespace
    from typing import Any

    import aiohttp
    import nio

    from foci_bot.bot.store import Session

    def error(status: int, errcode: str) -> Any:
        response = nio.WhoamiError("nope", errcode)
        response.transport_response = SimpleNamespace(status=status)
        return response

    class Client:
        access_token = ""
        logins = 0

        def __init__(self) -> None:
            self.answers: list[Any] = (
                [error(401, "M_UNKNOWN_TOKEN")]
                if refusal
                else [error(502, "M_UNKNOWN"), aiohttp.ClientConnectionError("down"), error(503, "M_UNKNOWN")]
            )

        async def whoami(self) -> Any:
            if self.answers:
                answer = self.answers.pop(0)
                if isinstance(answer, BaseException):
                    raise answer
                return answer
            return nio.WhoamiResponse("@foci:example.org", "OLD", False)

        async def login(self, password: str, device_name: str) -> Any:
            Client.logins += 1
            return nio.LoginResponse("@foci:example.org", "NEW", "syt_new")

        def restore_login(self, user_id: str, device_id: str, token: str) -> None:
            self.access_token = token

    client = Client()
    bot, store = _bot_with(tmp_path, client)
    try:
        store.save_session(Session("@foci:example.org", "OLD", "syt_old", "https://hs.example"))
        asyncio.run(bot.login())
        session = store.session("@foci:example.org", "https://hs.example")
    finally:
        store.close()
    assert session is not None
    if refusal:
        assert Client.logins == 1 and session.device_id == "NEW"
    else:
        assert Client.logins == 0 and session.device_id == "OLD" and client.access_token == "syt_old"


def test_unsent_answer_stays_unanswered_and_in_flight_is_marked_at_start(tmp_path: Path) -> None:
    """An event is in flight from when its task is started; a command whose answer could not
    be sent is not marked answered (so its sync batch stays pending and it is tried again)."""
    import asyncio
    from typing import Any

    from foci_bot.bot.dispatch import Dispatcher, Incoming

    class Messenger:
        def __init__(self) -> None:
            self.working = False

        async def send(
            self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
        ) -> str | None:
            return "$answer" if self.working else None

    bot, store = _bot_with(tmp_path, object())
    messenger = Messenger()
    try:
        dispatcher = Dispatcher(bot.config, None, store, messenger, bot)  # type: ignore[arg-type]
        msg = Incoming("!r:example.org", "$cmd", "@alice:example.org", "!foci version", 1)
        command = dispatcher.wants(msg)
        assert command is not None
        dispatcher.begin(msg)
        assert dispatcher.wants(msg) is None  # seen again before its task ran: not started twice
        assert asyncio.run(dispatcher.handle(msg, command)) is False
        assert not store.is_answered("$cmd")
        assert dispatcher.wants(msg) is not None  # still to be answered
        messenger.working = True
        assert asyncio.run(dispatcher.handle(msg, command)) is True
        assert store.is_answered("$cmd") and dispatcher.wants(msg) is None
    finally:
        store.close()
