"""The decisions compared between foci-bot's JSON report and the real clients' code (pure)."""

from __future__ import annotations

import re
from typing import Any, Literal

Decision = Literal["wellknown-outcome", "base-url", "element-call", "element-call-legacy"]
DECISIONS: tuple[Decision, ...] = ("wellknown-outcome", "base-url", "element-call", "element-call-legacy")

# matrix-js-sdk's AutoDiscovery names two of the spec's outcomes differently
# (lib/autodiscovery.js: "PROMPT" for a 404, "SUCCESS" for a usable well-known).
_SPEC_OUTCOME = {
    "PROMPT": "IGNORE",
    "SUCCESS": "OK",
    "FAIL_PROMPT": "FAIL_PROMPT",
    "FAIL_ERROR": "FAIL_ERROR",
}


def decisions(report: dict[str, Any], real: dict[str, Any]) -> dict[Decision, tuple[Any, Any]]:
    """Each decision as (foci-bot's value, the real code's value)."""
    outcome = _SPEC_OUTCOME.get(real["wellknown"]["state"], real["wellknown"]["state"])
    both_ok = report["wellknown_outcome"] == "OK" and outcome == "OK"
    return {
        "wellknown-outcome": (report["wellknown_outcome"], outcome),
        # base_url is compared where both accept the well-known; elsewhere foci-bot reports the
        # base_url it assumed, which the js-sdk has no counterpart for.
        "base-url": (report["base_url"], real["wellknown"]["base_url"]) if both_ok else (None, None),
        "element-call": (report["clients"]["element-call"], _masked(_element_call(real["element_call"]))),
        "element-call-legacy": (report["clients"]["element-call-legacy"], _masked(real["legacy"]["url"])),
    }


def _masked(url: Any) -> Any:
    """The URL as foci-bot shows it: credentials in it become ``***@`` (it never prints them)."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@]*@", r"\1***@", url) if isinstance(url, str) else url


def _element_call(real: dict[str, Any]) -> Any:
    """What Element Call ≥ 0.24 picked; "unknown" where its endpoint call was refused for the token.

    foci-bot has no account on a checked server, so behind a 401 it answers "unknown". The harness
    sends a token the fake servers do not accept, so the real code's answer there says nothing
    about a real user: that case is "unknown" on both sides by construction.
    """
    endpoint = real["endpoint"]
    if endpoint is not None and endpoint["status"] == 401:
        return "unknown"
    return real["url"]


def differences(report: dict[str, Any], real: dict[str, Any]) -> dict[Decision, tuple[Any, Any]]:
    return {name: pair for name, pair in decisions(report, real).items() if pair[0] != pair[1]}
