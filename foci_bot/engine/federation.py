"""Federation OpenID reachability, the I/O: resolve a server's federation endpoint and ask it.

The decisions are in :mod:`foci_bot.checks.federation`; this module only performs the lookups
they ask for, in the spec's order, through the guarded HTTP client and :class:`Dns`.
"""

from __future__ import annotations

import asyncio
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


#: How long a connection to the server name's port 443 may take before port 8448 is asked early.
EARLY_ASK_AFTER = 1.0


async def check_federation(http: HttpClient, dns: Dns, server: ServerName) -> Federation:
    """Resolve, then ``GET openid/userinfo`` with a random token: 401 ``M_UNKNOWN_TOKEN`` = reachable.

    The resolution waits on ``https://name/.well-known/matrix/server``; when that host is down, it
    ends (after the request timeout) at the default target, port 8448 of the same name, and would
    then wait a second timeout there. So once a connection to the name's port 443 has been tried for
    ``EARLY_ASK_AFTER`` seconds in vain, the default target is asked alongside the resolution, and
    its answer is used if the resolution ends there; otherwise it is dropped and the real target is
    asked. A host that lets us connect, however slowly it answers, sees no early request."""
    token = secrets.token_urlsafe(24)  # worthless, but still kept out of every report
    resolving = asyncio.ensure_future(resolve(http, dns, server))
    early: asyncio.Future[Fetch] | None = None
    guess = None if direct_target(server) is not None else default_target(server.host, delegated=False)
    try:
        while guess is not None and early is None and not resolving.done():
            await asyncio.wait({resolving}, timeout=EARLY_ASK_AFTER / 2)
            if not resolving.done() and http.stalled(f"https://{server.host}/", EARLY_ASK_AFTER):
                early = asyncio.ensure_future(_ask(http, guess, token))
        target, delegated_to = await resolving
        if early is not None and guess is not None and _same_request(target, guess):
            fetch = await early
        else:
            if early is not None:  # not the request wanted: it must not hold the host's turn
                early.cancel()
                await asyncio.gather(early, return_exceptions=True)
            fetch = await _ask(http, target, token)
    finally:
        for task in (resolving, early):
            if task is not None and not task.done():
                task.cancel()
    return judge_openid(target, _scrub(fetch, token), delegated_to)


async def _ask(http: HttpClient, target: FederationTarget, token: str) -> Fetch:
    tls_name = target.tls_name if target.tls_name != target.connect_host else None
    return await http.fetch(
        f"{target.server_url}{USERINFO}?access_token={token}",
        headers={"Host": target.host_header},
        body_cap=USERINFO_CAP,
        https_only=True,
        server_hostname=tls_name,
    )


def _same_request(a: FederationTarget, b: FederationTarget) -> bool:
    """Whether asking ``a`` sends what asking ``b`` sends (``via`` only says how it was found)."""
    return (a.connect_host, a.port, a.tls_name, a.host_header) == (
        b.connect_host,
        b.port,
        b.tls_name,
        b.host_header,
    )


def _scrub(fetch: Fetch, token: str) -> Fetch:
    hidden = "<random>"
    return replace(
        fetch,
        url=fetch.url.replace(token, hidden),
        final_url=(fetch.final_url or "").replace(token, hidden) or None,
        detail=fetch.detail.replace(token, hidden),
        hops=tuple(replace(hop, url=hop.url.replace(token, hidden)) for hop in fetch.hops),
    )
