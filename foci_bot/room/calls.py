"""Call memberships in a room's state (MSC3401, MSC4143; matrix-js-sdk ``src/matrixrtc/CallMembership.ts``): who is in a call, in which mode, on which focus.

Legacy and compatibility modes keep membership in ``org.matrix.msc3401.call.member`` state events.
Contents are read defensively: wrong types and missing fields are reported per membership and
never stop the check.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from foci_bot.room.snapshot import RoomSnapshot, StateEvent
from foci_bot.servername import TargetError, parse_server_name, split_sigil_id
from foci_bot.urls import http_url

CALL_MEMBER = "org.matrix.msc3401.call.member"
DEFAULT_EXPIRES_MS = 4 * 3600 * 1000  # matrix-js-sdk CallMembership: expires defaults to 4 h
OLDEST, MULTI = "oldest_membership", "multi_sfu"


def user_server(user_id: str) -> str | None:
    """The server name of a user ID (split at the *first* colon), normalised; None if invalid."""
    if not user_id.startswith("@"):
        return None
    _local, server = split_sigil_id(user_id)
    if server is None:
        return None
    return _normal_server(server)


@functools.lru_cache(maxsize=4096)
def _normal_server(text: str) -> str | None:
    """Memoised: a large room has thousands of members on a few hundred servers."""
    try:
        return str(parse_server_name(text))
    except TargetError:
        return None


@dataclass(frozen=True, slots=True)
class CallMembership:
    user_id: str
    server: str | None
    device_id: str | None
    state_key: str
    mode: str  # focus_active.focus_selection, or "unknown"
    started_ms: int  # created_ts, else origin_server_ts
    expires_at_ms: int
    focus_url: str | None  # foci_preferred[0].livekit_service_url when it is a livekit focus


@dataclass(frozen=True, slots=True)
class Malformed:
    user_id: str
    state_key: str
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CallState:
    active: tuple[CallMembership, ...]  # oldest first
    expired: int
    left: int
    other_applications: int
    malformed: tuple[Malformed, ...]

    @property
    def modes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.active:
            out[m.mode] = out.get(m.mode, 0) + 1
        return out

    @property
    def oldest(self) -> CallMembership | None:
        return self.active[0] if self.active else None


def _int_field(content: Mapping[str, object], key: str, problems: list[str]) -> int | None:
    value = content.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"`{key}` is not an integer")
        return None
    return value


def _membership(event: StateEvent, item: Mapping[str, object], now_ms: int,
                problems: list[str]) -> tuple[str, CallMembership | None]:  # fmt: skip
    """Classify one membership content: ("active"|"expired"|"other", membership)."""
    application = item.get("application")
    if application is None:
        problems.append("`application` is missing")
    elif application != "m.call":
        if not isinstance(application, str):
            problems.append("`application` is not a string")
        return "other", None
    created = _int_field(item, "created_ts", problems)
    started = created if created is not None else event.origin_server_ts
    expires = _int_field(item, "expires", problems)
    expires_at = started + (expires if expires is not None else DEFAULT_EXPIRES_MS)
    if (absolute := _int_field(item, "expires_ts", problems)) is not None:
        expires_at = absolute  # the 2024 list format carried an absolute expiry
    device = item.get("device_id")
    if device is not None and not isinstance(device, str):
        problems.append("`device_id` is not a string")
    active = item.get("focus_active")
    mode = "unknown"
    if not isinstance(active, Mapping):
        problems.append("`focus_active` is missing or not an object")
    elif isinstance(active.get("focus_selection"), str):
        mode = str(active["focus_selection"])
    else:
        problems.append("`focus_active.focus_selection` is missing or not a string")
    preferred = item.get("foci_preferred")
    focus_url: str | None = None
    if not isinstance(preferred, list):
        problems.append("`foci_preferred` is missing or not a list")
    elif preferred and isinstance(preferred[0], Mapping) and preferred[0].get("type") == "livekit":
        focus_url = http_url(preferred[0].get("livekit_service_url"))
        if focus_url is None:
            problems.append("`foci_preferred[0]` has no valid `livekit_service_url`")
    elif preferred:
        problems.append("`foci_preferred[0]` is not a `livekit` focus")
    membership = CallMembership(
        event.sender, user_server(event.sender), device if isinstance(device, str) else None,
        event.state_key, mode, started, expires_at, focus_url,
    )  # fmt: skip
    return ("active" if expires_at > now_ms else "expired"), membership


def call_state(snapshot: RoomSnapshot) -> CallState:
    """Current call memberships: neither left (``{}``) nor expired; malformed ones reported."""
    active: list[CallMembership] = []
    expired = left = other = 0
    malformed: list[Malformed] = []
    for event in snapshot.of_type(CALL_MEMBER):
        problems: list[str] = []
        content: object = event.content
        if not isinstance(content, Mapping):
            malformed.append(Malformed(event.sender, event.state_key, ("content is not an object",)))
            continue
        if not content or content.get("memberships") == []:
            left += 1
            continue
        items: list[object] = [content]
        if "memberships" in content and "application" not in content:
            raw = content["memberships"]
            items = raw if isinstance(raw, list) else []
            if not isinstance(raw, list):
                problems.append("`memberships` is not a list")
        for item in items:
            if not isinstance(item, Mapping):
                problems.append("a membership is not an object")
                continue
            kind, membership = _membership(event, item, snapshot.now_ms, problems)
            if kind == "other":
                other += 1
            elif kind == "expired":
                expired += 1
            elif membership is not None:
                active.append(membership)
        if problems:
            malformed.append(Malformed(event.sender, event.state_key, tuple(dict.fromkeys(problems))))
    active.sort(key=lambda m: (m.started_ms, m.user_id, m.state_key))
    return CallState(tuple(active), expired, left, other, tuple(malformed))
