"""The bot's latency and memory on a local Synapse (loopback only; bounded in count and time).

    python -m benchmarks.bot_latency [--samples 50] [--commands 1000]

- **Latency**: the median time from sending ``!foci good.test`` (a server already in the
  bot's cache) to the final reply arriving at the sender's client, seen through a long-polling
  ``/sync``. The server-side figure (reply ``origin_server_ts`` minus the command's) is printed
  too, and the same figure for ``!foci version``, which does no check: the floor set by Synapse's
  delivery to the bot, dispatch and sending.
- **Memory**: the bot's resident set size (``VmRSS``) after it has answered ``--commands``
  commands (half cached checks, half ``version``).

Synapse runs from its own virtualenv (``$FOCI_TEST_SYNAPSE_PYTHON`` or the cached one, see
``tests/synapse_harness.py``); the checked server is a local HTTPS server with a test CA.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import trustme

from tests.support.botkit import BotProcess, toml_list, write_config
from tests.support.fakeservers import FakeWeb, homeserver_routes, lk_jwt_routes, wellknown_route
from tests.support.synapse_harness import Synapse, wait_until

DEADLINE_S = 600  # the whole run never takes longer than this
TIMELINE_FILTER = '{"room": {"timeline": {"limit": 1000}}, "presence": {"not_types": ["*"]}}'


class Listener:
    """The sender's own long-polling /sync, to see the bot's replies as soon as they exist."""

    def __init__(self, server: Synapse, token: str) -> None:
        self.server, self.token = server, token
        self.since = server.api("GET", "/_matrix/client/v3/sync?timeout=0", token=token)["next_batch"]
        self.replies: dict[str, tuple[float, int]] = {}  # command id -> (arrival, reply ts)

    def poll(self, timeout_ms: int = 5000) -> None:
        query = urllib.parse.urlencode(
            {"since": self.since, "timeout": timeout_ms, "filter": TIMELINE_FILTER}
        )
        body = self.server.api("GET", f"/_matrix/client/v3/sync?{query}", token=self.token)
        now = time.perf_counter()
        self.since = body["next_batch"]
        for room in body.get("rooms", {}).get("join", {}).values():
            for event in room.get("timeline", {}).get("events", []):
                relation = event.get("content", {}).get("m.relates_to", {})
                replied = relation.get("m.in_reply_to", {}).get("event_id")
                if event.get("type") == "m.room.message" and replied:
                    self.replies.setdefault(replied, (now, int(event["origin_server_ts"])))

    def wait_for(self, event_ids: set[str], timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not event_ids <= self.replies.keys():
            if time.monotonic() > end:
                raise TimeoutError(f"{len(event_ids - self.replies.keys())} commands not answered")
            self.poll()


def send(server: Synapse, token: str, room: str, body: str) -> tuple[str, float]:
    start = time.perf_counter()
    return server.send_message(token, room, body), start


def origin_ts(server: Synapse, token: str, room: str, event_id: str) -> int:
    path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room)}/event/{urllib.parse.quote(event_id)}"
    event: dict[str, Any] = server.api("GET", path, token=token)
    return int(event["origin_server_ts"])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=50, help="latency samples (max 500)")
    parser.add_argument(
        "--commands", type=int, default=1000, help="commands before measuring memory (max 5000)"
    )
    args = parser.parse_args()
    samples, commands = min(args.samples, 500), min(args.commands, 5000)
    started = time.monotonic()
    ca = trustme.CA()
    focus = {"type": "livekit", "livekit_service_url": "https://lk.good.test/livekit/jwt"}
    routes = {
        "good.test": {
            "/.well-known/matrix/client": wellknown_route(
                "https://good.test", {"org.matrix.msc4143.rtc_foci": [focus]}
            ),
            **homeserver_routes(transports="missing"),
        },
        "lk.good.test": lk_jwt_routes(),
    }
    with tempfile.TemporaryDirectory(prefix="foci-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
        web = FakeWeb(ca, names=list(routes), routes=routes).start()
        server = Synapse(tmp / "synapse").start()
        bot_proc: BotProcess | None = None
        try:
            bot = server.new_user("foci", "bot-password")
            alice = server.new_user("alice")
            rules = [f"{host}:443:127.0.0.1:{web.port}" for host in routes]
            checks = f'allow_private = true\ncacert = "{tmp / "ca.pem"}"\ncache_ttl = 3600\nconnect_to = {toml_list(rules)}\n'
            config = write_config(
                tmp / "config.toml", server, bot.user_id, "bot-password", tmp / "store",
                bot='rate_limit = 10000\n', checks=checks,
            )  # fmt: skip
            bot_proc = BotProcess(config, tmp / "bot.log")
            bot_proc.start()
            room = server.create_room(alice.access_token, preset="private_chat")
            server.invite(alice.access_token, room, bot.user_id)
            wait_until(
                lambda: bot.user_id in server.joined_members(alice.access_token, room), 60, what="join"
            )
            listener = Listener(server, alice.access_token)
            warm, _ = send(server, alice.access_token, room, "!foci good.test")  # fills the cache
            listener.wait_for({warm})

            client_ms, server_ms, version_ms = [], [], []
            for _ in range(samples):
                for body in ("!foci good.test", "!foci version"):
                    event_id, start = send(server, alice.access_token, room, body)
                    listener.wait_for({event_id})
                    arrival, reply_ts = listener.replies[event_id]
                    command_ts = origin_ts(server, alice.access_token, room, event_id)
                    if body == "!foci version":
                        version_ms.append(reply_ts - command_ts)
                        continue
                    client_ms.append((arrival - start) * 1000)
                    server_ms.append(reply_ts - command_ts)
                if time.monotonic() - started > DEADLINE_S / 2:
                    break
            assert bot_proc.proc is not None
            rss_before = rss_kib(bot_proc.proc.pid)
            pending: set[str] = set()
            for i in range(commands):
                body = "!foci good.test" if i % 2 else "!foci version"
                pending.add(send(server, alice.access_token, room, body)[0])
                if len(pending) >= 50:
                    listener.wait_for(pending, 120)
                    pending.clear()
                if time.monotonic() - started > DEADLINE_S:
                    raise TimeoutError("the benchmark ran out of time")
            listener.wait_for(pending, 120)
            rss_after = rss_kib(bot_proc.proc.pid)
        finally:
            if bot_proc is not None:
                bot_proc.stop()
            server.stop()
            web.stop()
    print(f"latency, cached server, {len(client_ms)} samples (command sent -> reply seen by the sender):")
    print(f"  median {statistics.median(client_ms):.0f} ms, p90 {sorted(client_ms)[int(len(client_ms) * 0.9)]:.0f} ms, "
          f"max {max(client_ms):.0f} ms; goal < 100 ms")  # fmt: skip
    print(f"  server timestamps (reply - command): median {statistics.median(server_ms):.0f} ms; "
          f"for `!foci version` (no check at all: sync, dispatch and send alone) "
          f"{statistics.median(version_ms):.0f} ms")  # fmt: skip
    print(
        f"memory: RSS {rss_before / 1024:.1f} MiB before, {rss_after / 1024:.1f} MiB after {commands} more commands"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
