"""The room check on a real federation of three Synapses (``federation`` fixture).

One room has joined members from all three servers: ``127.0.0.1:P1`` advertises no focus,
``127.0.0.2:P2`` a broken one, ``127.0.0.3:P3`` a healthy one. The foci are local HTTPS servers
(``FakeWeb``) serving the hosts of ``federation_foci``. Power levels and call memberships are set
by the test clients; the room's state is read back from the real server and checked with the
real engine over TLS.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.roomcheck import room_check
from foci_bot.render.room_json import room_json
from foci_bot.room.analysis import CALL_MEMBER
from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from tests.support.fakeservers import FakeWeb, lk_jwt_routes
from tests.support.fixtures_synapse import FederationFoci, unique_localpart
from tests.support.synapse_harness import Federation, Synapse, User, wait_until

HOUR_MS = 3600 * 1000


@dataclass
class Member:
    user: User
    server: Synapse

    @property
    def id(self) -> str:
        return self.user.user_id


@dataclass
class Lab:
    federation: Federation
    foci: FederationFoci
    http: HttpOptions
    connect_to: list[str]
    cacert: Path


def _host_prefix(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "", parts.path


@pytest.fixture(scope="module")
def lab(
    federation: Federation,
    federation_foci: FederationFoci,
    test_ca: tuple[trustme.CA, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Lab]:
    """Fake foci for the federation's focus URLs, and HTTP options reaching everything on loopback."""
    healthy_host, healthy_prefix = _host_prefix(federation_foci.healthy)
    broken_host, broken_prefix = _host_prefix(federation_foci.broken)
    web = FakeWeb(
        test_ca[0],
        names=[healthy_host, broken_host],
        routes={
            healthy_host: lk_jwt_routes(healthy_prefix),
            broken_host: lk_jwt_routes(broken_prefix, mode="down"),
        },
    ).start()
    bundle = tmp_path_factory.mktemp("cabundle") / "ca.pem"
    bundle.write_bytes(test_ca[1].read_bytes() + federation.ca_pem.read_bytes())
    # The client well-known is fetched on port 443 (spec): send it to each server's TLS port.
    rules = [f"{s.host}:443:{s.host}:{s.tls_port}" for s in federation]
    rules += [f"{host}:443:{web.address}:{web.port}" for host in (healthy_host, broken_host)]
    http = HttpOptions(
        timeout=5, allow_private=True, cacert=str(bundle), connect_to=tuple(ConnectTo.parse(r) for r in rules)
    )
    yield Lab(federation, federation_foci, http, rules, bundle)
    web.stop()


@dataclass
class CallRoom:
    room_id: str
    alice: Member  # creator, on the server without foci
    bob: Member  # on the broken-focus server
    carol: Member  # healthy-focus server
    dave: Member  # healthy-focus server
    erin: Member  # invited only, broken-focus server


@pytest.fixture(scope="module")
def call_room(lab: Lab) -> CallRoom:
    hs1, hs2, hs3 = lab.federation[0], lab.federation[1], lab.federation[2]

    def member(server: Synapse, name: str) -> Member:
        return Member(server.new_user(unique_localpart(name)), server)

    alice, bob, carol, dave, erin = (
        member(hs1, "alice"), member(hs2, "bob"), member(hs3, "carol"), member(hs3, "dave"), member(hs2, "erin"),
    )  # fmt: skip
    room_id = hs1.create_room(alice.user.access_token, preset="public_chat", name="call readiness")
    for m in (bob, carol, dave):
        m.server.join(m.user.access_token, room_id, via=[hs1.server_name])
    hs1.invite(alice.user.access_token, room_id, erin.id)
    everyone = {alice.id, bob.id, carol.id, dave.id}
    wait_until(lambda: hs1.joined_members(alice.user.access_token, room_id) == everyone, 20, what="joins")
    return CallRoom(room_id, alice, bob, carol, dave, erin)


def snapshot(server: Synapse, token: str, room_id: str) -> RoomSnapshot:
    """The room's state as the bot reads it: ``GET /rooms/{id}/state``."""
    events: list[dict[str, Any]] = server.api(
        "GET", f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/state", token=token
    )
    state = tuple(
        StateEvent(e["type"], e["state_key"], e["sender"], e["content"], e.get("origin_server_ts", 0))
        for e in events
    )
    return RoomSnapshot(room_id, state, int(time.time() * 1000))


def check_room(lab: Lab, room: CallRoom) -> dict[str, Any]:
    snap = snapshot(room.alice.server, room.alice.user.access_token, room.room_id)

    async def run() -> dict[str, Any]:
        async with HttpClient(lab.http) as http:
            report = await room_check(Checker(http, CheckOptions(deadline=8)), snap, deadline=10)
        return room_json(report)

    return asyncio.run(run())


def set_power(room: CallRoom, call_member: int | None, users: dict[str, int] | None = None) -> None:
    """Change the room's power levels as its creator; the creator is never listed (room v12)."""
    a = room.alice
    content = a.server.get_state(a.user.access_token, room.room_id, "m.room.power_levels")
    events = dict(content.get("events", {}))
    if call_member is None:
        events.pop(CALL_MEMBER, None)
    else:
        events[CALL_MEMBER] = call_member
    content.update(events=events, users=users or {})
    a.server.send_state(a.user.access_token, room.room_id, "m.room.power_levels", "", content)


def test_members_by_server_and_multi_sfu_verdict(lab: Lab, call_room: CallRoom) -> None:
    """Members grouped by their real servers; the healthy-focus server's members can speak, the
    others only listen; the invited member is counted apart; the healthy focus is suggested."""
    out = check_room(lab, call_room)
    hs1, hs2, hs3 = (s.server_name for s in lab.federation)
    assert out["summary"] | {"line": None, "members_cannot_join": None} == {
        "members_total": 4, "members_can_speak": 2, "members_listen_only": 2, "members_unknown": 0,
        "members_invited": 1, "servers_total": 3, "servers_can_speak": 1, "servers_listen_only": 2,
        "servers_unknown": 0, "line": None, "members_cannot_join": None,
        "members_openid_unreachable": 0, "servers_openid_unreachable": 0,
    }  # fmt: skip
    servers = {s["server"]: s for s in out["servers"]}
    assert servers[hs3]["members"] == 2 and servers[hs3]["verdict"] == "can-speak"
    assert servers[hs3]["transport_url"] == lab.foci.healthy
    assert servers[hs2]["transport"] == "broken" and servers[hs1]["transport"] == "none"
    assert sorted(servers[hs3]["member_ids"]) == sorted([call_room.carol.id, call_room.dave.id])
    assert out["room"]["invited_by_server"] == {hs2: 1}
    suggestion = out["suggestion"]
    assert suggestion["livekit_service_url"] == lab.foci.healthy
    assert [g["server"] for g in suggestion["add_transport"]] == sorted([hs1, hs2])


@pytest.mark.parametrize(
    ("call_member", "users", "cannot_join", "source"),
    [
        (None, {}, ["bob", "carol", "dave"], "state_default"),
        (50, {"carol": 50}, ["bob", "dave"], "events"),
        (0, {}, [], "events"),
    ],
    ids=["unlisted", "at-50", "at-0"],
)
def test_permission_to_join(
    lab: Lab,
    call_room: CallRoom,
    call_member: int | None,
    users: dict[str, int],
    cannot_join: list[str],
    source: str,
) -> None:
    """Room v12: the creator is unlimited though unlisted; others are judged by the call-member level."""
    set_power(call_room, call_member, {getattr(call_room, n).id: lvl for n, lvl in users.items()})
    out = check_room(lab, call_room)
    p = out["permissions"]
    assert out["room"]["room_version"] == "12"
    assert p["creators"] == [call_room.alice.id] and p["creators_unlimited"] is True
    assert p["required_level"] == (50 if call_member is None else call_member)
    assert p["required_from"] == source
    assert sorted(c["user_id"] for c in p["cannot_join"]) == sorted(
        getattr(call_room, n).id for n in cannot_join
    )
    assert out["summary"]["members_cannot_join"] == len(cannot_join)
    assert p["fix"] == ({"events": {CALL_MEMBER: 0}} if cannot_join else None)


def _membership(m: Member, device: str, mode: str, focus: str, created_ts: int) -> dict[str, Any]:
    return {
        "application": "m.call", "call_id": "", "scope": "m.room", "device_id": device,
        "expires": 4 * HOUR_MS, "created_ts": created_ts,
        "focus_active": {"type": "livekit", "focus_selection": mode},
        "foci_preferred": [{"type": "livekit", "livekit_service_url": focus, "livekit_alias": "x"}],
    }  # fmt: skip


def test_call_in_progress(lab: Lab, call_room: CallRoom) -> None:
    """Call memberships sent by real clients on three servers: oldest_membership and multi_sfu,
    an expired one, a left one and malformed ones; the call's focus is the oldest member's."""
    room = call_room
    set_power(room, 0)
    now = int(time.time() * 1000)
    sent: list[tuple[Member, str, dict[str, Any]]] = [
        (
            room.alice,
            "ALICE",
            _membership(room.alice, "ALICE", "oldest_membership", lab.foci.healthy, now - 600_000),
        ),
        (room.bob, "BOB", _membership(room.bob, "BOB", "multi_sfu", lab.foci.broken, now - 60_000)),
        (
            room.carol,
            "OLD",
            _membership(room.carol, "OLD", "oldest_membership", lab.foci.broken, now - 5 * HOUR_MS),
        ),
        (room.dave, "GONE", _membership(room.dave, "GONE", "multi_sfu", lab.foci.healthy, now)),
        (room.dave, "GONE", {}),
        (room.bob, "JUNK", {"application": "m.call", "created_ts": "yesterday"}),
        (
            room.carol,
            "JUNK",
            {"application": "m.call", "expires": "soon", "focus_active": 5, "foci_preferred": "x"},
        ),
    ]
    for m, device, content in sent:
        m.server.send_state(
            m.user.access_token, room.room_id, CALL_MEMBER, f"_{m.id}_{device}_m.call", content
        )

    def arrived() -> dict[str, Any] | None:
        snap = snapshot(room.alice.server, room.alice.user.access_token, room.room_id)
        calls = {e.state_key: e.content for e in snap.of_type(CALL_MEMBER)}
        return calls if len(calls) == 6 and not calls[f"_{room.dave.id}_GONE_m.call"] else None

    wait_until(arrived, 20, what="call memberships federated to the creator's server")
    call = check_room(lab, room)["call"]
    assert [(c["user_id"], c["device_id"]) for c in call["active"][:2]] == [
        (room.alice.id, "ALICE"),
        (room.bob.id, "BOB"),
    ]
    assert len(call["active"]) == 4 and call["expired"] == 1 and call["left"] == 1
    assert call["modes"] == {"oldest_membership": 1, "multi_sfu": 1, "unknown": 2}
    assert call["active"][1]["server"] == lab.federation[1].server_name
    assert call["oldest_membership_focus"] == {
        "user_id": room.alice.id, "livekit_service_url": lab.foci.healthy, "health": "healthy",
    }  # fmt: skip
    malformed = {b["user_id"]: b["problems"] for b in call["malformed"]}
    assert malformed[room.bob.id] == [
        "`created_ts` is not an integer", "`focus_active` is missing or not an object",
        "`foci_preferred` is missing or not a list",
    ]  # fmt: skip
    assert "`expires` is not an integer" in malformed[room.carol.id]


def test_room_version_10_creator_is_an_ordinary_level(lab: Lab, call_room: CallRoom) -> None:
    """Before v12 the creator is listed at 100 and gets no special treatment."""
    a = call_room.alice
    room_id = a.server.create_room(a.user.access_token, preset="public_chat", room_version="10")
    snap = snapshot(a.server, a.user.access_token, room_id)
    from foci_bot.room.analysis import permission

    p = permission(snap, [a.id])
    assert p.room_version == "10" and not p.creators_unlimited
    assert p.levels[a.id] == 100 and p.cannot_join == () and p.required == 50


# -- through the bot's account: `foci-bot room` and `!foci room` ------------------------------------


@dataclass
class BotRoom:
    room_id: str
    bot: User
    config: Path
    alice: Member
    bob: Member


@pytest.fixture(scope="module")
def bot_room(lab: Lab, call_room: CallRoom, tmp_path_factory: pytest.TempPathFactory) -> BotRoom:
    """A second room (call-member level unlisted) with members on all three servers and the bot,
    an account on the creator's server with a config that reaches the lab."""
    from tests.support.botkit import toml_list, write_config

    hs1 = lab.federation[0]
    alice, bob, carol = call_room.alice, call_room.bob, call_room.carol
    bot = hs1.new_user(unique_localpart("foci"), "bot-password")
    room_id = hs1.create_room(alice.user.access_token, preset="public_chat", name="bot room")
    for m in (bob, carol):
        m.server.join(m.user.access_token, room_id, via=[hs1.server_name])
    hs1.invite(alice.user.access_token, room_id, bot.user_id)
    hs1.join(bot.access_token, room_id)
    everyone = {alice.id, bob.id, carol.id, bot.user_id}
    wait_until(lambda: hs1.joined_members(alice.user.access_token, room_id) == everyone, 20, what="joins")
    tmp = tmp_path_factory.mktemp("roombot")
    checks = (
        f'allow_private = true\ncacert = "{lab.cacert}"\ntimeout = 3\ndeadline = 8\ncache_ttl = 600\n'
        f"connect_to = {toml_list(lab.connect_to)}\n"
    )
    bot_section = f"allowed_users = {toml_list([alice.id, bob.id])}\nroom_allowed_users = {toml_list([alice.id])}\nrate_limit = 1000\n"
    config = write_config(
        tmp / "config.toml", hs1, bot.user_id, "bot-password", tmp / "store", bot=bot_section, checks=checks
    )
    return BotRoom(room_id, bot, config, alice, bob)


def _expect_bot_room(out: dict[str, Any], lab: Lab, room: BotRoom) -> None:
    """The bot itself is not counted (it never joins calls); only the room's creator may join calls."""
    hs1, hs2, hs3 = (s.server_name for s in lab.federation)
    summary = out["summary"]
    assert (summary["members_total"], summary["members_can_speak"], summary["members_listen_only"]) == (
        3,
        1,
        2,
    )
    assert summary["members_cannot_join"] == 2 and summary["members_unknown"] == 0
    assert {s["server"]: s["members"] for s in out["servers"]} == {hs1: 1, hs2: 1, hs3: 1}
    assert out["suggestion"]["livekit_service_url"] == lab.foci.healthy
    assert out["permissions"]["fix"] == {"events": {CALL_MEMBER: 0}}


def test_room_cli_json(lab: Lab, bot_room: BotRoom, run_cli: Any) -> None:
    """``foci-bot room --config ... ROOM --json`` logs in as the bot and reads the room itself."""
    result = run_cli("room", "--config", str(bot_room.config), bot_room.room_id, "--json")
    assert result.code == 1, result.err  # broken/none servers and members who cannot join
    out = result.json()
    _expect_bot_room(out, lab, bot_room)
    own = next(s for s in out["servers"] if s["server"] == lab.federation[0].server_name)
    assert own["observations"]["transports_unstable"]["status"] == 404  # read with the bot's token
    markdown = run_cli("room", "--config", str(bot_room.config), bot_room.room_id)
    assert markdown.out.startswith("**Calls work for 1 of 3 members; 2 members on 2 servers can listen")
    bad = run_cli("room", "--config", str(bot_room.config), "!nowhere:" + lab.federation[0].server_name)
    assert bad.code == 2 and bad.out == "" and len(bad.err.strip().splitlines()) == 1


def test_foci_room_in_chat(lab: Lab, bot_room: BotRoom) -> None:
    """``!foci room`` answers in the room with the same verdict; a user outside
    ``room_allowed_users`` is refused."""
    from tests.support.botkit import BotProcess, answer, replies_to, room_events

    hs1 = lab.federation[0]
    bot = BotProcess(bot_room.config, bot_room.config.parent / "bot.log").start()
    try:
        alice = bot_room.alice
        asked = hs1.send_message(alice.user.access_token, bot_room.room_id, "!foci room")
        content = answer(
            hs1, alice.user.access_token, bot_room.room_id, asked, bot_room.bot.user_id, timeout=30
        )
        body = content["body"]
        assert body.startswith(
            "**Calls work for 1 of 3 members; 2 members on 2 servers can listen but not speak"
        )
        assert "2 members lack permission to join" in body and content["m.mentions"] == {}
        assert "<details>" in content["formatted_body"]
        bob = bot_room.bob
        refused = bob.server.send_message(bob.user.access_token, bot_room.room_id, "!foci room")

        def refusal() -> list[dict[str, Any]]:
            return replies_to(
                room_events(hs1, alice.user.access_token, bot_room.room_id), refused, bot_room.bot.user_id
            )

        wait_until(refusal, 30, what="the refusal")
        assert "may not run the room check" in refusal()[0]["content"]["body"]
    finally:
        assert bot.stop() == 0
