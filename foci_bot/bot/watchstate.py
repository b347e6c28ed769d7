"""Watch decisions, pure: what a check showed, whether it changed, when to announce.

A watched target's verdict is boiled down to a :class:`Summary`; two summaries are the *same*
when their :meth:`Summary.key` is equal (status, the error/warning codes, and for a room how many
members are left unable to speak or join). A change is announced only after a second check
``confirm_after`` seconds later shows the same thing (:func:`step`), so one lost packet pages no
one. Every confirmed change gets an ID derived from the room, the target and the change's number
(:func:`change_id`): the alert's transaction ID comes from it, so a resend after a crash or an
outage is deduplicated by the homeserver (spec: "Transaction identifiers").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from foci_bot.model import Finding, ServerReport, Status
from foci_bot.render.callflow import verified
from foci_bot.render.server import users_line
from foci_bot.room.analysis import RoomReport

ROOM = "room"  # the target word for "this room's call readiness"
StepKind = Literal["first", "steady", "pending", "confirmed"]


@dataclass(frozen=True, slots=True)
class RoomCounts:
    """How many of the room's joined members (the bot left out) can do what."""

    members: int
    can_speak: int  # their own server hands out a LiveKit token that works
    can_join: int  # the power levels let them send the call membership state event
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    """What one check of a watched target showed, small enough to store and compare."""

    status: Status
    users: str  # one sentence: what users now see
    problems: tuple[Finding, ...] = ()  # the error and warning findings
    transport: str = "none"
    room: RoomCounts | None = None
    # The call token flow end to end (our own server only): True/False, None when not tried.
    verified: bool | None = None

    def key(self) -> tuple[object, ...]:
        """What a change is: the status, the codes, and for a room who is left out."""
        codes = tuple(sorted({(p.code, p.severity) for p in self.problems}))
        if self.room is None:
            return (self.status, codes)
        r = self.room
        return (r.members - r.can_speak, r.members - r.can_join)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> Summary:
        data: dict[str, Any] = json.loads(text)
        room = data.get("room")
        return Summary(
            status=data["status"],
            users=data["users"],
            problems=tuple(Finding(**p) for p in data.get("problems", [])),
            transport=data.get("transport", "none"),
            room=RoomCounts(**room) if room else None,
            verified=data.get("verified"),
        )


def _problems(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity in ("error", "warning"))


def server_summary(report: ServerReport) -> Summary:
    return Summary(
        status=report.status,
        users=users_line(report),
        problems=_problems(report.findings),
        transport=report.transport,
        verified=verified(report.e2e) if report.e2e is not None else None,
    )


def room_summary(report: RoomReport) -> Summary:
    v = report.verdict
    members = v.members_total
    can_join = members - len(report.permission.cannot_join)
    counts = RoomCounts(members=members, can_speak=v.can_speak, can_join=can_join, unknown=v.unknown)
    left_out = max(members - v.can_speak, members - can_join)
    status: Status = "ok" if left_out == 0 else ("error" if v.can_speak == 0 or can_join == 0 else "warning")
    users = (
        f"{v.can_speak} of {members} members can speak (their server hands out a call token), "
        f"{can_join} of {members} may join a call."
    )
    return Summary(status=status, users=users, room=counts)


@dataclass(frozen=True, slots=True)
class Change:
    """A confirmed change of one watched target, with everything its alert says."""

    change_id: str
    target: str
    old: Summary
    new: Summary
    at_ms: int  # when the change was first seen

    @property
    def appeared(self) -> tuple[Finding, ...]:
        before = {(p.code, p.severity) for p in self.old.problems}
        return tuple(p for p in self.new.problems if (p.code, p.severity) not in before)

    @property
    def resolved(self) -> tuple[Finding, ...]:
        after = {(p.code, p.severity) for p in self.new.problems}
        return tuple(p for p in self.old.problems if (p.code, p.severity) not in after)

    @property
    def recovered(self) -> bool:
        return self.new.status == "ok" and self.old.status != "ok"

    def to_json(self) -> str:
        return json.dumps(
            {
                "change_id": self.change_id,
                "target": self.target,
                "old": json.loads(self.old.to_json()),
                "new": json.loads(self.new.to_json()),
                "at_ms": self.at_ms,
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    @staticmethod
    def from_json(text: str) -> Change:
        data: dict[str, Any] = json.loads(text)
        return Change(
            change_id=data["change_id"],
            target=data["target"],
            old=Summary.from_json(json.dumps(data["old"])),
            new=Summary.from_json(json.dumps(data["new"])),
            at_ms=data["at_ms"],
        )


@dataclass(frozen=True, slots=True)
class WatchState:
    """One room's view of one target: the announced verdict, and a change waiting for confirmation."""

    baseline: Summary | None = None
    since_ms: int = 0  # when the baseline verdict was first seen
    pending: Summary | None = None
    pending_since_ms: int = 0
    seq: int = 0  # changes confirmed so far


@dataclass(frozen=True, slots=True)
class Step:
    state: WatchState
    kind: StepKind
    change: Change | None = None
    recheck_at_ms: int | None = None  # when a pending change is to be checked again


def change_id(room_id: str, target: str, seq: int, new: Summary) -> str:
    """The same ID every time the same change of the same watch is confirmed."""
    material = json.dumps([room_id, target, seq, repr(new.key())])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def step(
    state: WatchState, new: Summary, now_ms: int, confirm_after_ms: int, *, room_id: str, target: str
) -> Step:
    """The next state of one watch after a check showed ``new`` at ``now_ms``."""
    baseline = state.baseline
    if baseline is None:
        return Step(WatchState(baseline=new, since_ms=now_ms, seq=state.seq), "first")
    if new.key() == baseline.key():
        # The same verdict (a flap is over, or nothing happened): keep the details current.
        return Step(replace(state, baseline=new, pending=None, pending_since_ms=0), "steady")
    if state.pending is None or state.pending.key() != new.key():
        state = replace(state, pending=new, pending_since_ms=now_ms)
    due = state.pending_since_ms + confirm_after_ms
    if now_ms < due:
        return Step(state, "pending", recheck_at_ms=due)
    seq = state.seq + 1
    change = Change(
        change_id=change_id(room_id, target, seq, new),
        target=target,
        old=baseline,
        new=new,
        at_ms=state.pending_since_ms,
    )
    confirmed = WatchState(baseline=new, since_ms=state.pending_since_ms, seq=seq)
    return Step(confirmed, "confirmed", change)


def send_at_ms(first_waiting_ms: int, last_sent_ms: int | None, gap_ms: int, gather_ms: int) -> int:
    """When a room's waiting alerts go out (all together, as one digest when there are several):
    a short gather after the first one, and never sooner than ``gap_ms`` after the last message."""
    after_gap = (last_sent_ms + gap_ms) if last_sent_ms is not None else 0
    return max(first_waiting_ms + gather_ms, after_gap)


def batch_id(change_ids: list[str]) -> str:
    """One alert message's ID, from the changes it announces (its transaction ID comes from it)."""
    return hashlib.sha256("\n".join(sorted(change_ids)).encode()).hexdigest()[:32]
