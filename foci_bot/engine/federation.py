"""Federation OpenID reachability, the I/O: resolve a server's federation endpoint and ask it.

The decisions are in :mod:`foci_bot.checks.federation`; this module only performs the lookups
they ask for, in the spec's order, through the guarded HTTP client and :class:`Dns`.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from foci_bot.callflow import Federation, FederationTarget
from foci_bot.checks.federation import (
    SRV_SERVICES,
    USERINFO,
    default_target,
    delegated_target,
    direct_target,
    judge_openid,
    read_server_wellknown,
    srv_target,
)
from foci_bot.engine.dns import Dns
from foci_bot.engine.http import HttpClient
from foci_bot.model import Fetch, ServerName

WELLKNOWN_CAP = 16 * 1024
USERINFO_CAP = 4 * 1024


async def resolve(http: HttpClient, dns: Dns, server: ServerName) -> tuple[FederationTarget, str | None]:
    """The federation target of ``server`` and the delegated name, if a well-known named one."""
    target = direct_target(server)
    if target is not None:
        return target, None
    wellknown = await http.fetch(
        f"https://{server.host}/.well-known/matrix/server", body_cap=WELLKNOWN_CAP, https_only=True
    )
    delegated, _why = read_server_wellknown(wellknown)
    if delegated is not None:
        target = delegated_target(delegated)
        if target is not None:
            return target, str(delegated)
    name = delegated.host if delegated is not None else server.host
    for service in SRV_SERVICES:
        records, _failure = await dns.srv(f"{service}.{name}")
        target = srv_target(name, records)
        if target is not None:
            return target, str(delegated) if delegated else None
    return default_target(name, delegated is not None), str(delegated) if delegated else None


async def check_federation(http: HttpClient, dns: Dns, server: ServerName) -> Federation:
    """Resolve, then ``GET openid/userinfo`` with a random token: 401 ``M_UNKNOWN_TOKEN`` = reachable."""
    target, delegated_to = await resolve(http, dns, server)
    token = secrets.token_urlsafe(24)  # worthless, but still kept out of every report
    tls_name = target.tls_name if target.tls_name != target.connect_host else None
    fetch = await http.fetch(
        f"{target.server_url}{USERINFO}?access_token={token}",
        headers={"Host": target.host_header},
        body_cap=USERINFO_CAP,
        https_only=True,
        server_hostname=tls_name,
    )
    return judge_openid(target, _scrub(fetch, token), delegated_to)


def _scrub(fetch: Fetch, token: str) -> Fetch:
    hidden = "<random>"
    return replace(
        fetch,
        url=fetch.url.replace(token, hidden),
        final_url=(fetch.final_url or "").replace(token, hidden) or None,
        detail=fetch.detail.replace(token, hidden),
    )
