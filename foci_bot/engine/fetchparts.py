"""The pure parts of a fetch: URL checks, origins, header lookups, and failures as values.

Kept apart from :mod:`foci_bot.engine.http` (the only module that talks to aiohttp) so that the
client stays small; nothing here does I/O.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from foci_bot.model import Fetch, FetchError, Hop
from foci_bot.text import visible
from foci_bot.urls import split_url, without_credentials


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():  # ``name`` in lower case
        if key.lower() == name:
            return value
    return None


def origin(url: str) -> tuple[str, str | None, int | None]:
    try:
        parts = split_url(url)
        return parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        return "", None, None


def url_problem(url: str, https_only: bool) -> tuple[FetchError, str] | None:
    try:
        parts = split_url(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return FetchError.BAD_URL, str(exc)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return FetchError.BAD_URL, f"not an http(s) URL: {without_credentials(url)[:200]}"
    if https_only and parts.scheme != "https":
        return FetchError.NOT_HTTPS, f"plain http:// is not allowed here: {without_credentials(url)[:200]}"
    if "@" in parts.netloc:  # any userinfo, even empty: credentials are never sent
        return FetchError.BAD_URL, "URL carries credentials"
    return None


def fail(
    url: str, method: str, hops: list[Hop], problem: tuple[FetchError, str], at: str, started: float
) -> Fetch:
    error, detail = problem
    # A URL that failed may carry user:password@ (a redirect's Location, say): never record it.
    return Fetch(
        url=without_credentials(url),
        method=method,
        error=error,
        detail=without_credentials(detail),
        final_url=without_credentials(at),
        hops=tuple(hops),
        elapsed_ms=ms(started),
    )


def short(exc: object) -> str:
    text = str(exc) or type(exc).__name__
    return visible(text[:300])


def ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
