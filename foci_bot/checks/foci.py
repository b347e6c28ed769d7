"""Foci lists, from the well-known keys or the transports endpoint, validated entry by entry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from foci_bot.catalogue import finding
from foci_bot.model import FOCI_KEYS, KEY_MSC4143, KEY_MSC4158, KEY_STABLE, Finding, Focus
from foci_bot.text import quote
from foci_bot.urls import has_credentials, http_url, without_credentials

# Field names people write instead of livekit_service_url (synapse#19621 and support rooms).
_MISNAMED = re.compile(r"(livekit|lk|jwt|service|sfu).*(url|uri)|^url$|^uri$", re.IGNORECASE)
# Paths that belong to the LiveKit SFU, not to lk-jwt-service (synapse#19621).
_SFU_PATH = re.compile(r"/(livekit/)?(sfu|rtc)/?$", re.IGNORECASE)
_LIVEKIT_PORTS = {7880, 7881}


def foci_list(value: object, source: str) -> tuple[list[Focus], list[Finding]]:
    """Validate one foci list (a well-known key's value or ``rtc_transports``)."""
    where = quote(source)
    if not isinstance(value, list):
        return [], [finding("foci-not-a-list", f"{where} is a {type(value).__name__}, not a list.")]
    if not value:
        return [], [finding("foci-empty", f"{where} is an empty list.")]
    foci: list[Focus] = []
    findings: list[Finding] = []
    for index, entry in enumerate(value[:50]):
        label = f"{where}[{index}]"
        if entry is None:
            findings.append(
                finding(
                    "focus-not-an-object",
                    f"{label} is `null`: matrix-js-sdk's `isLivekitTransportConfig` throws on it, so Element Call drops the whole list.",
                )
            )
            continue
        if not isinstance(entry, dict):
            findings.append(
                finding("focus-not-an-object", f"{label} is a {type(entry).__name__}, not an object.")
            )
            continue
        kind = entry.get("type")
        url = entry.get("livekit_service_url")
        if isinstance(url, str) and has_credentials(url):
            # The password is never kept: every later use (clients, JSON, probes) sees ***@.
            url = without_credentials(url)
            entry = {**entry, "livekit_service_url": url}
        foci.append(
            Focus(
                source,
                index,
                kind if isinstance(kind, str) else None,
                url if isinstance(url, str) else None,
                entry,
            )
        )
        if not isinstance(kind, str):
            findings.append(finding("focus-missing-type", f"{label} has no string `type`."))
            continue
        if kind != "livekit":
            findings.append(
                finding("focus-unknown-type", f"{label} has type {quote(kind, 60)}, which clients skip.")
            )
            continue
        findings.extend(_livekit_entry(entry, label))
    return foci, findings


def _livekit_entry(entry: Mapping[str, object], label: str) -> list[Finding]:
    findings: list[Finding] = []
    url = entry.get("livekit_service_url")
    misnamed = [k for k in entry if k not in ("type", "livekit_service_url") and _MISNAMED.search(k)]
    if misnamed:
        names = ", ".join(quote(k, 60) for k in misnamed[:3])
        findings.append(
            finding("focus-misnamed-field", f"{label} has {names}; clients only read `livekit_service_url`.")
        )
    if url is None:
        findings.append(
            finding("focus-missing-url", f"{label} is `livekit` but has no `livekit_service_url`.")
        )
        return findings
    if not isinstance(url, str):
        findings.append(
            finding(
                "focus-url-invalid",
                f"{label}: `livekit_service_url` is a {type(url).__name__}, not a string.",
            )
        )
        return findings
    if has_credentials(url):  # already shown as ***@ (see foci_list)
        findings.append(
            finding(
                "focus-url-credentials",
                f"{label}: {quote(url)} carries a user name and password (shown as `***`), published to "
                "anyone who reads it; browsers refuse fetch() to a URL with credentials, so Element Web "
                "and Element Call fail on it. foci-bot does not probe it.",
            )
        )
        return findings
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        findings.append(finding("focus-url-invalid", f"{label}: {quote(url)} is not a valid URL."))
        return findings
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss") or (
        scheme in ("http", "https")
        and parts.hostname
        and (_SFU_PATH.search(parts.path) or port in _LIVEKIT_PORTS)
    ):
        findings.append(
            finding(
                "focus-url-is-sfu", f"{label}: {quote(url)} looks like the LiveKit SFU, not lk-jwt-service."
            )
        )
        if scheme in ("ws", "wss"):
            return findings
    if scheme not in ("http", "https") or not parts.hostname or any(ord(c) < 0x21 for c in url):
        findings.append(
            finding("focus-url-invalid", f"{label}: {quote(url)} is not an absolute http(s) URL.")
        )
    elif parts.query or parts.fragment or url.endswith(("?", "#")):
        # Clients append the route to the string (Element Call ``openIDSFU.ts``), so it lands
        # inside the query or fragment and never reaches lk-jwt-service's routes.
        findings.append(
            finding(
                "focus-url-invalid",
                f"{label}: {quote(url)} has a query or fragment; clients append `/sfu/get` after it, "
                "so the route never reaches lk-jwt-service.",
            )
        )
    elif scheme != "https":
        findings.append(finding("focus-url-not-https", f"{label}: {quote(url)} is not https."))
    return findings


def wellknown_foci(content: Mapping[str, object] | None) -> tuple[dict[str, list[Focus]], list[Finding]]:
    """Foci under every key in use (MSC4143; ruma reads `m.rtc_foci` as an alias), plus the findings about the keys themselves."""
    by_key: dict[str, list[Focus]] = {}
    findings: list[Finding] = []
    if content is None:
        return by_key, findings
    for key in FOCI_KEYS:
        if key in content:
            by_key[key], found = foci_list(content[key], key)
            findings.extend(found)
    present = set(by_key) | {k for k in FOCI_KEYS if k in content}
    if {KEY_MSC4143, KEY_STABLE} <= present:
        findings.append(finding("foci-both-keys", f"Both `{KEY_STABLE}` and `{KEY_MSC4143}` are published."))
    if KEY_MSC4158 in present:
        findings.append(
            finding("foci-msc4158-key", f"`{KEY_MSC4158}` is published; no known client reads it.")
        )
    if present and KEY_MSC4143 not in present:
        keys = ", ".join(f"`{k}`" for k in FOCI_KEYS if k in present)
        findings.append(
            finding(
                "foci-unread-keys-only",
                f"Foci only under {keys}; Element Web and Element Call read `{KEY_MSC4143}`.",
            )
        )
    legacy = content.get(KEY_MSC4143)
    if isinstance(legacy, list) and legacy:
        first = legacy[0]
        old_ec = "Element Call 0.19–0.23 (Element Web ≤ 1.12.26)"
        if not isinstance(first, dict):
            why = f"is not an object: {old_ec} fails on it"
        elif not isinstance(first.get("livekit_service_url"), str):
            why = f"has no string `livekit_service_url`: {old_ec} gets nothing"
        elif first.get("type") != "livekit":
            # No type check in the old code: it uses the URL anyway, which works only by luck.
            why = f"is not of type `livekit`, yet {old_ec} takes its URL anyway: it works only by luck"
        else:
            why = ""
        if why:
            findings.append(finding("legacy-first-not-livekit", f"`{KEY_MSC4143}`[0] {why}."))
    return by_key, findings


def probe_targets(foci: list[Focus]) -> list[str]:
    """The distinct http(s) ``livekit_service_url`` values worth probing, in order."""
    seen: dict[str, None] = {}
    for focus in foci:
        # Probed exactly as written: clients concatenate routes to the string (openIDSFU.ts).
        url = focus.livekit_service_url if focus.type == "livekit" else None
        if url is not None and http_url(url) is not None:
            seen.setdefault(url, None)
    return list(seen)
