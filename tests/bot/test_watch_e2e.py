"""Watch mode end to end: a real Synapse, the bot as a real subprocess, and local HTTPS servers
(``FakeWeb``) whose lk-jwt-service a test breaks and heals while the bot watches.

Intervals are seconds here (``interval = 2``, ``confirm_after = 1``) so that every wait is short;
each wait is on a condition with a deadline.
"""

from __future__ import annotations

import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from prometheus_client.parser import text_string_to_metric_families

from tests.bot.test_reply import live_markup
from tests.support.botkit import BotProcess, answer, room_events, room_with_bot, toml_list, write_config
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, homeserver_routes, lk_jwt_routes, wellknown_route
from tests.support.fixtures_synapse import SynapseFactory, unique_localpart
from tests.support.synapse_harness import Synapse, User, wait_until

INTERVAL, CONFIRM = 2.0, 1.0
SHARED = [f"s{i}.test" for i in range(5)]
# One interval (stretched by its jitter), the confirming re-check, two checks' time, the gather.
ALERT_WITHIN = INTERVAL * 1.1 + CONFIRM + 2 * 3 + 2 + 5


def server_routes(name: str, focus_host: str) -> dict[str, Any]:
    focus = {"type": "livekit", "livekit_service_url": f"https://{focus_host}/livekit/jwt"}
    return {
        "/.well-known/matrix/client": wellknown_route(
            f"https://{name}", {"org.matrix.msc4143.rtc_foci": [focus]}
        ),
        **homeserver_routes(transports=[focus]),
    }


@pytest.fixture
def web(test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns) -> Iterator[FakeWeb]:
    routes: dict[str, dict[str, Any]] = {
        "flip.test": server_routes("flip.test", "lk.flip.test"),
        "lk.flip.test": lk_jwt_routes(),
        "lk.shared.test": lk_jwt_routes(),
        **{name: server_routes(name, "lk.shared.test") for name in SHARED},
    }
    server = FakeWeb(test_ca[0], names=list(routes), routes=routes, dns_server=test_dns.address).start()
    yield server
    server.stop()


def break_focus(web: FakeWeb, host: str) -> None:
    web.routes[host] = lk_jwt_routes(mode="down")


def heal_focus(web: FakeWeb, host: str) -> None:
    web.routes[host] = lk_jwt_routes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class WatchEnv:
    server: Synapse
    bot: BotProcess
    bot_id: str
    alice: User
    metrics_port: int

    def room_with_bot(self) -> str:
        return room_with_bot(self.server, self.alice.access_token, self.bot_id, preset="private_chat")

    def command(self, room_id: str, body: str) -> str:
        event_id = self.server.send_message(self.alice.access_token, room_id, body)
        content = answer(self.server, self.alice.access_token, room_id, event_id, self.bot_id, 30)
        return str(content["body"])

    def alerts(self, room_id: str) -> list[dict[str, Any]]:
        """The bot's notices that answer no command: its alerts, oldest first."""
        return [
            e["content"]
            for e in room_events(self.server, self.alice.access_token, room_id, 500)
            if e["sender"] == self.bot_id
            and e["type"] == "m.room.message"
            and "m.relates_to" not in e["content"]
        ]

    def wait_alerts(self, room_id: str, count: int, within: float = ALERT_WITHIN) -> list[dict[str, Any]]:
        found = wait_until(
            lambda: found if len(found := self.alerts(room_id)) >= count else None,
            within,
            what=f"{count} alerts",
        )
        assert found is not None
        return found

    def wait_log(self, text: str, after: int = 0, within: float = ALERT_WITHIN) -> int:
        """Wait for ``text`` in the bot's log past offset ``after``; the offset just after it."""

        def find() -> int | None:
            log = self.bot.text()
            at = log.find(text, after)
            return at + len(text) if at >= 0 else None

        at = wait_until(find, within, what=f"{text!r} in the bot's log")
        assert at is not None
        return at

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Scrape the endpoint with a real HTTP client and parse it as Prometheus does."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def checks(self) -> float:
        """Server checks the watch made since this bot process started."""
        return self.metrics().get(("foci_checks_total", (("kind", "server"),)), 0.0)


def make_watch_env(
    server: Synapse, tmp: Path, web: FakeWeb, ca_pem: Path, *, alert_gap: float = 0.5, extra: str = ""
) -> WatchEnv:
    bot = server.new_user(unique_localpart("foci"), "bot-password")
    alice = server.new_user(unique_localpart("alice"))
    checks = (
        f'allow_private = true\ncacert = "{ca_pem}"\ntimeout = 2\ndeadline = 3\n'
        f'connect_to = {toml_list(web.connect_rules())}\ndns_server = "{web.dns_server}"\n'
    )
    port = free_port()
    bot_section = f'allowed_users = {toml_list([alice.user_id])}\nrate_limit = 1000\nack = "none"\n'
    config = write_config(
        tmp / "config.toml",
        server,
        bot.user_id,
        "bot-password",
        tmp / "store",
        bot=bot_section,
        checks=checks,
    )
    with config.open("a") as f:
        f.write(
            f"\n[watch]\ninterval = {INTERVAL}\nconfirm_after = {CONFIRM}\nalert_gap = {alert_gap}\n"
            f'max_per_room = 6\n{extra}\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
        )
    process = BotProcess(config, tmp / "bot.log").start()
    return WatchEnv(server, process, bot.user_id, alice, port)


@pytest.fixture
def wenv(
    synapse: Synapse, web: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> Iterator[WatchEnv]:
    env = make_watch_env(synapse, tmp_path, web, test_ca[1])
    yield env
    env.bot.stop()


def test_each_change_gives_one_alert_and_metrics_follow(wenv: WatchEnv, web: FakeWeb) -> None:
    """Break, heal, break, heal: four separate changes, four alerts, each once, with content."""
    room = wenv.room_with_bot()
    started = wenv.command(room, "!foci watch flip.test")
    assert "Now watching 1 more target" in started and "`flip.test`: ok" in started
    samples = wenv.metrics()
    assert samples[("foci_watch_status", (("target", "flip.test"),))] == 0
    assert samples[("foci_watch_transport_working", (("target", "flip.test"),))] == 1

    broke_at = time.monotonic()
    break_focus(web, "lk.flip.test")
    (alert,) = wenv.wait_alerts(room, 1)
    took = time.monotonic() - broke_at
    assert alert["msgtype"] == "m.notice" and alert["m.mentions"] == {}
    assert "`flip.test` changed: ok → **error**" in alert["body"]
    assert "Users now see: Calls fail" in alert["body"] and "*Fix:*" in alert["body"]
    assert live_markup(alert["formatted_body"]) == []
    print(f"alert {took:.1f} s after the break")

    samples = wenv.metrics()
    assert samples[("foci_watch_status", (("target", "flip.test"),))] == 2
    assert samples[("foci_watch_transport_working", (("target", "flip.test"),))] == 0
    assert samples[("foci_watch_check_duration_seconds", (("target", "flip.test"),))] > 0
    assert samples[("foci_commands_total", ())] >= 1 and samples[("foci_replies_total", ())] >= 2
    assert samples[("foci_checks_total", (("kind", "server"),))] >= 2

    # Still broken for several more checks: no second alert.
    checks = samples[("foci_checks_total", (("kind", "server"),))]
    wait_until(
        lambda: wenv.checks() >= checks + 3,
        20,
        what="3 more checks",
    )
    assert len(wenv.alerts(room)) == 1

    heal_focus(web, "lk.flip.test")
    recovery = wenv.wait_alerts(room, 2)[1]
    assert "`flip.test` recovered: error → **ok**" in recovery["body"] and "**Resolved**" in recovery["body"]
    break_focus(web, "lk.flip.test")
    wenv.wait_alerts(room, 3)
    heal_focus(web, "lk.flip.test")
    fourth = wenv.wait_alerts(room, 4)[3]
    assert "recovered" in fourth["body"]

    history = wenv.command(room, "!foci history flip.test")
    lines = [line for line in history.splitlines() if line.startswith("- ")]
    assert len(lines) == 5 and "recovered" in lines[0] and "watching started" in lines[4]
    watching = wenv.command(room, "!foci watching")
    assert "`flip.test`: ok since" in watching


def test_a_flap_shorter_than_confirm_after_says_nothing(
    synapse: Synapse, web: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    """Broken for one check only, healed before the confirming re-check: no alert."""
    env = make_watch_env(synapse, tmp_path, web, test_ca[1])
    try:
        room = env.room_with_bot()
        env.command(room, "!foci watch flip.test")
        break_focus(web, "lk.flip.test")
        seen = env.wait_log("watch of flip.test in " + room + ": a change, confirming")
        heal_focus(web, "lk.flip.test")  # well within confirm_after of the check that saw it
        before = env.checks()
        wait_until(
            lambda: env.checks() >= before + 3,
            20,
            what="the confirming check and two more",
        )
        assert env.alerts(room) == []
        assert "confirmed change" not in env.bot.text()[seen:]
    finally:
        env.bot.stop()


def test_restarts_give_no_duplicate(
    synapse: Synapse, web: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    """A restart while a change is pending, and one between its confirmation and its alert,
    still give exactly one alert per change; watches survive the restarts."""
    env = make_watch_env(synapse, tmp_path, web, test_ca[1], alert_gap=3)
    try:
        room = env.room_with_bot()
        env.command(room, "!foci watch flip.test")
        # 1. Restart while the change waits for its confirmation.
        break_focus(web, "lk.flip.test")
        env.wait_log(f"watch of flip.test in {room}: a change, confirming")
        env.bot.stop()
        env.bot.start()
        (alert,) = env.wait_alerts(room, 1)
        assert "ok → **error**" in alert["body"]
        # 2. Restart right after the confirmation, before the alert went out (it waits to gather).
        mark = len(env.bot.text())
        heal_focus(web, "lk.flip.test")
        env.wait_log(f"watch of flip.test in {room}: confirmed change", after=mark)
        env.bot.stop()
        assert len(env.alerts(room)) == 1, "the recovery alert went out before the restart"
        env.bot.start()
        alerts = env.wait_alerts(room, 2)
        assert "recovered" in alerts[1]["body"]
        # Several more checks after another restart: still two alerts.
        env.bot.stop()
        env.bot.start()
        wait_until(lambda: env.checks() >= 3, 20, what="3 checks")
        assert len(env.alerts(room)) == 2
    finally:
        env.bot.stop()


def test_shared_focus_gives_one_digest_and_unwatch_stops(
    synapse: Synapse, web: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    """Five servers behind one focus break at once: one message. The cap is enforced; unwatching
    and the bot leaving the room stop alerts."""
    env = make_watch_env(synapse, tmp_path, web, test_ca[1], alert_gap=30)
    try:
        room = env.room_with_bot()
        started = env.command(room, "!foci watch " + " ".join(SHARED))
        assert "Now watching 5 more targets" in started
        refused = env.command(room, "!foci watch flip.test lk.flip.test")
        assert "at most 6 are allowed" in refused
        break_focus(web, "lk.shared.test")
        (digest,) = env.wait_alerts(room, 1)
        assert digest["body"].startswith("**5 watched targets changed**")
        assert all(f"`{name}` changed: ok → **error**" in digest["body"] for name in SHARED)
        assert digest["formatted_body"].count("<details>") == 5
        wait_until(lambda: "watch alert" in env.bot.text() and len(env.alerts(room)) == 1, 5, what="settled")

        assert "Stopped watching `s0.test`" in env.command(room, "!foci unwatch s0.test")
        assert "`s0.test` is not watched" in env.command(room, "!foci unwatch s0.test")
        env.server.api(
            "POST",
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room)}/kick",
            {"user_id": env.bot_id},
            token=env.alice.access_token,
        )
        # The loops end (their targets leave the metrics), so healing is never checked or announced.
        gone = [("foci_watch_status", (("target", name),)) for name in SHARED]
        wait_until(lambda: not set(gone) & set(env.metrics()), 10, what="the loops to end")
        heal_focus(web, "lk.shared.test")
        assert len(env.alerts(room)) == 1
    finally:
        env.bot.stop()


def test_room_watch_alerts_when_fewer_members_may_join(wenv: WatchEnv, synapse: Synapse) -> None:
    """`watch room`: a power-level change that locks a member out of calls is announced, and so is
    the fix."""
    room = wenv.room_with_bot()
    bob = synapse.new_user(unique_localpart("bob"))
    synapse.invite(wenv.alice.access_token, room, bob.user_id)
    synapse.join(bob.access_token, room)
    levels = synapse.get_state(wenv.alice.access_token, room, "m.room.power_levels")
    levels.setdefault("events", {})["org.matrix.msc3401.call.member"] = 0
    synapse.send_state(wenv.alice.access_token, room, "m.room.power_levels", "", levels)
    started = wenv.command(room, "!foci watch room")
    assert "this room" in started and "2 of 2 may join a call" in started
    levels["events"]["org.matrix.msc3401.call.member"] = 50
    synapse.send_state(wenv.alice.access_token, room, "m.room.power_levels", "", levels)
    (alert,) = wenv.wait_alerts(room, 1)
    assert "this room: call readiness changed:" in alert["body"]
    assert "2/2 can join → " in alert["body"] and "1/2 can join" in alert["body"]
    levels["events"]["org.matrix.msc3401.call.member"] = 0
    synapse.send_state(wenv.alice.access_token, room, "m.room.power_levels", "", levels)
    second = wenv.wait_alerts(room, 2)[1]
    assert "1/2 can join → " in second["body"] and "2/2 can join" in second["body"].split("→")[1]
    samples = wenv.metrics()
    assert samples[("foci_watch_room_members", (("kind", "can_join"), ("room", room)))] == 2


def test_homeserver_outage_delays_the_alert_but_never_doubles_it(
    synapse_factory: SynapseFactory, web: FakeWeb, test_ca: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    """The change is confirmed while the bot's own homeserver is down: the alert waits in the
    outbox and goes out once when the homeserver is back; the bot is restarted meanwhile too."""
    own = synapse_factory()
    env = make_watch_env(own, tmp_path, web, test_ca[1])
    try:
        room = env.room_with_bot()
        env.command(room, "!foci watch flip.test")
        mark = len(env.bot.text())
        own.stop()
        break_focus(web, "lk.flip.test")
        env.wait_log(f"watch of flip.test in {room}: confirmed change", after=mark)
        env.bot.stop()  # the bot goes down too, its alert not sent
        mark = len(env.bot.text())
        env.bot.start(wait_ready=False)
        own.start()
        env.wait_log("first sync done", after=mark, within=60)
        (alert,) = env.wait_alerts(room, 1, within=60)
        assert "ok → **error**" in alert["body"]
        before = env.checks()
        wait_until(lambda: env.checks() >= before + 3, 20, what="3 more checks")
        assert len(env.alerts(room)) == 1
    finally:
        env.bot.stop()
        own.stop()
