"""Test helpers for driving the bot: run it as a real subprocess, write its config, read its
answers over the client API, and a matrix-nio client for encrypted rooms.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.support.synapse_harness import Synapse, wait_until

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent.parent


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def write_config(
    path: Path, server: Synapse, bot_id: str, password: str, store: Path, *, bot: str = "", checks: str = ""
) -> Path:
    path.write_text(
        f"""[matrix]
homeserver = "{server.client_url}"
user_id = "{bot_id}"
password = "{password}"
device_name = "foci-bot test"
store_dir = "{store}"

[bot]
{bot}

[checks]
{checks}
"""
    )
    return path


@dataclass
class BotProcess:
    """``python -m foci_bot run --config ...`` as a subprocess we started (stopped by its PID)."""

    config: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self, wait_ready: bool = True) -> BotProcess:
        self.starts += 1
        with open(self.log, "ab") as log:
            log.write(f"--- start {self.starts} ---\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "foci_bot", "run", "--config", str(self.config)],
                cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        if wait_ready:
            marker = f"--- start {self.starts} ---"
            wait_until(
                lambda: self._alive() and "first sync done" in self.text().split(marker, 1)[-1],
                30, what=f"the bot to sync\n{self.text()[-3000:]}",
            )  # fmt: skip
        return self

    def _alive(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"the bot exited early:\n{self.text()[-3000:]}")
        return True

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM our bot and wait for it; its exit status."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def room_with_bot(server: Synapse, token: str, bot_id: str, **create: Any) -> str:
    """A new room of the token's user with the bot invited; returns once the bot has joined."""
    room_id = server.create_room(token, **create)
    server.invite(token, room_id, bot_id)
    wait_until(lambda: bot_id in server.joined_members(token, room_id), 20, what="the bot to join")
    return room_id


def room_events(server: Synapse, token: str, room_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Every event of the room's latest ``limit``, oldest first."""
    path = f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id, safe='')}/messages?dir=b&limit={limit}"
    chunk: list[dict[str, Any]] = server.api("GET", path, token=token)["chunk"]
    return list(reversed(chunk))


def replies_to(events: list[dict[str, Any]], event_id: str, sender: str) -> list[dict[str, Any]]:
    """``sender``'s m.room.message events replying to ``event_id``."""
    out = []
    for e in events:
        relation = e.get("content", {}).get("m.relates_to", {})
        if (
            e["sender"] == sender
            and e["type"] == "m.room.message"
            and relation.get("m.in_reply_to", {}).get("event_id") == event_id
        ):
            out.append(e)
    return out


def final_content(events: list[dict[str, Any]], reply: dict[str, Any]) -> dict[str, Any]:
    """The reply's content with its latest edit applied."""
    content: dict[str, Any] = reply["content"]
    for e in events:
        relation = e.get("content", {}).get("m.relates_to", {})
        if relation.get("rel_type") == "m.replace" and relation.get("event_id") == reply["event_id"]:
            content = e["content"]["m.new_content"]
    return content


def answer(
    server: Synapse, token: str, room_id: str, event_id: str, bot_id: str, timeout: float = 20
) -> dict[str, Any]:
    """Wait for the bot's one final answer to a command; its content (edits applied)."""

    def ready() -> dict[str, Any] | None:
        events = room_events(server, token, room_id)
        found = replies_to(events, event_id, bot_id)
        if not found:
            return None
        content = final_content(events, found[0])
        return None if content["body"].startswith("Checking ") else content

    return wait_until(ready, timeout, what=f"the bot's answer to {event_id}")


async def async_wait(
    predicate: Callable[[], T | Awaitable[T]], within: float = 20, what: str = "condition"
) -> T:
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class NioUser:
    """A second real client (matrix-nio with encryption) for encrypted rooms and DMs."""

    homeserver: str
    user_id: str
    access_token: str
    store: Path
    events: list[tuple[str, Any]] = field(default_factory=list)

    async def start(self) -> NioUser:
        import nio

        self.store.mkdir(parents=True, exist_ok=True)
        config = nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        self.client = nio.AsyncClient(
            self.homeserver, self.user_id, store_path=str(self.store), config=config
        )
        self.client.access_token = self.access_token
        whoami = await self.client.whoami()
        self.client.restore_login(self.user_id, whoami.device_id, self.access_token)
        self.client.add_event_callback(self._on_event, nio.Event)
        await self.client.sync(timeout=0)
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self._task = asyncio.create_task(self.client.sync_forever(timeout=1000))
        return self

    async def _on_event(self, room: Any, event: Any) -> None:
        self.events.append((room.room_id, event))

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.client.close()

    async def send(self, room_id: str, body: str) -> str:
        import nio

        await async_wait(lambda: room_id in self.client.rooms, what="the room in our client")
        content = {"msgtype": "m.text", "body": body}
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, nio.RoomSendResponse), response
        return str(response.event_id)

    async def reply_from(self, room_id: str, event_id: str, sender: str, within: float = 20) -> Any:
        """The first event from ``sender`` in the room replying to ``event_id`` (decrypted)."""

        def find() -> Any:
            for room, event in self.events:
                content = event.source.get("content", {})
                relation = content.get("m.relates_to", {}) if isinstance(content, dict) else {}
                if (
                    room == room_id
                    and event.sender == sender
                    and relation.get("m.in_reply_to", {}).get("event_id") == event_id
                ):
                    return event
            return None

        return await async_wait(find, within, what=f"a reply to {event_id}")
