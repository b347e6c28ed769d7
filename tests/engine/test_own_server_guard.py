"""The own-homeserver exemption on a real Synapse: the bot's own read reaches it, URLs that
strangers' answers name (base_url, livekit_service_url, redirects) never do.

Requests are counted at the target: Synapse's own access log, one ``Processed request`` line per
request, with the client's User-Agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import ServerReport
from foci_bot.servername import parse_target
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, wellknown_route
from tests.support.fixtures_synapse import SynapseFactory, foci_options, unique_localpart
from tests.support.synapse_harness import Synapse, http_request, wait_until

BOT_AGENT = "foci-bot/"


def bot_requests(synapse: Synapse) -> list[str]:
    """Synapse's access-log lines for requests foci-bot sent."""
    text = synapse.log_path.read_text(errors="replace")
    return [line for line in text.splitlines() if "Processed request" in line and BOT_AGENT in line]


def hostile_routes(target: str) -> dict[str, dict[str, Any]]:
    """hostile.test aims every URL it controls at ``target`` (the bot's own homeserver)."""
    port = target.rsplit(":", 1)[1]
    admin = "/_synapse/admin/v1/server_version"
    focus_urls = [
        target + admin,
        f"http://localhost:{port}{admin}",
        f"http://[::ffff:127.0.0.1]:{port}{admin}",
        f"http://127.1:{port}{admin}",
        "https://hostile.test/bounce",
    ]
    foci = [{"type": "livekit", "livekit_service_url": url} for url in focus_urls]
    bounce = {"status": 302, "headers": {"Location": target + "/_matrix/client/versions"}}
    return {
        "hostile.test": {
            "/.well-known/matrix/client": wellknown_route(target, {"org.matrix.msc4143.rtc_foci": foci}),
            **{f"/bounce{path}": bounce for path in ("/healthz", "/sfu/get", "/get_token")},
        }
    }


@pytest.fixture(scope="module")
def synapse(synapse_factory: SynapseFactory) -> Synapse:
    """Our own homeserver, with MSC4143 transports on so its reads are authenticated (and logged
    with the user)."""
    return synapse_factory(**foci_options("https://lk.own.test/livekit/jwt"))


@pytest.fixture
def hostile_web(test_ca: tuple[trustme.CA, Path], synapse: Synapse) -> Iterator[FakeWeb]:
    # On 127.0.0.2, the one address the test allows; Synapse listens on 127.0.0.1.
    routes = hostile_routes(synapse.client_url)
    web = FakeWeb(test_ca[0], names=list(routes), routes=routes, address="127.0.0.2").start()
    yield web
    web.stop()


def test_own_read_reaches_synapse_hostile_urls_never_do(
    synapse: Synapse, hostile_web: FakeWeb, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns
) -> None:
    bot = synapse.new_user(unique_localpart("guardbot"))
    options = HttpOptions(
        connect_to=(ConnectTo.parse(f"hostile.test:443:127.0.0.2:{hostile_web.port}"),),
        allowed_addresses=frozenset({"127.0.0.2"}),
        cacert=str(test_ca[1]),
        timeout=3,
        dns_server=("127.0.0.1", test_dns.port),  # names resolve on loopback, never at the machine's resolver
    )
    before = len(bot_requests(synapse))

    async def go() -> tuple[ServerReport, int, ServerReport]:
        async with HttpClient(options) as http:
            # Wired as the bot wires it (engine/setup.py own_checker).
            checker = Checker(
                http,
                CheckOptions(deadline=10),
                tokens={synapse.server_name: bot.access_token},
                homeservers={synapse.server_name: synapse.client_url},
            )
            own = await checker.check(parse_target(synapse.server_name))
            # The own read's log lines, before the hostile server is checked on the same client.
            # One authenticated transports read (its browser-style preflight carries no token),
            # then the token flow's own reads (issue #10): whoami and one OpenID token per route
            # tried at the listed focus.
            wait_until(lambda: len(bot_requests(synapse)) >= before + 4, timeout=10)
            after_own = len(bot_requests(synapse))
            hostile = await checker.check(parse_target("hostile.test"))
            return own, after_own, hostile

    own, after_own, hostile = asyncio.run(go())

    # The own half: the transports read reached Synapse with the token (the browser-style
    # preflight carries none, so it is not logged with the user), and the transports were read.
    own_lines = bot_requests(synapse)[before:after_own]
    transports = [line for line in own_lines if "rtc/transports" in line]
    token_flow = [line for line in own_lines if "/account/whoami" in line or "/openid/request_token" in line]
    assert len(transports) == 1 and len(token_flow) == 3 and len(own_lines) == 4, own_lines
    assert own.transports_state == "listed"

    # The hostile half: every URL is refused by the guard...
    codes = [f.code for f in hostile.findings]
    assert "address-blocked" in codes, codes
    # ...and Synapse saw nothing: a sentinel request, logged after anything the bot sent, comes next.
    sentinel = "/_matrix/client/versions?sentinel=guard"
    http_request("GET", synapse.client_url + sentinel, None)
    wait_until(lambda: sentinel in synapse.log_path.read_text(errors="replace"), timeout=10)
    assert bot_requests(synapse)[after_own:] == []
    assert [r.path for r in hostile_web.seen if r.path.startswith("/bounce")] != []
