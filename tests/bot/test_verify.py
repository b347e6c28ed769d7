"""``!foci verify`` and the bot's own server: the token flow end to end through the real Dispatcher,
a real Synapse (the bot's own server) and the lk-jwt-service and SFU stand-ins."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from foci_bot.addrguard import ConnectTo
from foci_bot.bot.commands import Verify, parse_command
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.incoming import Incoming
from foci_bot.bot.store import Store
from foci_bot.config import load_config
from foci_bot.engine.discover import CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.engine.setup import own_checker
from foci_bot.room.snapshot import RoomSnapshot
from tests.bot.test_room_bot import Recorder
from tests.support.dnsserver import LoopbackDns
from tests.support.e2e_lab import Lab
from tests.support.fixtures_synapse import unique_localpart
from tests.support.standins import LkJwt, Sfu


def _ask(
    lab: Lab, test_dns: LoopbackDns, tmp_path: Path, bodies: list[str], before: Callable[[int], None]
) -> tuple[list[str], str]:
    """Run the commands one after another as the bot on ``lab.with_fed`` (``before(i)`` runs before
    the i-th); the bodies the bot sent, and its access token."""
    server = lab.with_fed
    bot = server.new_user(unique_localpart("foci"))
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[matrix]\nhomeserver = "{server.client_url}"\nuser_id = "{bot.user_id}"\npassword = "x"\n'
        f'store_dir = "{tmp_path / "store"}"\n[bot]\nallowed_users = ["@*:{server.server_name}"]\n'
    )
    config = load_config(config_file)
    recorder = Recorder(RoomSnapshot("!r:x", (), 0))
    rules = tuple(ConnectTo.parse(r) for r in lab.web.connect_rules("jwt.test", "sfu.test"))

    async def go() -> None:
        http = HttpOptions(
            timeout=5, allow_private=True, cacert=str(lab.bundle), connect_to=rules,
            dns_server=("127.0.0.1", test_dns.port),
        )  # fmt: skip
        async with HttpClient(http) as client:
            checker = own_checker(config, client, CheckOptions(deadline=10, cache_ttl=600), bot.access_token)
            dispatcher = Dispatcher(config, checker, Store(tmp_path / "store"), recorder, recorder)
            for i, body in enumerate(bodies):
                command = parse_command(body)
                assert command is not None
                before(i)
                await dispatcher.handle(Incoming("!r:x", f"$cmd{i}", bot.user_id, body, 0), command)

    asyncio.run(go())
    sent = [c.get("m.new_content", c).get("body", "") for t, c in recorder.sent if t == "m.room.message"]
    return sent, bot.access_token


def test_verify_runs_the_token_flow_now(
    lab: Lab, standins: tuple[LkJwt, Sfu], test_dns: LoopbackDns, tmp_path: Path
) -> None:
    """`!foci <own server>` is verified end to end and cached; `!foci verify` asks again and sees a
    change at once; no token or JWT is ever posted."""
    lk, sfu = standins
    assert parse_command("!foci verify") == Verify()
    own = lab.with_fed.server_name

    def before(i: int) -> None:
        if i == 2:
            sfu.full = True  # the SFU fills up after the first answer was cached

    sent, token = _ask(lab, test_dns, tmp_path, [f"!foci {own}", f"!foci {own}", "!foci verify"], before)
    first, cached, verified = sent[-3:]
    assert "Verified end to end" in first and first == cached
    assert "e2e-sfu-capacity" in verified and "Verified end to end" not in verified
    # Two routes per check: the first check and `verify` asked; the cached answer asked nobody.
    # The credential-free probes add one `POST {}` per route, once (probes are cached by URL).
    assert len(lk.requests) == 6
    for body in sent:
        assert token not in body and "eyJ" not in body
