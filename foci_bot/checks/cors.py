"""CORS as a browser judges it (Fetch standard, "CORS check").

A response passes when `Access-Control-Allow-Origin` is `*` or exactly the request's `Origin`
(which becomes `null` after a cross-origin redirect). Anything else fails: a single other origin,
or several values (two headers are joined into one list, which never matches).
"""

from __future__ import annotations

from typing import Literal

from foci_bot.model import Fetch, Hop
from foci_bot.text import quote

#: The origin probes send: Element Web's public instance, where Element Call is embedded too.
PROBE_ORIGIN = "https://app.element.io"

CorsState = Literal["ok", "missing", "other-origin", "multiple"]


def judge(value: str | None, sent: str | None) -> CorsState:
    if value is None or not value.strip():
        return "missing"
    value = value.strip()
    if "," in value:
        return "multiple"
    if value == "*" or (sent is not None and value == sent):
        return "ok"
    return "other-origin"


def of_fetch(fetch: Fetch) -> CorsState:
    return judge(fetch.header("access-control-allow-origin"), fetch.origin or PROBE_ORIGIN)


def of_hop(hop: Hop) -> CorsState:
    return judge(hop.cors, hop.origin or PROBE_ORIGIN)


def explain(value: str | None, state: CorsState) -> str:
    """What was wrong, in words, for a message (remote text quoted)."""
    if state == "missing":
        return "no `Access-Control-Allow-Origin`"
    if state == "multiple":
        return f"several `Access-Control-Allow-Origin` values ({quote(value)}), which browsers reject"
    if state == "other-origin":
        return f"`Access-Control-Allow-Origin` allows only {quote(value)}, not the caller's origin"
    return "CORS allowed"
