"""Status aggregation over plain observations: the README's "Status" rules, one row per rule.

`error` when a current client gets no backend or a broken one, or nothing answers; `warning` when
only Element Call 0.19-0.23 fails or something works by luck; `ok` when every client works.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from foci_bot.callflow import Federation
from foci_bot.checks.report import analyse
from foci_bot.model import (
    UNKNOWN,
    Fetch,
    FetchError,
    Finding,
    Observations,
    ProbeResult,
    Severity,
    Status,
    worst,
)
from foci_bot.servername import parse_server_name

A = "https://a.example.org/livekit/jwt"
B = "https://b.example.org/livekit/jwt"
JSON = {"content-type": "application/json", "access-control-allow-origin": "*"}


def got(status: int | None, body: object = b"", *, headers: dict[str, str] | None = None) -> Fetch:
    """One answer; `body` as bytes is served verbatim, anything else as JSON."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(url="https://x.test", status=status, headers=JSON if headers is None else headers, body=raw)


def failed(error: FetchError) -> Fetch:
    return Fetch(url="https://example.org", error=error, detail="no")


def lk(*urls: str) -> list[dict[str, str]]:
    return [{"type": "livekit", "livekit_service_url": url} for url in urls]


def wellknown(*urls: str) -> Fetch:
    content: dict[str, object] = {"m.homeserver": {"base_url": "https://matrix.example.org"}}
    if urls:
        content["org.matrix.msc4143.rtc_foci"] = lk(*urls)
    return got(200, content)


def endpoint(*urls: str) -> Fetch:
    return got(200, {"rtc_transports": lk(*urls)})


VERSIONS = got(200, {"versions": ["v1.11"], "unstable_features": {"org.matrix.msc4143": True}})
PREFLIGHT = got(204, headers={**JSON, "access-control-allow-headers": "Content-Type, Authorization"})
NO_WELLKNOWN = got(404, b"", headers={})
NOT_IMPLEMENTED = got(404, {"errcode": "M_UNRECOGNIZED"})
AUTH = got(401, {"errcode": "M_MISSING_TOKEN"})
PLAIN_404 = got(404, b"404 page not found", headers={"content-type": "text/plain"})
BAD_JSON = got(400, {"errcode": "M_BAD_JSON"})


def healthy(url: str) -> dict[str, ProbeResult]:
    return {
        url: ProbeResult(
            url=url,
            preflight=PREFLIGHT,
            sfu_get=BAD_JSON,
            get_token=BAD_JSON,
            healthz=got(200),
            root=PLAIN_404,
        )
    }


def broken(url: str) -> dict[str, ProbeResult]:
    """A path prefix the proxy does not strip: every route answers a plain 404."""
    return {
        url: ProbeResult(
            url=url,
            preflight=PREFLIGHT,
            sfu_get=PLAIN_404,
            get_token=PLAIN_404,
            healthz=PLAIN_404,
            root=PLAIN_404,
        )
    }


def obs(
    wk: Fetch,
    transports: Fetch | None,
    probes: dict[str, ProbeResult] | None = None,
    *,
    deadline_hit: bool = False,
) -> Observations:
    return Observations(
        server=parse_server_name("example.org"),
        wellknown=wk,
        versions=VERSIONS if wk.ok else None,
        transports_unstable=transports,
        transports_preflight=PREFLIGHT,
        probes=probes or {},
        deadline_hit=deadline_hit,
    )


@pytest.mark.parametrize(
    ("observations", "status", "transport", "url", "errors"),
    [
        # Every client finds a working backend.
        (obs(wellknown(A), endpoint(A), healthy(A)), "ok", "working", A, set()),
        # Behind the token: current clients are `unknown`, the published focus works.
        (obs(wellknown(A), AUTH, healthy(A)), "ok", "working", A, set()),
        # Only Element Call 0.19-0.23 (well-known `[0]`) finds nothing: an endpoint-only setup.
        (obs(NO_WELLKNOWN, endpoint(A), healthy(A)), "warning", "working", A, set()),
        (obs(NO_WELLKNOWN, AUTH), "warning", UNKNOWN, None, set()),
        # A broken backend that no client uses is only a warning.
        (obs(wellknown(A), endpoint(A), {**healthy(A), **broken(B)}), "warning", "working", A, set()),
        # A broken backend only Element Call 0.19-0.23 reads (well-known `[0]`) while the current
        # clients use the endpoint's healthy one: only an older client fails, so a warning.
        (obs(wellknown(B), endpoint(A), {**healthy(A), **broken(B)}), "warning", "working", A, set()),
        # A current client gets no backend: Element Call ≥ 0.24 standalone never reads the well-known
        # (element-call `RtcTransportAutoDiscovery.discoverPreferredTransport`).
        (
            obs(wellknown(A), NOT_IMPLEMENTED, healthy(A)),
            "error",
            "working",
            A,
            {"some-clients-no-transport"},
        ),
        (obs(NO_WELLKNOWN, NOT_IMPLEMENTED), "error", "none", None, {"no-rtc-transport"}),
        # A current client uses a broken backend (Element Call shows OPEN_ID_ERROR).
        (
            obs(wellknown(A), endpoint(A), broken(A)),
            "error",
            "broken",
            A,
            {"livekit-prefix-not-stripped", "focus-in-use-broken"},
        ),
        (obs(wellknown(A), endpoint(A)), "error", "broken", A, {"focus-in-use-broken"}),
        (
            obs(wellknown(A), AUTH, broken(A)),
            "error",
            "broken",
            A,
            {"livekit-prefix-not-stripped", "focus-in-use-broken"},
        ),
        # Nothing answered at all: one cause, every client `unknown`.
        (
            obs(failed(FetchError.DNS), failed(FetchError.CONNECT)),
            "error",
            UNKNOWN,
            None,
            {"server-unreachable"},
        ),
        (obs(failed(FetchError.TIMEOUT), None), "error", UNKNOWN, None, {"server-unreachable"}),
        (obs(failed(FetchError.BLOCKED), None), "error", UNKNOWN, None, {"address-blocked"}),
        (
            obs(wellknown(A), endpoint(A), healthy(A), deadline_hit=True),
            "error",
            "working",
            A,
            {"check-deadline"},
        ),
    ],
)
def test_status(
    observations: Observations, status: Status, transport: str, url: str | None, errors: set[str]
) -> None:
    """The status follows the users: what each client ends up with decides error, warning or ok."""
    report = analyse(observations)
    got_errors = {f.code for f in report.findings if f.severity == "error"}
    assert (report.status, report.transport, report.transport_url, got_errors) == (
        status,
        transport,
        url,
        errors,
    )


@pytest.mark.parametrize(
    ("observations", "outcome", "state"),
    [
        (obs(wellknown(A), endpoint(A), healthy(A)), "OK", "listed"),
        (obs(NO_WELLKNOWN, NOT_IMPLEMENTED), "IGNORE", "missing"),
        # A well-known without a versions answer cannot be OK (js-sdk checks `/versions`).
        (
            Observations(server=parse_server_name("example.org"), wellknown=wellknown(A)),
            "FAIL_ERROR",
            "not-checked",
        ),
        (
            Observations(
                server=parse_server_name("example.org"),
                wellknown=wellknown(A),
                versions=got(200, {"versions": []}),
            ),
            "FAIL_ERROR",
            "not-checked",
        ),
        (obs(failed(FetchError.DNS), None), "FAIL_PROMPT", "not-checked"),
    ],
)
def test_outcome_and_state(observations: Observations, outcome: str, state: str) -> None:
    """The report carries js-sdk's well-known outcome (after `/versions`) and the endpoint's state."""
    report = analyse(observations)
    assert (report.wellknown_outcome, report.transports_state) == (outcome, state)


def test_findings_sorted_and_unique() -> None:
    """Findings come errors first, and the same finding is said once."""
    report = analyse(obs(wellknown(A, A), endpoint(A), broken(A)))
    order = {"error": 0, "warning": 1, "info": 2}
    ranks = [order[f.severity] for f in report.findings]
    keys = [(f.code, f.message) for f in report.findings]
    assert ranks == sorted(ranks) and len(keys) == len(set(keys))


def _f(*severities: Severity) -> tuple[Finding, ...]:
    return tuple(Finding("x", s, "m") for s in severities)


@pytest.mark.parametrize(
    ("findings", "status"),
    [
        (_f(), "ok"),
        (_f("info"), "ok"),
        (_f("info", "warning"), "warning"),
        (_f("warning", "error", "info"), "error"),
        (_f("error"), "error"),
    ],
)
def test_worst(findings: tuple[Finding, ...], status: Status) -> None:
    """The status is the worst severity; info never raises it."""
    assert worst(findings) == status


OTHER = "https://matrix.example.org/.well-known/matrix/client"


@pytest.mark.parametrize(
    ("wk", "other", "flagged"),
    [
        (NO_WELLKNOWN, replace(wellknown(A), url=OTHER), True),
        (NO_WELLKNOWN, replace(NO_WELLKNOWN, url=OTHER), False),
        (NO_WELLKNOWN, replace(got(200, b"<html>"), url=OTHER), False),
        (NO_WELLKNOWN, None, False),
        (wellknown(A), replace(wellknown(A), url=OTHER), False),
    ],
)
def test_wellknown_on_other_host(wk: Fetch, other: Fetch | None, flagged: bool) -> None:
    """A client well-known served only on `matrix.<server>` is pointed out: clients ask the server name."""
    observations = replace(obs(wk, NOT_IMPLEMENTED), other_host_wellknown=other)
    codes = {f.code for f in analyse(observations).findings}
    assert ("wellknown-on-other-host" in codes) is flagged


def _federation(detail: str, delegated_to: str | None = None) -> Federation:
    return Federation(
        server_url="https://example.org:8448",
        via="default-port",
        openid="unreachable",
        detail=detail,
        delegated_to=delegated_to,
    )


@pytest.mark.parametrize(
    ("federation", "codes"),
    [
        # The name does not resolve: one cause, the federation consequence folded into it.
        (_federation("dns (`no such name`)"), ["server-unreachable"]),
        # Federation delegated elsewhere failed on its own: a second cause, said apart.
        (
            _federation("dns (`no such name`)", delegated_to="fed.example.net:443"),
            ["server-unreachable", "federation-openid-unreachable"],
        ),
        # Federation failed another way (a timeout on 8448): also a cause of its own.
        (_federation("timeout"), ["server-unreachable", "federation-openid-unreachable"]),
    ],
)
def test_one_dns_failure_is_said_once(federation: Federation, codes: list[str]) -> None:
    """A server name that does not resolve is one finding, even though federation fails too."""
    observations = replace(obs(failed(FetchError.DNS), None), federation=federation)
    report = analyse(observations)
    assert [f.code for f in report.findings] == codes
    assert ("OPEN_ID_ERROR" in report.findings[0].message) == (len(codes) == 1)
