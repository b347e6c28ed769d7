"""``!foci room`` in the dispatcher: progress edited in place, one check per room, deadline.

The Matrix side is a recording messenger (the real bot is covered in test_room_federation); the
servers are real local HTTPS servers, one of which never answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

from foci_bot.addrguard import ConnectTo
from foci_bot.bot import commands
from foci_bot.bot import room_command as room_bot
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.incoming import Incoming, SnapshotError
from foci_bot.bot.store import Store
from foci_bot.config import load_config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, expand

ROOM = "!room:good0.test"
FOCUS = "https://rtc.good.test/livekit/jwt"


class Recorder:
    """Messenger and RoomSource: keeps what the bot sends, serves a fixed snapshot."""

    def __init__(self, snapshot: RoomSnapshot | SnapshotError) -> None:
        self.snapshot = snapshot
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str) -> str | None:
        self.sent.append((event_type, content))
        return f"$event{len(self.sent)}"

    async def resolve_alias(self, alias: str) -> str | SnapshotError:
        return SnapshotError(f"cannot resolve {alias}")

    async def room_snapshot(self, room_id: str) -> RoomSnapshot | SnapshotError:
        return self.snapshot


def _hosts(good: int) -> dict[str, Any]:
    hosts: dict[str, Any] = {
        "rtc.good.test": {"preset:lk-jwt": {}},
        "dead.test": {"/.well-known/matrix/client": {"behaviour": "hang"}},
    }
    for i in range(good):
        name = f"good{i}.test"
        content = {
            "m.homeserver": {"base_url": f"https://{name}"},
            "org.matrix.msc4143.rtc_foci": [{"type": "livekit", "livekit_service_url": FOCUS}],
        }
        hosts[name] = {
            "/.well-known/matrix/client": {"json": content, "headers": {"Access-Control-Allow-Origin": "*"}},
            "preset:homeserver": {},
        }
    return hosts


def _snapshot(servers: list[str]) -> RoomSnapshot:
    state = [StateEvent("m.room.create", "", "@a:good0.test", {"room_version": "12"})]
    for server in servers:
        user = f"@u:{server}"
        state.append(StateEvent("m.room.member", user, user, {"membership": "join"}))
    return RoomSnapshot(ROOM, tuple(state), 0)


Runner = Callable[..., tuple[Recorder, list[float]]]


@pytest.fixture
def run_room(fake_web: Callable[[dict[str, Any]], FakeWeb], test_ca: tuple[trustme.CA, Path], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch, test_dns: LoopbackDns) -> Runner:  # fmt: skip
    """Run ``!foci room`` once per body, all at once, through a real Dispatcher and Checker."""
    web = fake_web(expand(_hosts(6)))
    monkeypatch.setattr(room_bot, "PROGRESS_EVERY", 0.0)
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        '[matrix]\nhomeserver = "https://hs.test"\nuser_id = "@foci:good0.test"\npassword = "x"\n'
        f'store_dir = "{tmp_path / "store"}"\n[bot]\nallowed_users = ["@*:good0.test"]\n[checks]\ndeadline = 2\n'
    )
    config = load_config(config_file)

    def run(
        snapshot: RoomSnapshot | SnapshotError, bodies: list[str], one_by_one: bool = False
    ) -> tuple[Recorder, list[float]]:
        """The recorder, and with ``one_by_one`` each command's duration."""
        recorder = Recorder(snapshot)

        async def go() -> list[float]:
            rules = tuple(ConnectTo.parse(r) for r in web.connect_rules())
            dns_server = ("127.0.0.1", test_dns.port)
            http = HttpOptions(
                timeout=5, allow_private=True, cacert=str(test_ca[1]), connect_to=rules, dns_server=dns_server
            )
            async with HttpClient(http) as client:
                checker = Checker(client, CheckOptions(deadline=5, cache_ttl=60))
                dispatcher = Dispatcher(config, checker, Store(tmp_path / "store"), recorder, recorder)
                incoming = [
                    Incoming(ROOM, f"$cmd{i}", "@a:good0.test", body, 0) for i, body in enumerate(bodies)
                ]

                def ask(m: Incoming) -> Any:
                    return dispatcher.on_room_command(m, commands.Room(tuple(m.body.split()[2:])))

                if not one_by_one:
                    await asyncio.gather(*(ask(m) for m in incoming))
                    return []
                durations = []
                for m in incoming:
                    started = time.monotonic()
                    await ask(m)
                    durations.append(time.monotonic() - started)
                return durations

        return recorder, asyncio.run(go())

    return run


def _bodies(recorder: Recorder) -> list[str]:
    return [c.get("m.new_content", c).get("body", "") for t, c in recorder.sent if t == "m.room.message"]


def test_progress_is_one_notice_edited_in_place_and_dead_server_is_unknown(run_room: Runner) -> None:
    """Many servers: one progress notice, edits of it, the final answer as its last edit; the
    dead server is unknown once the deadline passes, and a second request meanwhile is refused."""
    servers = [f"good{i}.test" for i in range(6)] + ["dead.test"]
    recorder, _ = run_room(_snapshot(servers), ["!foci room", "!foci room"])
    messages = [(c.get("m.relates_to", {}), c) for t, c in recorder.sent if t == "m.room.message"]
    notices = [c for rel, c in messages if rel.get("rel_type") != "m.replace"]
    edits = [c for rel, c in messages if rel.get("rel_type") == "m.replace"]
    busy = [c for c in notices if c["body"] == room_bot.BUSY.strip()]
    progress = [c for c in notices if c["body"].startswith("Checking the call readiness of 7 servers")]
    assert len(busy) == 1 and len(progress) == 1 and len(notices) == 2
    assert all(
        e["m.relates_to"]["event_id"] == "$event1" or e["m.relates_to"]["event_id"] == "$event2"
        for e in edits
    )
    assert any("done…" in e["m.new_content"]["body"] for e in edits)
    final = edits[-1]["m.new_content"]["body"]
    assert final.startswith("**Calls work for 6 of 7 members; 1 member on 1 server could not be judged.**")
    assert "`check-deadline`" in final


def test_cached_second_check_is_fast_and_has_no_progress(run_room: Runner) -> None:
    """Within the cache lifetime the answer needs no network and no progress notice."""
    servers = [f"good{i}.test" for i in range(6)]
    recorder, durations = run_room(_snapshot(servers), ["!foci room", "!foci room"], one_by_one=True)
    assert durations[1] < 0.5, durations
    answers = [b for b in _bodies(recorder) if b.startswith("**Calls work for 6 of 6 members.**")]
    assert len(answers) == 2
    notices = [c for t, c in recorder.sent if t == "m.room.message" and "m.new_content" not in c]
    assert len(notices) == 2  # the first: a progress notice; the second: a direct answer
    reactions = [c for t, c in recorder.sent if t == "m.reaction"]
    assert reactions == []  # nothing to acknowledge: a progress notice, then an instant answer


def test_arguments_and_unreadable_rooms_get_one_line(run_room: Runner) -> None:
    recorder, _ = run_room(
        SnapshotError("cannot read the room's state: forbidden"), ["!foci room", "!foci room #x:y"]
    )
    bodies = sorted(_bodies(recorder))
    assert bodies == sorted(
        ["cannot read the room's state: forbidden.", room_bot.NO_ARGS.format(prefix="!foci").strip()]
    )
