"""Failed fetches over plain values: which finding each kind of failure becomes, and how it is said."""

from __future__ import annotations

import pytest

from foci_bot.checks.fetchfail import describe, failure_finding
from foci_bot.model import Fetch, FetchError, Severity

URL = "https://example.org/.well-known/matrix/client"


def failed(error: FetchError, detail: str = "", final_url: str | None = None) -> Fetch:
    return Fetch(url=URL, error=error, detail=detail, final_url=final_url)


@pytest.mark.parametrize(
    ("fetch", "words"),
    [
        (Fetch(url=URL, status=200), "HTTP 200"),
        (Fetch(url=URL, status=502), "HTTP 502"),
        (failed(FetchError.TIMEOUT), "timeout"),
        (failed(FetchError.DNS, "NXDOMAIN"), "dns (`NXDOMAIN`)"),
        (failed(FetchError.CONNECT, "Connection refused"), "connect (`Connection refused`)"),
        (failed(FetchError.TOO_MANY_REDIRECTS), "too-many-redirects"),
        # Remote text stays in one code span: a backtick cannot close it, `@` cannot mention.
        (failed(FetchError.PROTOCOL, "bad `x` @room"), "protocol (`bad ʼxʼ @\u2060room`)"),
    ],
)
def test_describe(fetch: Fetch, words: str) -> None:
    """An outcome is said as its HTTP status or its error's stable name, with the detail quoted."""
    assert describe(fetch) == words


@pytest.mark.parametrize(
    ("fetch", "code", "severity"),
    [
        (failed(FetchError.BLOCKED, "127.0.0.1 is loopback"), "address-blocked", "error"),
        (failed(FetchError.TLS, "certificate has expired"), "wellknown-tls-error", "error"),
        (failed(FetchError.TIMEOUT), "wellknown-unreachable", "warning"),
        (failed(FetchError.DNS), "wellknown-unreachable", "warning"),
        (failed(FetchError.CONNECT), "wellknown-unreachable", "warning"),
        (failed(FetchError.TOO_LARGE), "wellknown-unreachable", "warning"),
        (failed(FetchError.PROTOCOL), "wellknown-unreachable", "warning"),
    ],
)
def test_failure_code(fetch: Fetch, code: str, severity: Severity) -> None:
    """A blocked address is always `address-blocked`; TLS and the rest get the caller's codes."""
    got = failure_finding(
        fetch, "Client well-known", tls_code="wellknown-tls-error", other_code="wellknown-unreachable"
    )
    assert (got.code, got.severity) == (code, severity)


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(None, "warning"), ("error", "error"), ("info", "info")],
)
def test_failure_severity_override(severity: Severity | None, expected: Severity) -> None:
    """The caller may set the severity where context matters; the catalogue's is the default."""
    got = failure_finding(
        failed(FetchError.TIMEOUT),
        "x",
        tls_code="wellknown-tls-error",
        other_code="wellknown-unreachable",
        severity=severity,
    )
    assert got.severity == expected


@pytest.mark.parametrize(
    ("fetch", "message"),
    [
        (
            failed(FetchError.BLOCKED, "10.0.0.1 is private"),
            f"Client well-known `{URL}`: refused, `10.0.0.1 is private`.",
        ),
        (
            failed(FetchError.TLS, "hostname mismatch"),
            f"Client well-known `{URL}`: TLS failed, `hostname mismatch`.",
        ),
        (failed(FetchError.TIMEOUT), f"Client well-known `{URL}`: timeout."),
        # A redirect's final URL is named, not the first one.
        (
            failed(FetchError.CONNECT, "refused", final_url="https://m.example.org/x"),
            "Client well-known `https://m.example.org/x`: connect (`refused`).",
        ),
    ],
)
def test_failure_message(fetch: Fetch, message: str) -> None:
    """The message names where the fetch ended and what went wrong."""
    got = failure_finding(
        fetch, "Client well-known", tls_code="wellknown-tls-error", other_code="wellknown-unreachable"
    )
    assert got.message == message
