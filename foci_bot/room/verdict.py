"""Who can speak in a multi-SFU call, and which shared backend to suggest (Element Call
``docs/matrix_rtc_modes.md``; lk-jwt-service PR #222).

Pure: member counts per server plus each server's :class:`ServerReport` in, a :class:`Verdict`
out. Used by the room check (members from the room) and by ``compare`` (counts typed in).

Counting rules (docs/room.md):

- ``can_speak``: members whose *own* server's transport is ``working`` (multi-SFU: everyone
  publishes through their own server's focus: Element Call ``docs/matrix_rtc_modes.md``).
- ``listen_only``: members whose server's transport is ``none`` or ``broken``
  (lk-jwt-service#238: they can subscribe to others but cannot publish).
- ``unknown``: members whose server's transport cannot be judged (``unknown``: hidden behind the
  authenticated endpoint with nothing usable elsewhere; or the check was cut short by a deadline
  without finding a working transport),
  and members whose user ID has no valid server name.
- ``openid_unreachable``: members whose server's federation ``openid/userinfo`` cannot be reached.
  lk-jwt-service verifies every caller's OpenID token there (element-call#3713, tuwunel#240), so
  they get no token at all: they can neither speak nor listen, whatever transport they have.

Every member is in exactly one bucket:
``total == can_speak + listen_only + openid_unreachable + unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from foci_bot.catalogue import finding
from foci_bot.model import KEY_MSC4143, TRANSPORTS_UNSTABLE, UNKNOWN, ServerReport
from foci_bot.urls import http_url

#: What a member can do in a multi-SFU call, judged from their own server.
MemberVerdict = Literal["can-speak", "listen-only", "openid-unreachable", "unknown"]
CAN_SPEAK: MemberVerdict = "can-speak"
LISTEN_ONLY: MemberVerdict = "listen-only"
NO_OPENID: MemberVerdict = "openid-unreachable"
UNKNOWN_VERDICT: MemberVerdict = "unknown"
# Only sources some current client reads (MSC4143; matrix-js-sdk, matrix-rust-sdk): the endpoint,
# then the msc4143 key.
# `m.rtc_foci` (Element X only) and the MSC4158 key (no client) don't make a focus serve a server.
_SOURCE_ORDER = (TRANSPORTS_UNSTABLE, KEY_MSC4143)


@dataclass(frozen=True, slots=True)
class ServerGroup:
    server: str
    members: int
    verdict: MemberVerdict
    report: ServerReport


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The healthy focus serving most members, and what choosing it means for everyone else."""

    livekit_service_url: str | None
    members_served: int = 0
    servers_served: tuple[str, ...] = ()
    restricted: tuple[ServerGroup, ...] = ()  # members' servers not advertising it
    add_transport: tuple[ServerGroup, ...] = ()  # servers whose members cannot publish
    candidates: tuple[tuple[str, int], ...] = ()  # every healthy focus and its member weight


@dataclass(frozen=True, slots=True)
class Verdict:
    groups: tuple[ServerGroup, ...]  # most members first
    members_total: int
    can_speak: int
    listen_only: int
    unknown: int
    suggestion: Suggestion
    openid_unreachable: int = 0  # members who get no call token at all (see NO_OPENID)

    def servers(self, kind: MemberVerdict) -> tuple[ServerGroup, ...]:
        return tuple(g for g in self.groups if g.verdict == kind)


def timed_out(server: str, seconds: float) -> ServerReport:
    """A stand-in report for a server whose check did not finish before the whole report's deadline."""
    return ServerReport(
        server=server,
        status="error",
        findings=(
            finding(
                "check-deadline",
                f"No answer within the room check's deadline ({seconds:g} s); counted as unknown.",
            ),
        ),
        foci=(),
        clients=(),
        wellknown_outcome=UNKNOWN,
        base_url=None,
        transports_state="not-checked",
        probes={},
        transport=UNKNOWN,
        transport_url=None,
        facts={"room_deadline_hit": True},
    )


def deadline_hit(report: ServerReport) -> bool:
    return any(f.code == "check-deadline" for f in report.findings)


def server_verdict(report: ServerReport) -> MemberVerdict:
    """can-speak, listen-only, openid-unreachable or unknown. A check cut short by a deadline
    proves nothing missing."""
    if report.federation is not None and report.federation.openid == "unreachable":
        return NO_OPENID
    if report.transport == "working":
        return CAN_SPEAK
    if report.transport in ("none", "broken") and not deadline_hit(report):
        return LISTEN_ONLY
    return UNKNOWN_VERDICT


def preference(report: ServerReport) -> list[str]:
    """The server's healthy focus URLs (normalised), in the order its clients would prefer them."""
    ordered: list[str] = []
    if report.transport == "working" and report.transport_url:
        ordered.append(http_url(report.transport_url) or "")
    rank = {source: i for i, source in enumerate(_SOURCE_ORDER)}
    read = [f for f in report.foci if f.source in rank]
    for focus in sorted(read, key=lambda f: (rank[f.source], f.index)):
        url = http_url(focus.livekit_service_url) if focus.usable else None
        # Probes are keyed by the URL exactly as advertised (clients concatenate routes to it).
        if url and report.probes.get(focus.livekit_service_url or "") == "healthy":
            ordered.append(url)
    return [u for u in dict.fromkeys(ordered) if u]


def suggest(groups: tuple[ServerGroup, ...]) -> Suggestion:
    """Weight each healthy focus by the members of the servers advertising it; ties go to the focus
    the servers rank higher (member-weighted position in their preference lists), then by URL."""
    weight: dict[str, int] = {}
    rank_sum: dict[str, int] = {}
    advertisers: dict[str, list[str]] = {}
    for group in groups:
        for position, url in enumerate(preference(group.report)):
            weight[url] = weight.get(url, 0) + group.members
            rank_sum[url] = rank_sum.get(url, 0) + position * max(group.members, 1)
            advertisers.setdefault(url, []).append(group.server)
    ranked = sorted(weight, key=lambda u: (-weight[u], rank_sum[u], u))
    listen_only = tuple(g for g in groups if g.verdict == LISTEN_ONLY)
    if not ranked:
        return Suggestion(None, add_transport=listen_only)
    best = ranked[0]
    served = tuple(advertisers[best])
    return Suggestion(
        livekit_service_url=best,
        members_served=weight[best],
        servers_served=served,
        restricted=tuple(g for g in groups if g.server not in served),
        add_transport=listen_only,
        candidates=tuple((u, weight[u]) for u in ranked),
    )


def verdict(counts: Mapping[str, int], reports: Mapping[str, ServerReport], unparsed: int = 0) -> Verdict:
    """The multi-SFU verdict over servers with ``counts[server]`` members each.

    A server missing from ``reports`` is treated as not checked in time.
    """
    groups = []
    for server, members in counts.items():
        report = reports.get(server) or timed_out(server, 0)
        groups.append(ServerGroup(server, members, server_verdict(report), report))
    groups.sort(key=lambda g: (-g.members, g.server))
    ordered = tuple(groups)
    total = sum(g.members for g in ordered) + unparsed
    speak = sum(g.members for g in ordered if g.verdict == CAN_SPEAK)
    listen = sum(g.members for g in ordered if g.verdict == LISTEN_ONLY)
    no_openid = sum(g.members for g in ordered if g.verdict == NO_OPENID)
    return Verdict(
        ordered, total, speak, listen, total - speak - listen - no_openid, suggest(ordered), no_openid
    )
