"""Room and compare reports as JSON (``foci-bot room --json``, ``foci-bot compare --json``).

The contract (docs/room.md): ``servers[]`` is ``check --json``'s per-server object plus
``members`` and ``verdict``; ``summary.members_total``, ``members_can_speak``,
``members_listen_only``, ``members_openid_unreachable``, ``members_unknown`` (and ``members_cannot_join`` for rooms);
``suggestion.livekit_service_url`` or null.
"""

from __future__ import annotations

from typing import Any

from foci_bot.render.room import summary_line
from foci_bot.render.server import server_json
from foci_bot.room.analysis import CALL_MEMBER, RoomReport
from foci_bot.room.verdict import CAN_SPEAK, LISTEN_ONLY, NO_OPENID, ServerGroup, Suggestion, Verdict


def _groups(groups: tuple[ServerGroup, ...]) -> list[dict[str, Any]]:
    return [{"server": g.server, "members": g.members} for g in groups]


def suggestion_json(s: Suggestion) -> dict[str, Any]:
    return {
        "livekit_service_url": s.livekit_service_url,
        "members_served": s.members_served,
        "servers_served": list(s.servers_served),
        "restricted_servers": _groups(s.restricted),
        "add_transport": _groups(s.add_transport),
        "candidates": [{"livekit_service_url": u, "members": n} for u, n in s.candidates],
    }


def _summary(v: Verdict) -> dict[str, Any]:
    return {
        "members_total": v.members_total,
        "members_can_speak": v.can_speak,
        "members_listen_only": v.listen_only,
        "members_openid_unreachable": v.openid_unreachable,
        "members_unknown": v.unknown,
        "servers_total": len(v.groups),
        "servers_can_speak": len(v.servers(CAN_SPEAK)),
        "servers_listen_only": len(v.servers(LISTEN_ONLY)),
        "servers_openid_unreachable": len(v.servers(NO_OPENID)),
        "servers_unknown": len(v.servers("unknown")),
    }


def _server(group: ServerGroup, member_ids: tuple[str, ...] | None = None) -> dict[str, Any]:
    out = server_json(group.report)
    out["members"] = group.members
    out["verdict"] = group.verdict
    if member_ids is not None:
        out["member_ids"] = list(member_ids)
    return out


def compare_json(v: Verdict) -> dict[str, Any]:
    summary = _summary(v)
    summary["line"] = summary_line(v)
    return {
        "kind": "compare",
        "summary": summary,
        "suggestion": suggestion_json(v.suggestion),
        "servers": [_server(g) for g in v.groups],
    }


def room_json(report: RoomReport) -> dict[str, Any]:
    v, p, call, m = report.verdict, report.permission, report.call, report.members
    summary = _summary(v)
    summary.update(
        members_cannot_join=len(p.cannot_join),
        members_invited=m.invited_total,
        line=summary_line(v, len(p.cannot_join)),
    )
    oldest = call.oldest
    return {
        "kind": "room",
        "room": {
            "room_id": report.room_id,
            "name": report.name,
            "room_version": p.room_version,
            "members_joined": m.joined_total,
            "members_invited": m.invited_total,
            "invited_by_server": {s: len(u) for s, u in m.invited.items()},
            "invalid_user_ids": list(m.invalid),
            "slot_opt_in": bool(report.slots),
            "slots": list(report.slots),
        },
        "summary": summary,
        "suggestion": suggestion_json(v.suggestion),
        "permissions": {
            "event_type": CALL_MEMBER,
            "required_level": p.required,
            "required_from": p.required_from,
            "users_default": p.users_default,
            "creators": list(p.creators),
            "creators_unlimited": p.creators_unlimited,
            "cannot_join": [{"user_id": u, "level": p.levels[u]} for u in p.cannot_join],
            "fix": p.fix,
            "problems": list(p.problems),
        },
        "call": {
            "active": [
                {
                    "user_id": c.user_id,
                    "server": c.server,
                    "device_id": c.device_id,
                    "state_key": c.state_key,
                    "focus_selection": c.mode,
                    "started_ms": c.started_ms,
                    "expires_at_ms": c.expires_at_ms,
                    "focus_url": c.focus_url,
                }
                for c in call.active
            ],
            "modes": call.modes,
            "expired": call.expired,
            "left": call.left,
            "other_applications": call.other_applications,
            "oldest_membership_focus": (
                {
                    "user_id": oldest.user_id,
                    "livekit_service_url": oldest.focus_url,
                    "health": report.call_focus_health,
                }
                if oldest is not None
                else None
            ),
            "malformed": [
                {"user_id": b.user_id, "state_key": b.state_key, "problems": list(b.problems)}
                for b in call.malformed
            ],
        },
        "servers": [_server(g, m.joined.get(g.server, ())) for g in v.groups],
    }
