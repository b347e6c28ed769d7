"""The Matrix adapter: odd room state and stored sessions, with nio's client replaced at its edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from foci_bot.bot.incoming import SnapshotError
from foci_bot.bot.matrix import MatrixBot
from foci_bot.bot.store import Store


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
