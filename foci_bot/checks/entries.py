"""How each client reads a list of transports, over the raw JSON exactly as served.

Three readers exist in the field, and they disagree on odd entries:
- matrix-js-sdk `isLivekitTransportConfig` (`src/matrixrtc/LivekitTransport.ts`), applied with
  `Array.find` by Element Call ≥ 0.24 (`RtcTransportAutoDiscovery.tryBackendTransports`):
  `type === "livekit"` and the key `livekit_service_url` present, any value. A `null` entry
  before the first match throws, and Element Call drops the whole list.
- ruma (`ruma-client-api` `rtc/transports.rs`, `discover_homeserver.rs`), used by Element X: every
  entry must deserialize, so one entry that is not an object with a string `type`, or a `livekit`
  entry without a string `livekit_service_url`, fails the whole list (inference from the serde
  definitions; with it the whole well-known).
- Element Call 0.19.1-0.23: entry `[0]` with no type check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from foci_bot.urls import has_credentials, without_credentials

PickKind = Literal["url", "none", "throws", "not-a-string"]


@dataclass(frozen=True, slots=True)
class Pick:
    kind: PickKind
    url: str | None = None
    index: int | None = None
    why: str = ""

    def __post_init__(self) -> None:
        # A password in a URL is never kept: every later use (clients, JSON, probes) sees ***@.
        if self.url is not None and has_credentials(self.url):
            object.__setattr__(self, "url", without_credentials(self.url))


def js_find(entries: Sequence[object]) -> Pick:
    """`entries.find(isLivekitTransportConfig)`, including its TypeError on `null`."""
    for index, entry in enumerate(entries):
        if entry is None:
            return Pick(
                "throws", index=index, why=f"entry [{index}] is `null`, so `isLivekitTransportConfig` throws"
            )
        if isinstance(entry, dict) and entry.get("type") == "livekit" and "livekit_service_url" in entry:
            url = entry["livekit_service_url"]
            if isinstance(url, str):
                return Pick("url", url, index)
            return Pick(
                "not-a-string", index=index, why=f"entry [{index}] has a non-string `livekit_service_url`"
            )
    return Pick("none", why="no entry has `type: livekit` and a `livekit_service_url`")


def ruma_first(entries: Sequence[object]) -> Pick:
    """ruma's whole-list deserialization, then the first `livekit` transport."""
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            return Pick("throws", index=index, why=f"entry [{index}] is not an object with a string `type`")
        if entry["type"] == "livekit" and not isinstance(entry.get("livekit_service_url"), str):
            return Pick(
                "throws",
                index=index,
                why=f"entry [{index}] is `livekit` without a string `livekit_service_url`",
            )
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("type") == "livekit":
            return Pick("url", str(entry["livekit_service_url"]), index)
    return Pick("none", why="no `livekit` entry")


def legacy_first(entries: Sequence[object]) -> Pick:
    """Element Call 0.19.1-0.23: `[0].livekit_service_url`, whatever `[0]` is."""
    if not entries:
        return Pick("none", why="the list is empty")
    first = entries[0]
    if not isinstance(first, dict):
        return Pick("throws", index=0, why="entry [0] is not an object")
    url = first.get("livekit_service_url")
    if isinstance(url, str):
        return Pick("url", url, 0)
    if url is None:
        return Pick("none", index=0, why="entry [0] has no `livekit_service_url`")
    return Pick("not-a-string", index=0, why="entry [0] has a non-string `livekit_service_url`")
