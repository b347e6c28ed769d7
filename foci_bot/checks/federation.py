"""Federation OpenID reachability, the pure parts: which URL, and what the answer means.

lk-jwt-service validates every user's OpenID token by asking *that user's* homeserver over
federation, ``GET /_matrix/federation/v1/openid/userinfo`` (lk-jwt-service ``main.go``,
``exchangeOpenIdUserInfo``, through gomatrixserverlib's federation client). A server whose
federation API cannot be reached that way gives its users ``OPEN_ID_ERROR`` on every call backend,
their own or anyone's (element-call#3713, tuwunel#240). A random token answered with 401
``M_UNKNOWN_TOKEN`` proves the endpoint is reachable without any credential.

Resolution follows the server-server API, "Resolving server names" (spec v1.8+): IP literal,
explicit port, ``m.server`` in ``/.well-known/matrix/server`` (with the same IP literal / port /
SRV rules for the delegated name), SRV ``_matrix-fed._tcp`` then the deprecated ``_matrix._tcp``,
and port 8448.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from foci_bot.callflow import FEDERATION_PORT, Federation, FederationTarget, OpenIdState, Via
from foci_bot.catalogue import finding
from foci_bot.checks.fetchfail import describe
from foci_bot.jsonsafe import decode_object
from foci_bot.model import Fetch, FetchError, Finding, ServerName
from foci_bot.servername import TargetError, parse_server_name
from foci_bot.text import quote

USERINFO = "/_matrix/federation/v1/openid/userinfo"
SRV_SERVICES = ("_matrix-fed._tcp", "_matrix._tcp")  # the spec's order; the second is deprecated


@dataclass(frozen=True, slots=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # without the trailing dot; "" for "." (service explicitly not available)


def _literal(server: ServerName) -> bool:
    return server.is_ipv6 or server.host.replace(".", "").isdigit()


def direct_target(server: ServerName) -> FederationTarget | None:
    """Steps 1 and 2: an IP literal or an explicit port needs no lookup at all."""
    if _literal(server):
        return FederationTarget(
            server.host, server.port or FEDERATION_PORT, server.host, str(server), "ip-literal"
        )
    if server.port is not None:
        return FederationTarget(server.host, server.port, server.host, str(server), "explicit-port")
    return None


def read_server_wellknown(fetch: Fetch | None) -> tuple[ServerName | None, str]:
    """Step 3: the delegated server name from ``/.well-known/matrix/server``, or why there is none."""
    if fetch is None or not fetch.ok:
        return None, describe(fetch) if fetch is not None else "not fetched"
    if fetch.status != 200:
        return None, f"HTTP {fetch.status}"
    content = decode_object(fetch.body)
    if content is None:
        return None, "not a JSON object"
    value = content.get("m.server")
    if not isinstance(value, str):
        return None, "no `m.server` string"
    try:
        return parse_server_name(value), ""
    except TargetError as exc:
        return None, f"invalid `m.server`: {exc}"


def delegated_target(delegated: ServerName) -> FederationTarget | None:
    """Steps 3.1 and 3.2: a delegated IP literal or explicit port is used as it is."""
    if _literal(delegated) or delegated.port is not None:
        port = delegated.port or FEDERATION_PORT
        return FederationTarget(delegated.host, port, delegated.host, str(delegated), "well-known")
    return None


def srv_target(name: str, records: Sequence[SrvRecord]) -> FederationTarget | None:
    """Steps 3.3/3.4 and 4/5: the SRV record to use, certificate and Host still for ``name``.

    RFC 2782 picks among equal priorities by weight at random; a checker must be repeatable, so
    the heaviest record of the lowest priority is taken.
    """
    usable = [r for r in records if r.target and 0 < r.port < 65536]
    if not usable:
        return None
    best = min(usable, key=lambda r: (r.priority, -r.weight, r.target, r.port))
    return FederationTarget(best.target.rstrip(".").lower(), best.port, name, name, "srv")


def default_target(name: str, delegated: bool) -> FederationTarget:
    """Steps 3.5 and 6: the name on port 8448."""
    via: Via = "well-known" if delegated else "default-port"
    return FederationTarget(name, FEDERATION_PORT, name, name, via)


# No federation API answered there: a proxy's or another listener's answer, not Synapse's.
_NOT_FEDERATION = (404, 405, 502, 503, 504)


def judge_openid(target: FederationTarget, fetch: Fetch, delegated_to: str | None = None) -> Federation:
    """What one ``openid/userinfo`` request with a random token tells."""
    url = target.server_url
    if fetch.error is FetchError.BLOCKED:
        return Federation(url, target.via, "not-checked", detail=describe(fetch), delegated_to=delegated_to)
    if fetch.error is not None or fetch.status is None:
        return Federation(url, target.via, "unreachable", detail=describe(fetch), delegated_to=delegated_to)
    content = decode_object(fetch.body)
    raw = content.get("errcode") if content is not None else None
    code = raw[:100] if isinstance(raw, str) else None
    state: OpenIdState
    if fetch.status == 401 and code == "M_UNKNOWN_TOKEN":
        state = "reachable"
    elif fetch.status in _NOT_FEDERATION or content is None:
        state = "unreachable"
    else:
        state = "error"
    detail = "" if state == "reachable" else f"HTTP {fetch.status}" + (f" `{code}`" if code else "")
    return Federation(url, target.via, state, fetch.status, code, detail, delegated_to)


def federation_findings(server: str, fed: Federation | None) -> list[Finding]:
    if fed is None or fed.openid == "not-checked":
        return []
    where = quote(fed.server_url) if fed.server_url else "no federation endpoint"
    out: list[Finding] = []
    if fed.openid == "unreachable":
        out.append(
            finding(
                "federation-openid-unreachable",
                f"Federation OpenID at {where} is unreachable ({fed.detail}): users of "
                f"{quote(server)} get OPEN_ID_ERROR on every call backend.",
            )
        )
    elif fed.openid == "error":
        out.append(
            finding(
                "federation-openid-unexpected",
                f"Federation OpenID at {where} answered a random token with {fed.detail}, "
                "not 401 `M_UNKNOWN_TOKEN`.",
            )
        )
    if fed.via == "srv":
        out.append(
            finding(
                "federation-srv-only",
                f"Federation for {quote(server)} is found only through an SRV record "
                f"({where}); the Rust lk-jwt-service does no SRV lookup.",
            )
        )
    return out
