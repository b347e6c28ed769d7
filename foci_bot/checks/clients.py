"""What each client ends up using, one rule per client behaviour, each from that client's code.

A client release that changes discovery means editing one rule below and its test. Each rule
returns the URL, ``None`` (no transport: the user sees MISSING_MATRIX_RTC_TRANSPORT) or
``"unknown"`` (behind the user's token), the reason in words and the id of the step that decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from foci_bot.checks import entries
from foci_bot.checks import transports as tp
from foci_bot.model import KEY_MSC4143, KEY_STABLE, UNKNOWN, ClientVerdict

MISSING_TRANSPORT = "MISSING_MATRIX_RTC_TRANSPORT"


@dataclass(frozen=True, slots=True)
class WellKnownView:
    """The client well-known as the clients can see it."""

    content: Mapping[str, object] | None  # parsed JSON object, or None
    browser: bool  # CORS passes on the answer and every redirect hop
    browser_why: str = ""
    bom: bool = False


@dataclass(frozen=True, slots=True)
class Inputs:
    endpoint: tp.Transports
    wellknown: WellKnownView
    unreachable: bool = False  # nothing answered at all: every answer is unknown


@dataclass(frozen=True, slots=True)
class Rule:
    client: str
    label: str
    source: str  # repo, file, function and the versions it holds for
    decide: Callable[[Inputs], ClientVerdict]


def _v(client: str, url: str | None, step: str, reason: str) -> ClientVerdict:
    return ClientVerdict(client, url, reason, step)


def _from_pick(client: str, pick: entries.Pick, step: str, where: str) -> ClientVerdict:
    if pick.kind == "url":
        return _v(client, pick.url, step, f"entry [{pick.index}] of {where}")
    return _v(client, None, f"{step}-{pick.kind}", f"{where}: {pick.why}")


def _endpoint_list(inputs: Inputs) -> list[object]:
    return list(inputs.endpoint.raw or ())


def _browser_wellknown(
    client: str, inputs: Inputs, step: str, use: Callable[[list[object]], entries.Pick]
) -> ClientVerdict:
    """A browser reading `org.matrix.msc4143.rtc_foci` (only this key) from the well-known."""
    wk = inputs.wellknown
    if wk.content is None:
        return _v(client, None, f"{step}-none", "no readable client well-known")
    if not wk.browser:
        return _v(client, None, f"{step}-cors", f"the browser cannot read the well-known: {wk.browser_why}")
    value = wk.content.get(KEY_MSC4143)
    if not isinstance(value, list):
        return _v(client, None, f"{step}-none", f"no `{KEY_MSC4143}` list in the well-known")
    return _from_pick(client, use(value), step, f"`{KEY_MSC4143}`")


_TOKEN = "the transports endpoint answers only with the user's token"


def _browser_endpoint(client: str, inputs: Inputs) -> tuple[ClientVerdict | None, entries.Pick | None]:
    """A browser asking the endpoint with the user's token and picking with `isLivekitTransportConfig`:
    the verdict when the endpoint decides, else the failed pick of a listed answer (or None)."""
    ep = inputs.endpoint
    if ep.state == tp.AUTH and ep.browser:
        return _v(client, UNKNOWN, "endpoint-token", _TOKEN), None
    if ep.state == tp.LISTED and ep.browser:
        pick = entries.js_find(_endpoint_list(inputs))
        if pick.kind == "url":
            return _v(client, pick.url, "endpoint", f"entry [{pick.index}] of the transports endpoint"), None
        return None, pick
    return None, None


def _gave_nothing(ep: tp.Transports) -> str:
    if not ep.browser and ep.state in tp.ANSWERED:
        return ep.browser_why
    return f"the endpoint gives nothing ({ep.state})"


def element_call(inputs: Inputs) -> ClientVerdict:
    c = "element-call"
    config = "its own `config.json` (`livekit.livekit_service_url`), a deployment setting foci-bot cannot see"
    decided, pick = _browser_endpoint(c, inputs)
    if decided is not None:
        return decided
    if pick is not None:
        return _v(
            c,
            None,
            f"config-after-{pick.kind}",
            f"the endpoint's list is dropped ({pick.why}); then {config}",
        )
    return _v(c, None, "config", f"{_gave_nothing(inputs.endpoint)}; then only {config}")


def element_web(inputs: Inputs) -> ClientVerdict:
    c = "element-web"
    decided, pick = _browser_endpoint(c, inputs)
    if decided is not None:
        return decided
    if pick is not None:
        return _v(c, None, f"endpoint-{pick.kind}", f"Element Call drops the endpoint's list: {pick.why}")
    verdict = _browser_wellknown(c, inputs, "wellknown", entries.js_find)
    tail = " (with the default `enable_client_well_known_lookups: true`)" if verdict.url else ""
    reason = f"{_gave_nothing(inputs.endpoint)}; well-known fallback: {verdict.reason}{tail}"
    return ClientVerdict(c, verdict.url, reason, verdict.rule)


def element_x(inputs: Inputs) -> ClientVerdict:
    c, ep = "element-x", inputs.endpoint
    if ep.state == tp.AUTH:
        return _v(c, UNKNOWN, "endpoint-token", _TOKEN)
    if ep.state == tp.LISTED:
        return _from_pick(
            c, entries.ruma_first(_endpoint_list(inputs)), "endpoint", "the transports endpoint"
        )
    if ep.state != tp.MISSING:
        return _v(
            c,
            None,
            "endpoint-no-fallback",
            f"the endpoint answers `{ep.state}`; only 404 `M_UNRECOGNIZED` lets Element X fall back to the well-known",
        )
    wk = inputs.wellknown
    if wk.content is None:
        return _v(c, None, "wellknown-none", "endpoint not implemented and no readable client well-known")
    if wk.bom:
        return _v(
            c, None, "wellknown-bom", "the well-known starts with a BOM, which serde_json rejects (inference)"
        )
    keys = [k for k in (KEY_MSC4143, KEY_STABLE) if k in wk.content]
    if len(keys) == 2:
        return _v(
            c,
            None,
            "wellknown-both-keys",
            f"both `{KEY_MSC4143}` and its alias `{KEY_STABLE}`: a duplicate field for serde",
        )
    if not keys:
        return _v(c, None, "wellknown-none", "endpoint not implemented and no foci in the well-known")
    value = wk.content[keys[0]]
    if not isinstance(value, list):
        return _v(c, None, "wellknown-throws", f"`{keys[0]}` is not a list, so the well-known does not parse")
    return _from_pick(c, entries.ruma_first(value), "wellknown", f"`{keys[0]}` (endpoint not implemented)")


def element_call_legacy(inputs: Inputs) -> ClientVerdict:
    return _browser_wellknown("element-call-legacy", inputs, "wellknown", entries.legacy_first)


RULES: tuple[Rule, ...] = (
    Rule(
        "element-call",
        "Element Call ≥ 0.24 (standalone)",
        "element-call v0.24+ `src/state/CallViewModel/localMember/RtcTransportAutoDiscovery.ts` "
        "`discoverPreferredTransport`: endpoint (first `isLivekitTransportConfig`), then `config.json`",
        element_call,
    ),
    Rule(
        "element-web",
        "Element Web (host), with Element Call ≥ 0.24 embedded",
        "element-web after PR #34581 (`CallStore`): endpoint, then the well-known only if the endpoint gave "
        "nothing and `enable_client_well_known_lookups`; Element Call embedded picks with `isLivekitTransportConfig`",
        element_web,
    ),
    Rule(
        "element-x",
        "Element X ≥ 26.09",
        "matrix-rust-sdk `discover_rtc_transports` (PR #6845): endpoint, well-known only when ruma's "
        "`is_endpoint_not_implemented` (404 `M_UNRECOGNIZED`)",
        element_x,
    ),
    Rule(
        "element-call-legacy",
        "Element Call 0.19.1–0.23 embedded (Element Web ≤ 1.12.26)",
        "element-call v0.19.1–v0.23 widget mode: endpoint skipped (PR #3828), well-known "
        "`org.matrix.msc4143.rtc_foci[0]` without a type check, read by the browser",
        element_call_legacy,
    ),
)

CURRENT = ("element-call", "element-web", "element-x")


def decide_clients(inputs: Inputs) -> list[ClientVerdict]:
    """One verdict per rule, in :data:`RULES` order."""
    if inputs.unreachable:
        return [
            _v(
                r.client,
                UNKNOWN,
                "unreachable",
                "the server could not be reached (see the finding), so nothing could be seen",
            )
            for r in RULES
        ]
    return [rule.decide(inputs) for rule in RULES]
