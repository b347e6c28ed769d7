"""Which ``livekit_service_url`` each client family ends up using, and why (domain.md §1, §3)."""

from __future__ import annotations

from collections.abc import Mapping

from foci_bot.checks import transports as tp
from foci_bot.model import KEY_MSC4143, KEY_STABLE, UNKNOWN, ClientVerdict, Focus

_ENDPOINT_NONE = {
    tp.EMPTY: "the transports endpoint answers an empty list",
    tp.NOT_FOUND: "the transports endpoint answers a plain 404, which is no fallback signal",
    tp.INVALID: "the transports endpoint's answer is not a transports list",
    tp.ERROR: "the transports endpoint failed",
    tp.NOT_CHECKED: "the transports endpoint could not be asked",
}


def _first_usable(foci: list[Focus] | tuple[Focus, ...]) -> str | None:
    """matrix-js-sdk and ruma take the first ``livekit`` entry that has a URL."""
    return next((f.livekit_service_url for f in foci if f.usable), None)


def _endpoint(transports: tp.Transports) -> tuple[str | None, str] | None:
    """The answer when the endpoint itself decides, or None when clients may fall back."""
    if transports.state == tp.LISTED:
        url = _first_usable(transports.foci)
        return url, (
            "first `livekit` entry of the transports endpoint"
            if url
            else "the transports endpoint lists no usable `livekit` entry"
        )
    if transports.state == tp.AUTH:
        return UNKNOWN, "the transports endpoint needs the user's token; foci-bot cannot see its list"
    if transports.state == tp.MISSING:
        return None
    return None, _ENDPOINT_NONE[transports.state]


def decide_clients(
    transports: tp.Transports,
    wellknown_foci: Mapping[str, list[Focus]],
    wellknown_keys: frozenset[str],
    wellknown_cors: bool,
) -> list[ClientVerdict]:
    """One verdict per client family, in :data:`~foci_bot.model.CLIENTS` order."""
    endpoint = _endpoint(transports)
    msc4143 = wellknown_foci.get(KEY_MSC4143, [])
    stable = wellknown_foci.get(KEY_STABLE, [])
    verdicts: list[ClientVerdict] = []

    # Element Call >= 0.24 on its own: the endpoint only (element-call PR #4153).
    if endpoint is None:
        verdicts.append(
            ClientVerdict(
                "element-call",
                None,
                "the transports endpoint is not implemented and Element Call ≥ 0.24 no longer reads the well-known (embedded, it uses its host's answer)",
            )
        )
    else:
        verdicts.append(ClientVerdict("element-call", *endpoint))

    # Element Web: endpoint, falling back to the msc4143 key on 404 M_UNRECOGNIZED, as a browser.
    if endpoint is not None:
        verdicts.append(ClientVerdict("element-web", *endpoint))
    elif not wellknown_cors:
        verdicts.append(
            ClientVerdict(
                "element-web",
                None,
                "endpoint not implemented; the well-known fallback is unreadable to a browser (no CORS)",
            )
        )
    else:
        url = _first_usable(msc4143)
        why = "well-known fallback: first `livekit` entry of `org.matrix.msc4143.rtc_foci` (needs `enable_client_well_known_lookups`)"
        verdicts.append(
            ClientVerdict(
                "element-web",
                url,
                why
                if url
                else "endpoint not implemented and no usable `livekit` entry under `org.matrix.msc4143.rtc_foci`",
            )
        )

    # Element X (matrix-rust-sdk/ruma): same endpoint rule; ruma reads m.rtc_foci as an alias.
    if endpoint is not None:
        verdicts.append(ClientVerdict("element-x", *endpoint))
    elif {KEY_MSC4143, KEY_STABLE} <= wellknown_keys:
        verdicts.append(
            ClientVerdict(
                "element-x",
                None,
                "both `m.rtc_foci` and `org.matrix.msc4143.rtc_foci` are published; ruma reads them as one field and probably rejects the well-known (inference)",
            )
        )
    else:
        url = _first_usable(msc4143 or stable)
        key = KEY_MSC4143 if KEY_MSC4143 in wellknown_keys else KEY_STABLE
        why = f"well-known fallback: first `livekit` entry of `{key}`"
        verdicts.append(
            ClientVerdict(
                "element-x",
                url,
                why if url else "endpoint not implemented and no usable `livekit` entry in the well-known",
            )
        )

    # Element Call <= 0.23: well-known msc4143 entry [0], no type check, as a browser.
    raw = msc4143[0] if msc4143 and msc4143[0].index == 0 else None
    if KEY_MSC4143 not in wellknown_keys:
        verdicts.append(
            ClientVerdict("element-call-legacy", None, "no `org.matrix.msc4143.rtc_foci` in the well-known")
        )
    elif not wellknown_cors:
        verdicts.append(
            ClientVerdict(
                "element-call-legacy", None, "the well-known has no CORS, so the browser cannot read it"
            )
        )
    elif raw is None or raw.livekit_service_url is None:
        verdicts.append(
            ClientVerdict(
                "element-call-legacy",
                None,
                "entry [0] of `org.matrix.msc4143.rtc_foci` has no `livekit_service_url`",
            )
        )
    else:
        verdicts.append(
            ClientVerdict(
                "element-call-legacy",
                raw.livekit_service_url,
                "entry [0] of `org.matrix.msc4143.rtc_foci`, taken without a type check",
            )
        )
    return verdicts
