"""The bot end to end: a real Synapse, the bot as a real subprocess, a second real account.

Local HTTPS servers (``FakeWeb``) stand in for the homeservers and call backends the bot
checks; the bot reaches them through ``[checks] connect_to`` and trusts the test CA.
"""

from __future__ import annotations

import asyncio
import os
import stat
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

from tests.bot.test_reply import live_markup
from tests.support.botkit import (
    BotProcess,
    NioUser,
    answer,
    replies_to,
    room_events,
    room_with_bot,
    toml_list,
    write_config,
)
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, homeserver_routes, lk_jwt_routes, wellknown_route
from tests.support.fixtures_synapse import SynapseFactory, unique_localpart
from tests.support.synapse_harness import Synapse, User, wait_until

HOSTILE = "<script>alert(1)</script> @room [click](https://evil.test) <a href='https://evil.test'>x</a> @bob:evil.test"
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def _hang(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(60)
    return web.Response(status=200)


def web_routes() -> dict[str, dict[str, Any]]:
    good_focus = {"type": "livekit", "livekit_service_url": "https://lk.good.test/livekit/jwt"}
    hostile_focus = {
        "type": "livekit" + HOSTILE,
        "livekit_service_url": "https://lk.good.test/livekit/jwt/" + HOSTILE,
    }
    return {
        "good.test": {
            "/.well-known/matrix/client": wellknown_route(
                "https://good.test", {"org.matrix.msc4143.rtc_foci": [good_focus]}
            ),
            **homeserver_routes(transports="missing"),
        },
        "lk.good.test": lk_jwt_routes(),
        "hostile.test": {
            "/.well-known/matrix/client": wellknown_route(
                "https://hostile.test",
                {"org.matrix.msc4143.rtc_foci": [hostile_focus], "m.rtc_foci": [{"type": HOSTILE}]},
                extra={HOSTILE: HOSTILE, "org.example.x": HOSTILE},
            ),
            **homeserver_routes(
                transports=[{"type": "livekit", "livekit_service_url": "https://evil.test/" + HOSTILE}]
            ),
        },
        "evil.test": {},
        "hang.test": {"/.well-known/matrix/client": _hang},
    }


@pytest.fixture(scope="module")
def web_servers(test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns) -> Iterator[FakeWeb]:
    routes = web_routes()
    server = FakeWeb(test_ca[0], names=list(routes), routes=routes, dns_server=test_dns.address).start()
    yield server
    server.stop()


def checks_section(web_server: FakeWeb, ca_pem: Path) -> str:
    rules = web_server.connect_rules()
    return (
        f'allow_private = true\ncacert = "{ca_pem}"\ntimeout = 2\ndeadline = 3\ncache_ttl = 600\n'
        f'connect_to = {toml_list(rules)}\ndns_server = "{web_server.dns_server}"\n'
    )


@dataclass
class Env:
    server: Synapse
    bot: BotProcess
    bot_id: str
    alice: User
    mallory: User
    store: Path

    def room_with_bot(self, **create: Any) -> str:
        return room_with_bot(self.server, self.alice.access_token, self.bot_id, **create)

    def ask(self, room_id: str, body: str, user: User | None = None, **extra: Any) -> str:
        return self.server.send_message((user or self.alice).access_token, room_id, body, **extra)

    def answer(self, room_id: str, event_id: str, timeout: float = 20) -> dict[str, Any]:
        return answer(self.server, self.alice.access_token, room_id, event_id, self.bot_id, timeout)

    def replies(self, room_id: str, event_id: str) -> list[dict[str, Any]]:
        return replies_to(room_events(self.server, self.alice.access_token, room_id), event_id, self.bot_id)


def make_env(server: Synapse, tmp: Path, web_server: FakeWeb, ca_pem: Path, bot_extra: str = "") -> Env:
    bot = server.new_user(unique_localpart("foci"), "bot-password")
    alice = server.new_user(unique_localpart("alice"))
    mallory = server.new_user(unique_localpart("mallory"))
    alice_pattern = "@" + alice.user_id[1:].split("-", 1)[0] + "-*:" + server.server_name
    bot_section = f"allowed_users = {toml_list([alice_pattern])}\nrate_limit = 1000\n{bot_extra}"
    store = tmp / "store"
    config = write_config(
        tmp / "config.toml",
        server,
        bot.user_id,
        "bot-password",
        store,
        bot=bot_section,
        checks=checks_section(web_server, ca_pem),
    )
    process = BotProcess(config, tmp / "bot.log").start()
    return Env(server, process, bot.user_id, alice, mallory, store)


@pytest.fixture(scope="module")
def env(
    synapse: Synapse,
    web_servers: FakeWeb,
    test_ca: tuple[trustme.CA, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    """One bot on the shared Synapse for the tests that need no restarts."""
    e = make_env(synapse, tmp_path_factory.mktemp("bot"), web_servers, test_ca[1])
    yield e
    assert e.bot.stop() == 0


def test_plain_room(env: Env) -> None:
    """A check in a plain room: acknowledged at once, answered as a notice replying to the command."""
    room = env.room_with_bot(preset="private_chat")
    command = env.ask(room, "!foci good.test")
    content = env.answer(room, command)
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    assert "`good.test`" in content["body"] and "<code>good.test</code>" in content["formatted_body"]
    assert content["format"] == "org.matrix.custom.html"
    events = room_events(env.server, env.alice.access_token, room)
    reactions = [
        e for e in events if e["type"] == "m.reaction" and e["content"]["m.relates_to"]["event_id"] == command
    ]
    assert len(reactions) == 1 and reactions[0]["sender"] == env.bot_id
    # The same server again, from the cache: the same report, no acknowledgement needed.
    again = env.ask(room, "!foci https://good.test/")
    assert env.answer(room, again)["body"] == content["body"]
    for text, expected in [
        ("!foci version", "foci-bot "),
        ("!foci help", "`!foci room`"),
        ("!foci what?", "Usage: "),
    ]:
        assert expected in env.answer(room, env.ask(room, text))["body"]


def test_explain(env: Env) -> None:
    """`!foci explain CODE` answers with the causes, rendered as a list; an unknown code gets one line
    that shows what was typed only as code."""
    room = env.room_with_bot(preset="private_chat")
    content = env.answer(room, env.ask(room, "!foci explain open_id_error"))
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    assert content["body"].startswith("### `OPEN_ID_ERROR`")
    assert "<h3><code>OPEN_ID_ERROR</code>" in content["formatted_body"]
    assert content["formatted_body"].count("<li>") >= 3
    unknown = env.answer(room, env.ask(room, "!foci explain @room<b>"))
    assert unknown["body"].startswith("Unknown error code `@\u2060room<b>`; known codes: ")
    assert live_markup(unknown["formatted_body"]) == [] and "@room" not in unknown["formatted_body"]


def test_thread(env: Env) -> None:
    """A command inside a thread is answered inside that thread."""
    room = env.room_with_bot(preset="private_chat")
    root = env.ask(room, "let's talk about calls")
    thread = {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root},
    }
    command = env.ask(room, "!foci version", None, **{"m.relates_to": thread})
    relation = env.answer(room, command)["m.relates_to"]
    assert relation == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": command},
    }


def test_hostile_server_reply_is_escaped(env: Env) -> None:
    """Remote text never becomes live HTML, a link, a pill or an @room."""
    room = env.room_with_bot(preset="private_chat")
    content = env.answer(room, env.ask(room, "!foci hostile.test"))
    assert "hostile.test" in content["body"]
    assert live_markup(content["formatted_body"]) == []
    assert "<script" not in content["formatted_body"]
    assert "@room" not in content["body"] and "@room" not in content["formatted_body"]
    assert "@bob:evil.test" not in content["body"]
    assert content["m.mentions"] == {}


def test_hanging_server_does_not_hold_up_others(env: Env) -> None:
    """A server that never answers is reported within the deadline; other commands go first."""
    room = env.room_with_bot(preset="private_chat")
    slow = env.ask(room, "!foci hang.test")
    quick = env.ask(room, "!foci version")
    env.answer(room, quick, timeout=10)
    assert env.replies(room, slow) == []  # still checking
    content = env.answer(room, slow, timeout=15)
    assert "hang.test" in content["body"]


def test_not_allowed_user_is_ignored(env: Env) -> None:
    """Commands from users outside allowed_users are logged, never answered."""
    room = env.room_with_bot(preset="public_chat")
    env.server.join(env.mallory.access_token, room)
    ignored = env.ask(room, "!foci good.test", user=env.mallory)
    sentinel = env.ask(room, "!foci version")
    env.answer(room, sentinel)
    wait_until(
        lambda: f"ignoring a command from {env.mallory.user_id}" in env.bot.text(), 10, what="the log line"
    )
    assert env.replies(room, ignored) == []


def test_invite_from_not_allowed_user_is_declined(env: Env) -> None:
    """The bot accepts invites only from allowed users."""
    room = env.server.create_room(env.mallory.access_token, preset="private_chat")
    env.server.invite(env.mallory.access_token, room, env.bot_id)

    def declined() -> bool:
        member = env.server.get_state(env.mallory.access_token, room, "m.room.member", env.bot_id)
        return bool(member.get("membership") == "leave")

    wait_until(declined, 15, what="the invite to be declined")
    assert env.bot_id not in env.server.joined_members(env.mallory.access_token, room)


def test_commands_before_the_join_are_never_answered(env: Env) -> None:
    """History from before the bot joined is not answered."""
    room = env.server.create_room(env.alice.access_token, preset="private_chat")
    old = env.ask(room, "!foci version")
    env.server.invite(env.alice.access_token, room, env.bot_id)
    wait_until(lambda: env.bot_id in env.server.joined_members(env.alice.access_token, room), 20, what="join")
    env.answer(room, env.ask(room, "!foci help"))
    assert env.replies(room, old) == []


def test_encrypted_room_and_dm(env: Env, tmp_path: Path) -> None:
    """In an encrypted room and an encrypted DM the bot reads the command and replies encrypted."""

    async def scenario() -> None:
        alice = await NioUser(
            env.server.client_url, env.alice.user_id, env.alice.access_token, tmp_path / "nio"
        ).start()
        try:
            for create in (
                {"preset": "private_chat", "initial_state": [ENCRYPTION]},
                {"preset": "trusted_private_chat", "is_direct": True, "initial_state": [ENCRYPTION]},
            ):
                room = await asyncio.to_thread(env.room_with_bot, **create)
                command = await alice.send(room, "!foci good.test")
                event = await alice.reply_from(room, command, env.bot_id)
                assert event.decrypted, "the reply was not encrypted"
                assert "`good.test`" in event.body
                assert event.source["content"]["msgtype"] == "m.notice"
                # Servers and clients aggregate replies, threads and edits by the cleartext relation.
                path = (
                    f"/_matrix/client/v3/rooms/{urllib.parse.quote(room, safe='')}"
                    f"/event/{urllib.parse.quote(event.event_id, safe='')}"
                )
                raw = await asyncio.to_thread(env.server.api, "GET", path, token=env.alice.access_token)
                assert raw["type"] == "m.room.encrypted"
                assert raw["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == command
        finally:
            await alice.stop()

    asyncio.run(scenario())


# -- restarts: a bot and a Synapse of their own


@pytest.fixture
def own(
    synapse_factory: SynapseFactory, web_servers: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> Iterator[Env]:
    e = make_env(synapse_factory(), tmp_path, web_servers, test_ca[1], bot_extra='ack = "notice"\n')
    yield e
    e.bot.stop()
    e.server.stop()


def test_restarts_answer_exactly_once(own: Env) -> None:
    """Commands sent while the bot is down are answered once after it is back; none twice."""
    room = own.room_with_bot(preset="private_chat")
    before = own.ask(room, "!foci good.test")
    first = own.answer(room, before)
    assert "`good.test`" in first["body"]
    assert own.bot.stop() == 0  # SIGTERM is a clean exit
    while_down = [own.ask(room, "!foci version"), own.ask(room, "!foci good.test")]
    own.bot.start()
    for event_id in while_down:
        own.answer(room, event_id)
    assert own.bot.stop() == 0
    own.bot.start()
    own.answer(room, own.ask(room, "!foci help"))
    for event_id in [before, *while_down]:
        assert len(own.replies(room, event_id)) == 1
    # The session was reused, not a new login per start.
    assert (
        own.bot.text().count("logged in as") == 1 and own.bot.text().count("reusing the stored session") == 2
    )
    assert stat.S_IMODE(own.store.stat().st_mode) == 0o700
    for path in own.store.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert "bot-password" not in own.bot.text()
    token = own.server.login(own.bot_id, "bot-password")
    assert token not in own.bot.text()


def test_synapse_restart_while_the_bot_runs(own: Env) -> None:
    """The bot survives its homeserver going away and answers once it is back."""
    room = own.room_with_bot(preset="private_chat")
    own.answer(room, own.ask(room, "!foci version"))
    own.server.restart()
    command = own.ask(room, "!foci good.test")
    assert "`good.test`" in own.answer(room, command, timeout=30)["body"]
    assert own.bot.running


def test_revoked_token_logs_in_again(own: Env) -> None:
    """The homeserver forgets the bot's token while it runs: with a password it logs in again
    (a new device) and keeps answering, instead of exiting."""
    room = own.room_with_bot(preset="private_chat")
    own.answer(room, own.ask(room, "!foci version"))
    token = own.server.login(own.bot_id, "bot-password")
    own.server.api("POST", "/_matrix/client/v3/logout/all", {}, token=token)  # every device's token
    wait_until(lambda: own.bot.text().count("logged in as") == 2, 60, what="a second login")
    command = own.ask(room, "!foci help")
    assert "foci-bot" in own.answer(room, command, timeout=30)["body"]
    assert own.bot.running
    assert token not in own.bot.text() and "bot-password" not in own.bot.text()


def test_bad_config_exits_2(tmp_path: Path) -> None:
    """A bad config stops `foci-bot run` at once with one line and exit status 2."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[matrix]\nhomeserver = "http://127.0.0.1:1"\nuser_id = "@a:b.c"\npassword = "pw"\nbogus = 1\n'
    )
    process = BotProcess(config, tmp_path / "bot.log").start(wait_ready=False)
    assert process.proc is not None
    assert process.proc.wait(30) == 2
    assert process.text().splitlines()[-1] == "foci-bot: [matrix] bogus is not a known key"
    assert not os.path.exists(tmp_path / "foci-bot-store")


def test_access_token_from_the_config(
    synapse: Synapse, web_servers: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    """With `access_token` instead of a password the bot uses that session as it is."""
    bot = synapse.new_user(unique_localpart("foci"), "bot-password")
    alice = synapse.new_user(unique_localpart("alice"))
    token = synapse.login(bot.user_id, "bot-password", device_id="TOKENBOT")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[matrix]\nhomeserver = "{synapse.client_url}"\nuser_id = "{bot.user_id}"\naccess_token = "{token}"\n'
        f'store_dir = "{tmp_path / "store"}"\n\n[checks]\n{checks_section(web_servers, test_ca[1])}'
    )
    process = BotProcess(config, tmp_path / "bot.log").start()
    try:
        env = Env(synapse, process, bot.user_id, alice, alice, tmp_path / "store")
        room = env.room_with_bot(preset="private_chat")
        assert "foci-bot" in env.answer(room, env.ask(room, "!foci version"))["body"]
        assert token not in process.text() and "logged in as" not in process.text()
    finally:
        assert process.stop() == 0
