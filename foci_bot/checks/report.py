"""Observations of one server -> its report: findings, foci, client verdicts and status.

Status follows users: `error` when a current client (Element Call ≥ 0.24, Element Web, Element X)
gets no backend or a broken one; `warning` when only Element Call 0.19-0.23 (still shipped by
Element Web ≤ 1.12.26) fails, or something works only by luck; `ok` when every client works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from foci_bot.callflow import Federation
from foci_bot.catalogue import finding
from foci_bot.checks import livekit
from foci_bot.checks.clients import CURRENT, MISSING_TRANSPORT, Inputs, WellKnownView, decide_clients
from foci_bot.checks.e2e import e2e_findings
from foci_bot.checks.facts import facts
from foci_bot.checks.federation import federation_findings
from foci_bot.checks.fetchfail import describe
from foci_bot.checks.foci import wellknown_foci
from foci_bot.checks.transports import LISTED, judge_transports
from foci_bot.checks.wellknown import OK, judge_versions, read_wellknown
from foci_bot.model import (
    CLIENT_LABELS,
    KEY_MSC4143,
    UNKNOWN,
    ClientVerdict,
    Fetch,
    FetchError,
    Finding,
    Focus,
    Health,
    Observations,
    ServerReport,
    Severity,
    TransportState,
    worst,
)
from foci_bot.text import quote

WORKING: TransportState = "working"
BROKEN: TransportState = "broken"
NONE: TransportState = "none"


def analyse(obs: Observations) -> ServerReport:
    """The whole pure analysis of one server."""
    if _unreachable(obs):
        return _unreachable_report(obs)
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
    transports = judge_transports(
        obs.transports_unstable, obs.transports_preflight, obs.transports_authenticated
    )
    findings.extend(_fold(obs, transports.findings))
    foci: list[Focus] = [f for key_foci in by_key.values() for f in key_foci]
    foci.extend(transports.foci)
    if transports.state == LISTED and by_key.get(KEY_MSC4143):
        listed = {f.livekit_service_url for f in transports.foci if f.usable}
        known = {f.livekit_service_url for f in by_key[KEY_MSC4143] if f.usable}
        if listed != known:
            findings.append(
                finding(
                    "transports-differ", f"The transports endpoint and `{KEY_MSC4143}` list different URLs."
                )
            )
    view = WellKnownView(wk.content, wk.cors, wk.cors_why, wk.bom)
    clients = decide_clients(Inputs(transports, view))

    health: dict[str, Health] = {}
    causes: dict[str, list[str]] = {}  # focus URL -> the error codes that explain its failure
    used = {v.url for v in clients if v.url not in (None, UNKNOWN)}
    # A broken backend is an error only when a current client uses it (or may: its answer is
    # hidden behind the token); one that only Element Call <= 0.23 reads is a warning, like the
    # rest of what only that client lives through.
    hidden = any(v.url == UNKNOWN for v in clients if v.client in CURRENT)
    current = {v.url for v in clients if v.client in CURRENT and v.url not in (None, UNKNOWN)}
    for url, probe in obs.probes.items():
        state, probe_findings = livekit.judge_probe(probe)
        health[url] = state
        causes[url] = [f.code for f in probe_findings if f.severity == "error"]
        for item in probe_findings:
            if item.severity == "error" and url not in current and not (hidden and url in used):
                why = " (used only by Element Call ≤ 0.23)" if url in used else " (not used by any client)"
                item = replace(item, severity="warning", message=item.message + why)
            findings.append(item)
    clients = [_with_error(v, health) for v in clients]
    findings.extend(_client_findings(clients, health, causes))
    findings.extend(federation_findings(str(obs.server), obs.federation))
    findings.extend(e2e_findings(obs.e2e))
    transport, transport_url = _effective(clients, health, by_key)
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


def _unreachable_report(obs: Observations) -> ServerReport:
    """One cause, said once: every consequence (no well-known, no endpoint) is folded under it."""
    cause = obs.wellknown
    if cause.error is FetchError.BLOCKED:
        first = finding("address-blocked", f"`{obs.server}`: refused, {quote(cause.detail)}.")
    else:
        first = finding("server-unreachable", f"Nothing at `{obs.server}` answered: {describe(cause)}.")
    # Federation is asked on its own path (delegation, SRV, port 8448): it may still answer. When
    # it failed on the same name not resolving, that is the same cause: said once, folded in.
    fed_found = federation_findings(str(obs.server), obs.federation)
    if _same_dns_failure(cause, obs.federation):
        first = replace(
            first,
            message=first.message + " Its federation OpenID endpoint cannot be found either, so its users "
            "would get OPEN_ID_ERROR on every call backend.",
        )
        fed_found = [f for f in fed_found if f.code != "federation-openid-unreachable"]
    found = [first, *fed_found]
    found += e2e_findings(obs.e2e)
    if obs.deadline_hit:
        found.append(
            finding("check-deadline", "The checks did not finish before the deadline; results are partial.")
        )
    clients = decide_clients(Inputs(judge_transports(None), WellKnownView(None, False), unreachable=True))
    return ServerReport(
        server=str(obs.server),
        status=worst(found),
        findings=tuple(found),
        foci=(),
        clients=tuple(clients),
        wellknown_outcome="FAIL_PROMPT",
        base_url=None,
        transports_state="not-checked",
        probes={},
        transport=UNKNOWN,
        transport_url=None,
        facts=facts(obs),
        federation=obs.federation,
        e2e=obs.e2e,
    )


def _same_dns_failure(wellknown: Fetch, fed: Federation | None) -> bool:
    """The server name does not resolve, and federation (not delegated elsewhere) failed on it too."""
    return (
        wellknown.error is FetchError.DNS
        and fed is not None
        and fed.openid == "unreachable"
        and fed.delegated_to is None
        and fed.detail.startswith(FetchError.DNS.value)
    )


def _fold(obs: Observations, found: tuple[Finding, ...]) -> list[Finding]:
    """The endpoint fails exactly as the well-known or versions on the same host did: one cause, said once."""
    endpoint = obs.transports_unstable
    if endpoint is None or endpoint.error is None:
        return list(found)
    # Same host: the assumed base URL is the server name's, and versions ask the same base URL.
    same = (obs.base_url_assumed and endpoint.error is obs.wellknown.error) or (
        obs.versions is not None and endpoint.error is obs.versions.error
    )
    return [f for f in found if not (same and f.code == "transports-endpoint-error")]


def _with_error(verdict: ClientVerdict, health: Mapping[str, Health]) -> ClientVerdict:
    if verdict.url is None and verdict.rule.endswith("not-a-string"):
        return replace(verdict, error=livekit.OPEN_ID_ERROR)  # it picks an entry it cannot use
    if verdict.url is None:
        return replace(verdict, error=MISSING_TRANSPORT)
    if verdict.url != UNKNOWN and health.get(verdict.url, livekit.BROKEN) != livekit.HEALTHY:
        return replace(verdict, error=livekit.OPEN_ID_ERROR)
    return verdict


def _other_host(obs: Observations, have_wellknown: bool) -> list[Finding]:
    other = obs.other_host_wellknown
    if have_wellknown or other is None or other.status != 200 or other.error is not None:
        return []
    if read_wellknown(other).content is None:
        return []
    return [
        finding(
            "wellknown-on-other-host",
            f"{quote(other.url)} serves a client well-known, but `https://{obs.server.host_for_url}/` does not.",
        )
    ]


def _client_findings(
    clients: list[ClientVerdict], health: Mapping[str, Health], causes: dict[str, list[str]]
) -> list[Finding]:
    out: list[Finding] = []
    answers = {v.client: v.url for v in clients}
    if all(url is None for url in answers.values()):
        return [finding("no-rtc-transport", "No client finds a call backend for this server.")]
    current = [c for c in CURRENT if answers[c] is None]
    if current:
        names = ", ".join(CLIENT_LABELS[c] for c in current)
        out.append(
            finding("some-clients-no-transport", f"No call backend for: {names} ({MISSING_TRANSPORT}).")
        )
    if answers["element-call-legacy"] is None:
        out.append(
            finding(
                "legacy-client-no-transport",
                f"{CLIENT_LABELS['element-call-legacy']} finds no call backend ({MISSING_TRANSPORT}).",
            )
        )
    if any(answers[c] == UNKNOWN for c in CURRENT):
        out.append(
            finding(
                "transport-needs-auth",
                "What current clients use depends on the authenticated transports endpoint.",
            )
        )
    broken = sorted(
        {
            str(u)
            for u in answers.values()
            if u not in (None, UNKNOWN) and health.get(str(u)) != livekit.HEALTHY
        }
    )
    for url in broken:
        users = [c for c, u in answers.items() if u == url]
        names = ", ".join(CLIENT_LABELS[c] for c in users)
        hidden = any(answers[c] == UNKNOWN for c in CURRENT)
        severity: Severity = "error" if set(users) & set(CURRENT) or hidden else "warning"
        # Behind the token the endpoint most likely lists the same backend as the well-known.
        also = (
            "; current clients probably get it from the endpoint too"
            if hidden and severity == "error"
            else ""
        )
        # The consequence names its cause rather than repeating it.
        why = ", ".join(f"`{code}`" for code in dict.fromkeys(causes.get(url, [])))
        because = f", because of {why}" if why else (" (not probed)" if url not in health else "")
        out.append(
            finding(
                "focus-in-use-broken",
                f"{quote(url)} is used by {names} but does not work ({livekit.OPEN_ID_ERROR}){because}{also}.",
                severity,
            )
        )
    return out


def _effective(
    clients: list[ClientVerdict], health: dict[str, Health], by_key: dict[str, list[Focus]]
) -> tuple[TransportState, str | None]:
    """Whether members of this server can publish in a call today (multi-SFU: their own transport).

    Current clients mostly run Element Call embedded, so the hosts' answers come first.
    """
    order = ("element-web", "element-x", "element-call")
    answers = [v.url for c in order for v in clients if v.client == c]
    urls = [u for u in answers if u is not None and u != UNKNOWN]
    for used in urls:
        if health.get(used) == livekit.HEALTHY:
            return WORKING, used
    if UNKNOWN in answers:
        # The endpoint hides its list; the well-known focus is the best evidence of what it says.
        published = [f.livekit_service_url for f in by_key.get(KEY_MSC4143, []) if f.usable]
        for url in published:
            if url and health.get(url) == livekit.HEALTHY:
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
