"""Serving one scenario file (tests/data/scenarios) with real HTTPS fakes, and the CLI flags that reach it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import trustme

from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, expand

SCENARIO_DIR = Path(__file__).parent.parent / "data" / "scenarios"


def start_scenario(ca: trustme.CA, scenario: dict[str, Any], dns: LoopbackDns) -> list[FakeWeb]:
    """The scenario's hosts on 127.0.0.1 and its ``second_hosts`` (if any) on 127.0.0.2, and its
    ``dns`` records (``{port}`` is the first server's port) in the loopback DNS server's zone; the
    caller empties the zone again (``dns.zone.set()``) when done."""
    webs = [_start(ca, scenario["hosts"], "127.0.0.1", scenario.get("untrusted", []))]
    if "second_hosts" in scenario:
        webs.append(_start(ca, scenario["second_hosts"], "127.0.0.2", []))
    dns.zone.set(*(line.format(port=webs[0].port) for line in scenario.get("dns", [])))
    return webs


def _start(ca: trustme.CA, hosts: dict[str, Any], address: str, untrusted: list[str]) -> FakeWeb:
    routes = expand(hosts)
    return FakeWeb(ca, names=list(routes), routes=routes, address=address).start(untrusted=untrusted)


def routes_of(webs: list[FakeWeb]) -> list[tuple[str, int, str, int]]:
    """``--connect-to`` entries (host, port, address, port2) for every host the fakes serve."""
    return [(host, 443, web.address, web.port) for web in webs for host in web.routes]


def check_args(scenario: dict[str, Any], webs: list[FakeWeb], cacert: Path, dns: LoopbackDns) -> list[str]:
    """``foci-bot check --json`` arguments for the scenario, as the scenario tests run it."""
    args = ["check", scenario["target"], "--json", "--cacert", str(cacert), "--timeout", "3"]
    args += ["--dns-server", dns.address]
    for web in webs:
        args += web.connect_to()
    if scenario.get("allow_private", True) and "allow_addresses" not in scenario:
        args.append("--allow-private")
    for address in scenario.get("allow_addresses", []):
        args += ["--allow-address", address]
    return args + list(scenario.get("args", []))
