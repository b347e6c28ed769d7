"""Turning a failed :class:`Fetch` into the right finding for what was being fetched."""

from __future__ import annotations

from foci_bot.catalogue import finding
from foci_bot.model import Fetch, FetchError, Finding, Severity
from foci_bot.text import quote


def describe(fetch: Fetch) -> str:
    """A short, markdown-safe description of a fetch's outcome."""
    if fetch.error is not None:
        return f"{fetch.error.value} ({quote(fetch.detail)})" if fetch.detail else fetch.error.value
    return f"HTTP {fetch.status}"


def failure_finding(
    fetch: Fetch, what: str, *, tls_code: str, other_code: str, severity: Severity | None = None
) -> Finding:
    """The finding for a fetch that produced no answer (``fetch.error`` is set)."""
    where = quote(fetch.final_url or fetch.url)
    if fetch.error is FetchError.BLOCKED:
        return finding("address-blocked", f"{what} {where}: refused, {quote(fetch.detail)}.")
    if fetch.error is FetchError.TLS:
        return finding(tls_code, f"{what} {where}: TLS failed, {quote(fetch.detail)}.", severity)
    return finding(other_code, f"{what} {where}: {describe(fetch)}.", severity)
