"""URL helpers shared by the checks and the orchestration."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

MAX_URL = 2048


def http_url(value: object) -> str | None:
    """The value as an absolute http(s) URL without trailing ``/``, or None when it is not one."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
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
