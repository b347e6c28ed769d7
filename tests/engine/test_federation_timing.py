"""A server that is down costs one request timeout, not one per port: the federation check asks
the default port early when port 443 does not even connect. Real local HTTPS servers and a real DNS
server on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web as aioweb

from foci_bot.addrguard import ConnectTo
from foci_bot.callflow import Federation
from foci_bot.engine.dns import Dns
from foci_bot.engine.federation import EARLY_ASK_AFTER, check_federation
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.servername import parse_server_name
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import USERINFO, FakeWeb, expand

Factory = Callable[[dict[str, Any]], FakeWeb]
TIMEOUT = 2.0


def _check(rules: list[str], ca: Path, dns: LoopbackDns, name: str) -> tuple[Federation, float]:
    options = HttpOptions(
        connect_to=tuple(ConnectTo.parse(r) for r in rules),
        cacert=str(ca),
        allow_private=True,
        timeout=TIMEOUT,
        dns_server=("127.0.0.1", dns.port),
    )

    async def go() -> tuple[Federation, float]:
        async with HttpClient(options) as http:
            started = time.monotonic()
            fed = await check_federation(http, Dns(options.dns_server, TIMEOUT), parse_server_name(name))
            return fed, time.monotonic() - started

    return asyncio.run(go())


def test_a_server_down_on_both_ports_costs_one_timeout(
    test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns, silent_port: int
) -> None:
    """Port 443 (the server well-known) and 8448 both never answer TLS: unreachable, found within
    one timeout plus the head start, where asking 8448 only after 443 gave up took two timeouts."""
    rules = [f"down.test:443:127.0.0.1:{silent_port}", f"down.test:8448:127.0.0.1:{silent_port}"]
    fed, elapsed = _check(rules, test_ca[1], test_dns, "down.test")
    assert (fed.openid, fed.server_url, fed.via) == ("unreachable", "https://down.test:8448", "default-port")
    assert TIMEOUT - 0.1 <= elapsed < TIMEOUT + EARLY_ASK_AFTER + 0.5 < 2 * TIMEOUT


def test_federation_answering_behind_a_dead_client_port_is_still_found(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns, silent_port: int
) -> None:
    """Port 443 is down but 8448 federates: reachable, from the one request asked early."""
    web = fake_web(expand({"split.test": {}}))
    rules = [f"split.test:443:127.0.0.1:{silent_port}", f"split.test:8448:127.0.0.1:{web.port}"]
    fed, elapsed = _check(rules, test_ca[1], test_dns, "split.test")
    assert (fed.openid, fed.status, fed.via) == ("reachable", 401, "default-port")
    assert [s.path for s in web.requests_for("split.test")] == [USERINFO]
    assert elapsed < TIMEOUT + 1.0


def test_a_slow_delegation_is_still_followed(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns
) -> None:
    """The server well-known answers after the head start and delegates elsewhere: the host let us
    connect, so nothing is asked early at its default port, and the delegated server decides."""

    async def slow(_request: aioweb.Request) -> aioweb.Response:
        await asyncio.sleep(EARLY_ASK_AFTER + 0.3)
        return aioweb.json_response({"m.server": "fed.other.test:443"})

    web = fake_web(
        expand(
            {
                "slow.test": {"/.well-known/matrix/server": slow},
                "fed.other.test": {USERINFO: {"status": 404, "json": {"errcode": "M_UNRECOGNIZED"}}},
            }
        )
    )
    rules = [f"slow.test:443:127.0.0.1:{web.port}", f"slow.test:8448:127.0.0.1:{web.port}"]
    rules.append(f"fed.other.test:443:127.0.0.1:{web.port}")
    fed, _ = _check(rules, test_ca[1], test_dns, "slow.test")
    assert (fed.server_url, fed.via, fed.status) == ("https://fed.other.test:443", "well-known", 404)
    assert fed.openid != "reachable"
    assert USERINFO not in [s.path for s in web.requests_for("slow.test")]
