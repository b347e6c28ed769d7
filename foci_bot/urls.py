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


# ``scheme://user:password@`` up to the last "@" before the path: what a URL's userinfo covers,
# generously, as browsers also read ``https:user:pass@host`` and ``https:\\user:pass@host`` (WHATWG
# URL standard); a backslash or a second "@" only makes more of it hidden, never less.
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.\-]*:)?[/\\]*)[^/?#]*@")


def without_credentials(text: str) -> str:
    """``text`` with a URL's ``user:password@`` shown as ``***@``: safe to print, never probed."""
    return _USERINFO.sub(r"\1***@", text)


def has_credentials(text: str) -> bool:
    return _USERINFO.match(text) is not None
