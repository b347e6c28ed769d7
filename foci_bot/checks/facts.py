"""The raw observations, as plain JSON-ready data for ``--json`` (no judgement here)."""

from __future__ import annotations

from foci_bot.checks.livekit import what_answers
from foci_bot.model import Fetch, Observations


def fetch_facts(fetch: Fetch | None) -> dict[str, object] | None:
    if fetch is None:
        return None
    return {
        "url": fetch.url,
        "final_url": fetch.final_url,
        "status": fetch.status,
        "error": fetch.error.value if fetch.error else None,
        "detail": fetch.detail or None,
        "content_type": fetch.header("content-type"),
        "cors": fetch.header("access-control-allow-origin"),
        "origin": fetch.origin,
        "redirects": [
            {"url": h.url, "status": h.status, "cors": h.cors, "origin": h.origin} for h in fetch.hops
        ],
        "elapsed_ms": fetch.elapsed_ms,
    }


def facts(obs: Observations) -> dict[str, object]:
    return {
        "wellknown": fetch_facts(obs.wellknown),
        "versions": fetch_facts(obs.versions),
        "transports_unstable": fetch_facts(obs.transports_unstable),
        "transports_preflight": fetch_facts(obs.transports_preflight),
        "probes": {
            url: {
                "preflight": fetch_facts(p.preflight),
                "sfu_get": fetch_facts(p.sfu_get),
                "get_token": fetch_facts(p.get_token),
                "healthz": fetch_facts(p.healthz),
                "root": fetch_facts(p.root),
                "reaches": what_answers(p),
            }
            for url, p in obs.probes.items()
        },
        "base_url_assumed": obs.base_url_assumed,
        "deadline_hit": obs.deadline_hit,
    }
