"""URL helpers shared by the checks and the orchestration."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit, urlunsplit

MAX_URL = 2048
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def http_url(value: object) -> str | None:
    """The value as an absolute http(s) URL without trailing ``/``, or None when it is not one."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    return _http_url(value)


@functools.lru_cache(maxsize=4096)
def _http_url(value: str) -> str | None:
    """Memoised: a room's verdict looks at the same few focus URLs once per server."""
    if _CONTROL_OR_SPACE.search(value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    # Scheme and host are case-insensitive: one service spelt two ways is still one service.
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", "")).rstrip("/")


def hostport(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of an http(s) URL, the port defaulted by scheme; None when not a URL."""
    normal = http_url(url)
    if normal is None:
        return None
    parts = urlsplit(normal)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.hostname or "").rstrip("."), port
