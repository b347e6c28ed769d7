"""Observations of one server -> its report: findings, foci, client verdicts and status."""

from __future__ import annotations

from foci_bot.catalogue import finding
from foci_bot.checks import livekit
from foci_bot.checks.clients import decide_clients
from foci_bot.checks.e2e import e2e_findings
from foci_bot.checks.facts import facts
from foci_bot.checks.federation import federation_findings
from foci_bot.checks.fetchfail import describe
from foci_bot.checks.foci import wellknown_foci
from foci_bot.checks.transports import LISTED, judge_transports
from foci_bot.checks.wellknown import OK, judge_versions, read_wellknown
from foci_bot.model import (
    CLIENT_LABELS,
    UNKNOWN,
    ClientVerdict,
    FetchError,
    Finding,
    Focus,
    Observations,
    ServerReport,
    worst,
)
from foci_bot.text import quote
from foci_bot.urls import http_url

WORKING, BROKEN, NONE = "working", "broken", "none"


def analyse(obs: Observations) -> ServerReport:
    """The whole pure analysis of one server."""
    findings: list[Finding] = []
    wk = read_wellknown(obs.wellknown)
    findings.extend(wk.findings)
    outcome = wk.outcome
    if obs.base_url_assumed:
        findings.append(finding("base-url-assumed", f"No usable base_url; assumed `https://{obs.server}`."))
    if wk.base_url is not None and obs.versions is not None:
        versions = judge_versions(wk.base_url, obs.versions)
        findings.extend(versions.findings)
        if not versions.ok:
            outcome = "FAIL_ERROR"
    elif outcome == OK:
        outcome = "FAIL_ERROR"
    findings.extend(_other_host(obs, wk.content is not None))

    by_key, key_findings = wellknown_foci(wk.content)
    findings.extend(key_findings)
    keys = frozenset(k for k in by_key) | frozenset(k for k in (wk.content or {}) if k in by_key)
    transports = judge_transports(obs.transports_unstable, obs.transports_v1, obs.transports_authenticated)
    findings.extend(transports.findings)
    foci: list[Focus] = [f for key_foci in by_key.values() for f in key_foci]
    foci.extend(transports.foci)
    if transports.state == LISTED and by_key.get("org.matrix.msc4143.rtc_foci"):
        listed = {f.livekit_service_url for f in transports.foci if f.usable}
        known = {f.livekit_service_url for f in by_key["org.matrix.msc4143.rtc_foci"] if f.usable}
        if listed != known:
            findings.append(
                finding(
                    "transports-differ",
                    "The transports endpoint and `org.matrix.msc4143.rtc_foci` list different URLs.",
                )
            )

    clients = decide_clients(transports, by_key, keys, wk.cors)
    health: dict[str, str] = {}
    used = {http_url(v.url) for v in clients if v.url not in (None, UNKNOWN)}
    for url, probe in obs.probes.items():
        state, probe_findings = livekit.judge_probe(probe)
        health[url] = state
        for item in probe_findings:
            if url not in used and item.severity == "error":
                item = Finding(item.code, "warning", item.message + " (not used by any client)", item.hint)
            findings.append(item)
    client_findings = _client_findings(clients, health)
    transport, transport_url = _effective(clients, health, by_key)
    if _unreachable(obs):
        # Nothing answered at all: say so, rather than claim the server has no call backend.
        client_findings = [f for f in client_findings if f.code != "no-rtc-transport"]
        client_findings.append(
            finding("server-unreachable", f"Nothing at `{obs.server}` answered: {describe(obs.wellknown)}.")
        )
        transport, transport_url = UNKNOWN, None
    findings.extend(client_findings)
    findings.extend(federation_findings(str(obs.server), obs.federation))
    findings.extend(e2e_findings(obs.e2e))
    if obs.deadline_hit:
        findings.append(
            finding("check-deadline", "The checks did not finish before the deadline; results are partial.")
        )
    unique = _dedupe(findings)
    return ServerReport(
        server=str(obs.server),
        status=worst(unique),
        findings=tuple(unique),
        foci=tuple(foci),
        clients=tuple(clients),
        wellknown_outcome=outcome,
        base_url=wk.base_url,
        transports_state=transports.state,
        probes=health,
        transport=transport,
        transport_url=transport_url,
        facts=facts(obs),
        federation=obs.federation,
        e2e=obs.e2e,
    )


_NO_ANSWER = (FetchError.DNS, FetchError.CONNECT, FetchError.TIMEOUT, FetchError.PROTOCOL, FetchError.BLOCKED)


def _unreachable(obs: Observations) -> bool:
    """Neither the well-known nor the client API gave any HTTP answer (TLS failures are answers)."""
    endpoint = obs.transports_unstable
    return obs.wellknown.error in _NO_ANSWER and (endpoint is None or endpoint.error in _NO_ANSWER)


def _other_host(obs: Observations, have_wellknown: bool) -> list[Finding]:
    other = obs.other_host_wellknown
    if have_wellknown or other is None or other.status != 200 or other.error is not None:
        return []
    probe = read_wellknown(other)
    if probe.content is None:
        return []
    return [
        finding(
            "wellknown-on-other-host",
            f"{quote(other.url)} serves a client well-known, but `https://{obs.server.host_for_url}/` does not.",
        )
    ]


def _client_findings(clients: list[ClientVerdict], health: dict[str, str]) -> list[Finding]:
    out: list[Finding] = []
    answers = {v.client: v.url for v in clients}
    if all(url is None for url in answers.values()):
        return [finding("no-rtc-transport", "No client family finds a call backend for this server.")]
    current = [c for c in ("element-call", "element-web", "element-x") if answers[c] is None]
    if current:
        names = ", ".join(CLIENT_LABELS[c] for c in current)
        out.append(finding("some-clients-no-transport", f"No call backend for: {names}."))
    if answers["element-call-legacy"] is None and len(current) < 3:
        out.append(finding("legacy-client-no-transport", "Element Call ≤ 0.23 finds no call backend."))
    if any(url == UNKNOWN for url in answers.values()):
        out.append(
            finding(
                "transport-needs-auth",
                "What current clients use depends on the authenticated transports endpoint.",
            )
        )
    broken = sorted(
        {
            str(url)
            for url in answers.values()
            if url not in (None, UNKNOWN)
            and health.get(http_url(url) or "", livekit.BROKEN) != livekit.HEALTHY
        }
    )
    for url in broken:
        users = ", ".join(CLIENT_LABELS[c] for c, u in answers.items() if u == url)
        out.append(finding("focus-in-use-broken", f"{quote(url)} is used by {users} but is not healthy."))
    return out


def _effective(
    clients: list[ClientVerdict], health: dict[str, str], by_key: dict[str, list[Focus]]
) -> tuple[str, str | None]:
    """Whether members of this server can publish in a call today (multi-SFU, domain.md §4).

    Current clients mostly run Element Call embedded, so the hosts' answers come first.
    """
    order = ("element-web", "element-x", "element-call")
    answers = [v.url for c in order for v in clients if v.client == c]
    urls = [u for u in answers if u is not None and u != UNKNOWN]
    for used in urls:
        if health.get(http_url(used) or "") == livekit.HEALTHY:
            return WORKING, used
    if UNKNOWN in answers:
        # The endpoint hides its list; the well-known focus is the best evidence of what it says.
        published = [f.livekit_service_url for f in by_key.get("org.matrix.msc4143.rtc_foci", []) if f.usable]
        for url in published:
            if url and health.get(http_url(url) or "") == livekit.HEALTHY:
                return WORKING, url
        return (BROKEN, published[0]) if published else (UNKNOWN, None)
    if urls:
        return BROKEN, urls[0]
    return NONE, None


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for item in findings:
        key = (item.code, item.message)
        if key not in seen:
            seen.add(key)
            out.append(item)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: order[f.severity])
