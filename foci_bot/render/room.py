"""Room and compare reports -> a one-line summary, folded sections for chat, and JSON.

All remote text (user IDs, server names, URLs, state keys, the room's name) goes through
:func:`~foci_bot.text.quote`; no pills, display names or room mentions are ever produced. Lists
are capped with a count of what was left out, and :func:`room_sections` shrinks the caps until
the message fits well inside the 64 KiB event limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from foci_bot.render.callflow import verified
from foci_bot.render.server import Section, sections_html, sections_markdown
from foci_bot.render.size import REPORT_BUDGET, content_size
from foci_bot.room.analysis import CALL_MEMBER, OLDEST, RoomReport
from foci_bot.room.verdict import (
    CAN_SPEAK,
    LISTEN_ONLY,
    NO_OPENID,
    UNKNOWN_VERDICT,
    MemberVerdict,
    ServerGroup,
    Suggestion,
    Verdict,
)
from foci_bot.text import quote

BUDGET = REPORT_BUDGET
CAPS = (40, 15, 5, 1)
_LABEL = {
    CAN_SPEAK: "Can join and speak",
    LISTEN_ONLY: "Can listen but not speak",
    NO_OPENID: "Cannot join at all (federation OpenID unreachable)",
    "unknown": "Unknown",
}
_COUNT_TEXT: tuple[tuple[MemberVerdict, str], ...] = (
    (NO_OPENID, "can neither speak nor listen (their server's federation OpenID is unreachable)"),
    (LISTEN_ONLY, "can listen but not speak"),
    (UNKNOWN_VERDICT, "could not be judged"),
)
_HOW = (
    "add a transport, in both places clients read (current clients the endpoint, Element Web ≤ 1.12.26 "
    "the well-known): Synapse `experimental_features: {msc4143_enabled: true}` plus "
    "`matrix_rtc: {transports: [{type: livekit, livekit_service_url: …}]}`, and the well-known key "
    "`org.matrix.msc4143.rtc_foci` (Synapse: `extra_well_known_client_content`)"
)


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(verdict: Verdict, cannot_join: int | None = None) -> str:
    """E.g. "Calls work for 42 of 50 members; 8 members on 2 servers can listen but not speak"."""
    if verdict.members_total == 0:
        parts = ["No joined members to check"]
    else:
        parts = [f"Calls work for {verdict.can_speak} of {_n(verdict.members_total, 'member')}"]
    counts: dict[MemberVerdict, int] = {
        NO_OPENID: verdict.openid_unreachable,
        LISTEN_ONLY: verdict.listen_only,
        UNKNOWN_VERDICT: verdict.unknown,
    }
    for kind, text in _COUNT_TEXT:
        groups = verdict.servers(kind)
        members = counts[kind]
        if members:
            where = f" on {_n(len(groups), 'server')}" if groups else ""
            parts.append(f"{_n(members, 'member')}{where} {text}")
    if cannot_join:
        parts.append(f"{_n(cannot_join, 'member')} lack{'s' if cannot_join == 1 else ''} permission to join")
    return "; ".join(parts)


def _capped(lines: Sequence[str], cap: int, what: str = "more", indent: str = "") -> list[str]:
    shown = list(lines[:cap])
    if len(lines) > cap:
        shown.append(f"{indent}- … and {len(lines) - cap} {what} not shown")
    return shown


# Python-Markdown (what chat clients' HTML comes from) needs a blank line before a list and four
# spaces to nest one; two spaces would run the items into the paragraph above.
_NEST = "    "


def _group_line(group: ServerGroup) -> str:
    report = group.report
    line = f"- {quote(group.server)}: {_n(group.members, 'member')}"
    if report.transport_url:
        line += f", {report.transport} transport {quote(report.transport_url)}"
    else:
        line += f", transport {report.transport}"
    if verified(report.e2e):
        line += ", verified end to end"
    errors = [f"`{f.code}`" for f in report.findings if f.severity == "error"][:3]
    return line + (f" ({', '.join(errors)})" if errors else "")


def _servers(verdict: Verdict, cap: int) -> list[Section]:
    out = []
    for kind in (NO_OPENID, LISTEN_ONLY, "unknown", CAN_SPEAK):
        groups = verdict.servers(kind)
        if groups:
            members = sum(g.members for g in groups)
            title = f"{_LABEL[kind]}: {_n(len(groups), 'server')}, {_n(members, 'member')}"
            lines = _capped([_group_line(g) for g in groups], cap, "more servers")
            out.append(Section("\n".join(lines), title))
    return out


def _suggestion(s: Suggestion, cap: int) -> Section:
    if s.livekit_service_url is None:
        lines = [
            "**Suggestion:** no member's server advertises a healthy call backend, so there is none to share."
        ]
    else:
        lines = [
            f"**Suggested shared backend:** {quote(s.livekit_service_url)}, advertised by "
            f"{_n(len(s.servers_served), 'server')} with {_n(s.members_served, 'member')} "
            "(used by legacy `oldest_membership` calls and as the fallback for members whose server has none)."
        ]
        if s.restricted or s.add_transport:
            lines.append("")
        if s.restricted:
            members = sum(g.members for g in s.restricted)
            lines.append(
                f"- For {_n(members, 'member')} on {_n(len(s.restricted), 'other server')}, lk-jwt-service gives "
                "*restricted* access: they cannot create the call on it and, on current services, cannot publish. "
                "Its operator can list their servers in `LIVEKIT_FULL_ACCESS_HOMESERVERS`."
            )
            lines += _capped(
                [f"{_NEST}- {quote(g.server)} ({_n(g.members, 'member')})" for g in s.restricted],
                cap,
                indent=_NEST,
            )
    if s.add_transport:
        if s.livekit_service_url is None:
            lines.append("")
        lines.append(
            f"- These servers should {_HOW}; either their own backend, or a shared one whose operator gives them full access:"
        )
        lines += _capped(
            [f"{_NEST}- {quote(g.server)} ({_n(g.members, 'member')})" for g in s.add_transport],
            cap,
            indent=_NEST,
        )
    return Section("\n".join(lines))


def _permission(report: RoomReport, cap: int) -> list[Section]:
    p = report.permission
    source = {"events": "listed in `events`", "state_default": "from `state_default`",
              "default": "`state_default` absent, so 50", "no-power-levels": "no power levels at all"}[p.required_from]  # fmt: skip
    lines = [
        f"Joining a call needs power level {p.required} for `{CALL_MEMBER}` ({source}); room version {quote(p.room_version)}."
    ]
    if p.creators_unlimited and p.creators:
        lines.append(f"The room's {_n(len(p.creators), 'creator')} count as unlimited (room version 12).")
    for problem in p.problems:
        lines.append(f"⚠️ {problem}.")
    sections = [Section("\n\n".join(lines))]
    if p.cannot_join:
        fix = json.dumps(p.fix, ensure_ascii=False)
        head = [
            f"❌ **{_n(len(p.cannot_join), 'member')} cannot join a call.** Fix: in `m.room.power_levels` set `{fix}`.",
        ]
        sections.append(Section("\n".join(head)))
        listed = [f"- {quote(u)} (level {p.levels[u]})" for u in p.cannot_join]
        sections.append(Section("\n".join(_capped(listed, cap)), "Members without permission"))
    slot = (
        f"The room opted into the slot model (`org.matrix.msc4143.rtc.slot`: {', '.join(quote(s) for s in report.slots)})."
        if report.slots
        else "The room has not opted into the slot model (no `org.matrix.msc4143.rtc.slot`)."
    )
    sections.append(Section(slot))
    return sections


def _call(report: RoomReport, cap: int) -> list[Section]:
    call = report.call
    tail = f" ({call.expired} expired, {call.left} left)" if call.expired or call.left else ""
    if not call.active:
        sections = [Section(f"No call in progress{tail}.")]
    else:
        modes = ", ".join(f"{quote(mode, 40)}: {n}" for mode, n in sorted(call.modes.items()))
        lines = [f"**Call in progress:** {_n(len(call.active), 'membership')}{tail}; modes {modes}."]
        oldest = call.oldest
        if oldest is not None and OLDEST in call.modes and oldest.focus_url:
            lines.append(
                f"`oldest_membership`: everyone uses the oldest member's focus {quote(oldest.focus_url)}"
                f" (from {quote(oldest.user_id)}), which is {report.call_focus_health or 'unknown'}."
            )
        elif oldest is not None and OLDEST in call.modes:
            lines.append(
                f"`oldest_membership`: the oldest membership (from {quote(oldest.user_id)}) names no usable "
                "focus, so those members have no common backend."
            )
        sections = [Section("\n\n".join(lines))]
        who = [f"- {quote(m.user_id)} on {quote(m.server or '?')}: {quote(m.mode, 40)}" for m in call.active]
        sections.append(Section("\n".join(_capped(who, cap)), "Who is in the call"))
    if call.malformed:
        bad = [
            f"- {quote(m.state_key)} from {quote(m.user_id)}: {'; '.join(m.problems)}" for m in call.malformed
        ]
        sections.append(
            Section("\n".join(_capped(bad, cap)), f"Malformed call memberships: {len(call.malformed)}")
        )
    return sections


def content_bytes(sections: Sequence[Section]) -> int:
    """Size of body + formatted_body as ASCII-escaped JSON, the worst case for the event limit."""
    return content_size({"body": sections_markdown(sections), "formatted_body": sections_html(sections)})


def _fit(build: Callable[[int], list[Section]], budget: int | None) -> list[Section]:
    if budget is None:
        return build(1_000_000)
    for cap in CAPS:
        sections = build(cap)
        if content_bytes(sections) <= budget:
            return sections
    return build(0)


def room_sections(report: RoomReport, budget: int | None = BUDGET) -> list[Section]:
    """The room report: summary line first, then grouped detail, folded and capped so that it
    fits ``budget`` bytes (``None``: nothing capped, for a terminal)."""

    def build(cap: int) -> list[Section]:
        v = report.verdict
        m = report.members
        where = f"{quote(report.name)} " if report.name else ""
        intro = (
            f"Room {where}{quote(report.room_id)}: {_n(m.joined_total, 'joined member')} on "
            f"{_n(len(m.joined), 'server')}; {m.invited_total} invited (not counted)."
        )
        head = Section(f"**{summary_line(v, len(report.permission.cannot_join))}.**\n\n{intro}")
        return [
            head,
            _suggestion(v.suggestion, cap),
            *_permission(report, cap),
            *_call(report, cap),
            *_servers(v, cap),
        ]

    return _fit(build, budget)


def compare_sections(verdict: Verdict, budget: int | None = BUDGET) -> list[Section]:
    def build(cap: int) -> list[Section]:
        return [
            Section(f"**{summary_line(verdict)}.**"),
            _suggestion(verdict.suggestion, cap),
            *_servers(verdict, cap),
        ]

    return _fit(build, budget)
