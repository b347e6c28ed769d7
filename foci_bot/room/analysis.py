"""Pure room analysis: members by server, permission to join a call, calls in progress
(MSC3401 call members; element-call#3409 for the power level).

Input is a :class:`~foci_bot.room.snapshot.RoomSnapshot` (plus, for the verdict, the servers'
reports); nothing here does I/O. Everything read from events is treated as hostile: wrong types
are reported, never trusted and never allowed to crash the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from foci_bot.model import ServerReport
from foci_bot.room.calls import CALL_MEMBER, OLDEST, CallState, call_state, user_server
from foci_bot.room.snapshot import RoomSnapshot
from foci_bot.room.verdict import Verdict, verdict
from foci_bot.urls import http_url

__all__ = [
    "CALL_MEMBER",
    "OLDEST",
    "RTC_SLOT",
    "CallState",
    "RoomReport",
    "analyse_room",
    "call_state",
    "user_server",
]

RTC_SLOT = "org.matrix.msc4143.rtc.slot"
STATE_DEFAULT = 50  # spec: state_default when m.room.power_levels omits it


@dataclass(frozen=True, slots=True)
class Members:
    """Joined members grouped by server (most members first); invited members apart."""

    joined: Mapping[str, tuple[str, ...]]
    invited: Mapping[str, tuple[str, ...]]
    invalid: tuple[str, ...] = ()  # joined user IDs without a valid server name

    @property
    def joined_total(self) -> int:
        return sum(len(u) for u in self.joined.values()) + len(self.invalid)

    @property
    def invited_total(self) -> int:
        return sum(len(u) for u in self.invited.values())


def _grouped(users: Iterable[str]) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    groups: dict[str, list[str]] = {}
    invalid: list[str] = []
    for user in sorted(users):
        server = user_server(user)
        if server is None:
            invalid.append(user)
        else:
            groups.setdefault(server, []).append(user)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return {server: tuple(users) for server, users in ordered}, invalid


def members_by_server(snapshot: RoomSnapshot) -> Members:
    memberships = snapshot.memberships()
    joined, invalid = _grouped(u for u, m in memberships.items() if m == "join")
    invited, _ = _grouped(u for u, m in memberships.items() if m == "invite")
    return Members(joined, invited, tuple(invalid))


# -- power levels ---------------------------------------------------------------------------------


def _level(value: object) -> int | None:
    """A power level: an int, or (older room versions) a string of digits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,16}\s*", value):
        return int(value.strip())
    return None


def _privileged_creators(version: str) -> bool:
    """Room version 12 (and its MSC4289 preview) makes creators unlimited (MSC4289, spec room version 12)."""
    if version == "org.matrix.hydra.11":
        return True
    return version.isdigit() and int(version) >= 12


@dataclass(frozen=True, slots=True)
class Permission:
    """Who may send ``org.matrix.msc3401.call.member``, i.e. join a call in legacy/compatibility mode."""

    required: int
    required_from: str  # "events", "state_default", "default" or "no-power-levels"
    users_default: int
    room_version: str
    creators: tuple[str, ...]
    creators_unlimited: bool
    levels: Mapping[str, int | None]  # joined user -> level; None = unlimited (v12 creator)
    cannot_join: tuple[str, ...]
    fix: Mapping[str, object] | None  # the change to m.room.power_levels that lets them all join
    problems: tuple[str, ...] = ()


def permission(snapshot: RoomSnapshot, joined: Iterable[str]) -> Permission:
    """Compare each joined member's power level with the level needed for the call-member event."""
    problems: list[str] = []
    create = snapshot.get("m.room.create")
    create_content = create.content if create is not None else {}
    version = create_content.get("room_version", "1")
    version = version if isinstance(version, str) else "1"
    unlimited = _privileged_creators(version)
    creators: list[str] = [create.sender] if create is not None and create.sender else []
    extra = create_content.get("additional_creators", [])
    if unlimited and isinstance(extra, list):
        creators += [c for c in extra if isinstance(c, str) and c not in creators]
    elif unlimited:
        problems.append("`additional_creators` in m.room.create is not a list")

    event = snapshot.get("m.room.power_levels")
    content: Mapping[str, object] = event.content if event is not None else {}
    users_raw, events_raw = content.get("users", {}), content.get("events", {})
    users = users_raw if isinstance(users_raw, Mapping) else {}
    events = events_raw if isinstance(events_raw, Mapping) else {}
    if users_raw is not users or events_raw is not events:
        problems.append("`users` or `events` in m.room.power_levels is not an object")
    users_default = _level(content.get("users_default", 0))
    if users_default is None:
        problems.append("`users_default` is not a number; 0 assumed")
        users_default = 0

    listed = _level(events.get(CALL_MEMBER)) if CALL_MEMBER in events else None
    if listed is not None:
        required, source = listed, "events"
    elif event is None:
        # Spec: without any m.room.power_levels, state_default is 0 (and the creator has 100).
        required, source = 0, "no-power-levels"
    elif (state_default := _level(content.get("state_default"))) is not None:
        required, source = state_default, "state_default"
    else:
        required, source = STATE_DEFAULT, "default"
    if CALL_MEMBER in events and listed is None:
        problems.append(f"the level for `{CALL_MEMBER}` is not a number; the default applies")

    levels: dict[str, int | None] = {}
    for user in joined:
        if unlimited and user in creators:
            levels[user] = None
        elif event is None:
            levels[user] = 100 if create is not None and user == create.sender else 0
        else:
            own = _level(users.get(user)) if user in users else None
            levels[user] = own if own is not None else users_default
    blocked = tuple(u for u, lvl in levels.items() if lvl is not None and lvl < required)
    fix: dict[str, object] | None = None
    if blocked:
        lowest = min(lvl for lvl in levels.values() if lvl is not None and lvl < required)
        fix = {"events": {CALL_MEMBER: lowest}}
    return Permission(
        required, source, users_default, version, tuple(creators), unlimited, levels, blocked, fix,
        tuple(problems),
    )  # fmt: skip


def slots(snapshot: RoomSnapshot) -> tuple[str, ...]:
    """State keys of non-empty ``org.matrix.msc4143.rtc.slot`` events: the room's slot opt-in."""
    return tuple(sorted(e.state_key for e in snapshot.of_type(RTC_SLOT) if e.content))


# -- the whole room -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomReport:
    room_id: str
    name: str | None
    members: Members
    permission: Permission
    call: CallState
    call_focus_health: str | None  # health of the oldest member's focus (oldest_membership calls)
    slots: tuple[str, ...]
    verdict: Verdict


def analyse_room(
    snapshot: RoomSnapshot,
    reports: Mapping[str, ServerReport],
    focus_health: Mapping[str, str] | None = None,
    members: Members | None = None,
) -> RoomReport:
    """The whole room check. ``reports`` maps server name -> report (a stand-in when it timed out);
    ``focus_health`` adds probe results for focus URLs no member's server advertises; ``members``
    is ``members_by_server(snapshot)`` when the caller has it already (a large room's is costly)."""
    members = members if members is not None else members_by_server(snapshot)
    joined = [u for users in members.joined.values() for u in users] + list(members.invalid)
    call = call_state(snapshot)
    counts = {server: len(users) for server, users in members.joined.items()}
    result = verdict(counts, reports, unparsed=len(members.invalid))
    health: str | None = None
    oldest = call.oldest
    if oldest is not None and oldest.focus_url is not None:
        known = dict(focus_health or {})
        for report in reports.values():
            known.update({http_url(url) or url: state for url, state in report.probes.items()})
        health = known.get(oldest.focus_url, "unknown")
    return RoomReport(
        snapshot.room_id, snapshot.name, members, permission(snapshot, joined), call, health,
        slots(snapshot), result,
    )  # fmt: skip
