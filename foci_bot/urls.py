"""URL helpers shared by the checks and the orchestration."""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit


def split_url(url: str) -> SplitResult:
    """``urlsplit``, cached: a check splits the same URL several times per request (guard, host
    key, origin), and a split result is immutable. Only short URLs are kept, so the cache stays
    small whatever URLs servers publish. Raises ``ValueError`` as ``urlsplit`` does."""
    return _split_cached(url) if len(url) <= 512 else urlsplit(url)


_split_cached = functools.lru_cache(maxsize=4096)(urlsplit)


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


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_FORBIDDEN_HOST = set(" #%/:<>?@[\\]^|")
_DEFAULT_PORT = {"http": 80, "https": 443}


def browser_url(value: object) -> str | None:
    """An http(s) URL read the way matrix-js-sdk's ``AutoDiscovery.sanitizeWellKnownUrl`` reads it.

    That is the browser's URL parser (WHATWG URL Standard) followed by
    ``protocol//hostname[:port]pathname`` with one trailing ``/`` dropped: surrounding spaces and
    tabs/newlines are removed, backslashes count as slashes, userinfo, query and fragment are
    dropped, the host is lower-cased and a default port disappears. None when the browser
    refuses it or it is not http(s). A small subset of the standard (no IPv4 number forms).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    text = value.strip("".join(chr(c) for c in range(0x21))).replace("\t", "").replace("\n", "")
    text = text.replace("\r", "")
    match = _SCHEME.match(text)
    if match is None or match.group(1).lower() not in _DEFAULT_PORT:
        return None
    scheme = match.group(1).lower()
    rest = text[match.end() :].replace("\\", "/").lstrip("/")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    authority = authority.rsplit("@", 1)[-1]
    host, port = authority, ""
    if (not authority.startswith("[") and ":" in authority) or (
        authority.startswith("[") and "]:" in authority
    ):
        host, port = authority.rsplit(":", 1)
    if port and (not port.isdigit() or int(port) > 65535):
        return None
    if not host.startswith("["):
        if not host or any(c in _FORBIDDEN_HOST or ord(c) < 0x21 for c in host):
            return None
        try:
            # Label by label: browsers keep empty labels (`https://.example.org` parses).
            host = ".".join(
                label.lower() if label.isascii() else label.encode("idna").decode("ascii").lower()
                for label in host.split(".")
            )
        except UnicodeError:
            return None
    else:
        host = host.lower()
    shown_port = f":{int(port)}" if port and int(port) != _DEFAULT_PORT[scheme] else ""
    path = tail.split("?", 1)[0].split("#", 1)[0] or "/"
    path = quote(path, safe="/%:@!$&'()*+,;=-._~")
    url = f"{scheme}://{host}{shown_port}{path}"
    return url[:-1] if url.endswith("/") else url


# ``scheme://user:password@`` up to the last "@" before the path: what a URL's userinfo covers,
# generously, as browsers also read ``https:user:pass@host`` and ``https:\\user:pass@host`` (WHATWG
# URL standard); a backslash or a second "@" only makes more of it hidden, never less.
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.\-]*:)?[/\\]*)[^/?#]*@")


def without_credentials(text: str) -> str:
    """``text`` with a URL's ``user:password@`` shown as ``***@``: safe to print, never probed."""
    return _USERINFO.sub(r"\1***@", text)


def has_credentials(text: str) -> bool:
    return _USERINFO.match(text) is not None
