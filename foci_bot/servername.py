"""User text -> ServerName, following the spec grammar (spec appendices, "Server Name").

Accepted: ``example.org``, ``example.org:8448``, ``1.2.3.4``, ``[2001:db8::1]:8448``,
``@alice:example.org`` (split at the *first* colon), ``#room:example.org``,
``https://matrix.to/#/@alice:example.org`` and ``https://example.org/...``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote, urlsplit

from foci_bot.model import ServerName

MAX_INPUT = 512
MAX_SERVER_NAME = 255  # dns-name = 1*255 chars; the spec adds "SHOULD be at most 230"
_DNS_NAME = re.compile(r"[A-Za-z0-9.-]{1,255}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_PORT = re.compile(r"\d{1,5}")


class TargetError(ValueError):
    """A target that is not a server name, user ID, matrix.to link or https URL."""


def _show(text: str) -> str:
    """The text as the error message quotes it: escaped control characters, bounded length, as an
    inert markdown code span with ``@`` defused (the message may be echoed into a chat)."""
    from foci_bot.text import quote  # local: only this helper needs it

    shown = text.encode("unicode_escape").decode("ascii")
    return quote(shown if len(shown) <= 60 else shown[:57] + "...")


@functools.lru_cache(maxsize=4096)  # a large room names the same servers at every check
def parse_server_name(text: str) -> ServerName:
    """Parse ``hostname [":" port]`` strictly. The result is immutable, so it is cached."""
    if not text:
        raise TargetError("empty server name")
    if len(text) > MAX_SERVER_NAME:
        raise TargetError(f"server name is {len(text)} characters, over {MAX_SERVER_NAME}")
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise TargetError(f"unclosed '[' in {_show(text)}")
        literal, rest = text[1:close], text[close + 1 :]
        try:
            addr = ipaddress.IPv6Address(literal)
        except ValueError:
            raise TargetError(f"not an IPv6 address: {_show(literal)}") from None
        if "%" in literal:
            raise TargetError("zone IDs are not allowed in server names")
        return ServerName(addr.compressed, _parse_port(rest, text), is_ipv6=True)
    host, sep, port_text = text.partition(":")
    port = _parse_port(sep + port_text, text)
    if _IPV4.fullmatch(host):
        try:
            return ServerName(str(ipaddress.IPv4Address(host)), port)
        except ValueError:
            raise TargetError(f"not an IPv4 address: {_show(host)}") from None
    if not _DNS_NAME.fullmatch(host):
        raise TargetError(f"invalid characters in server name {_show(text)}")
    labels = host.rstrip(".").split(".")
    if (
        host.startswith(".")
        or ".." in host
        or any(
            not label or label.startswith("-") or label.endswith("-") or len(label) > 63 for label in labels
        )
    ):
        raise TargetError(f"not a valid DNS name: {_show(host)}")
    return ServerName(host.lower(), port)


def _parse_port(rest: str, whole: str) -> int | None:
    if not rest:
        return None
    if not rest.startswith(":") or not _PORT.fullmatch(rest[1:]):
        raise TargetError(f"bad port in {_show(whole)}")
    port = int(rest[1:])
    if not 1 <= port <= 65535:
        raise TargetError(f"port {port} is out of range 1-65535 in {_show(whole)}")
    return port


def parse_target(text: str) -> ServerName:
    """Turn one user-supplied target into a server name, or raise TargetError."""
    if len(text) > MAX_INPUT:
        raise TargetError(f"target is {len(text)} characters long")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise TargetError(f"control characters in target {_show(text)}")
    stripped = text.strip()
    if not stripped:
        raise TargetError("empty target")
    if any(c.isspace() for c in stripped):
        raise TargetError(f"whitespace in target {_show(stripped)}")
    lowered = stripped.lower()
    if lowered.startswith(("https://matrix.to/", "http://matrix.to/")):
        fragment = urlsplit(stripped).fragment
        identifier = unquote(fragment.lstrip("/").split("?", 1)[0])
        if not identifier:
            raise TargetError(f"matrix.to link without an identifier: {_show(stripped)}")
        return parse_target(identifier)
    if lowered.startswith(("https://", "http://")):
        try:
            netloc = urlsplit(stripped).netloc
        except ValueError:
            raise TargetError(f"not a valid URL: {_show(stripped)}") from None
        if "@" in netloc:
            raise TargetError(f"URL with credentials: {_show(stripped)}")
        return parse_server_name(netloc)
    if "://" in stripped:
        raise TargetError(f"only https:// URLs are accepted: {_show(stripped)}")
    if stripped[0] in "@#!":
        _localpart, server = split_sigil_id(stripped)
        if server is None:
            raise TargetError(f"no ':' before the server name in {_show(stripped)}")
        return parse_server_name(server)
    return parse_server_name(stripped)


def split_sigil_id(identifier: str) -> tuple[str, str | None]:
    """``@alice:example.org:8448`` -> (``alice``, ``example.org:8448``): the sigil dropped, split at
    the *first* colon, since the server part may carry a port (spec appendices, "User
    Identifiers"). The server is None when there is no colon; neither part is validated."""
    localpart, sep, server = identifier[1:].partition(":")
    return localpart, server if sep else None
