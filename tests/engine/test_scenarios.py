"""``foci-bot check --json`` against real local HTTPS servers, one data file per server setup.

Each file in ``tests/data/scenarios`` describes the hosts (routes or presets), the target and
what the report must say: status, finding codes present and absent, client answers, foci.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

from foci_bot.catalogue import CATALOGUE
from tests.conftest import CliRunner
from tests.engine.test_e2e import PROVEN_CODES
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, documented_server, expand, load_scenario
from tests.support.scenario_run import SCENARIO_DIR, check_args, start_scenario

SCENARIOS = sorted(SCENARIO_DIR.glob("*.json"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(
    path: Path, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns, run_cli: CliRunner
) -> None:
    """The report for this server setup has the expected verdict, findings and client answers."""
    scenario = load_scenario(path)
    expect: dict[str, Any] = scenario["expect"]
    webs = start_scenario(test_ca[0], scenario, test_dns)
    try:
        started = time.monotonic()
        result = run_cli(*check_args(scenario, webs, test_ca[1], test_dns))
        elapsed = time.monotonic() - started
    finally:
        for web in webs:
            web.stop()
        test_dns.zone.set()
    assert result.err == ""
    report = result.json()["servers"][0]
    codes = [f["code"] for f in report["findings"]]
    assert set(expect.get("codes", [])) <= set(codes), codes
    assert not set(expect.get("absent", [])) & set(codes), codes
    if "status" in expect:
        assert report["status"] == expect["status"], report["findings"]
        assert result.code == (1 if expect["status"] == "error" else 0)
    for key in ("transport", "server"):
        if key in expect:
            assert report[key] == expect[key]
    for key, value in expect.get("federation", {}).items():
        assert report["federation"][key] == value, report["federation"]
    for client, url in expect.get("clients", {}).items():
        assert report["clients"][client] == url, (client, report["client_reasons"][client])
    for focus in expect.get("foci", []):
        assert any(all(f[k] == v for k, v in focus.items()) for f in report["foci"]), report["foci"]
    if "max_seconds" in scenario:
        assert elapsed < scenario["max_seconds"]
    if scenario.get("allow_private") is False:
        assert webs[0].seen == [], "the address guard let a request through"
    if "second_hosts" in scenario:
        assert webs[1].seen == [], "a request reached an address that was not allowed"
    for f in report["findings"]:
        assert f["severity"] in ("error", "warning", "info") and f["message"] and "\n" not in f["message"]


def test_every_finding_code_has_a_behaviour_test() -> None:
    """Each catalogue code is expected by at least one scenario, or end-to-end test, run against real
    servers."""
    expected: set[str] = set(PROVEN_CODES)
    for path in SCENARIOS:
        expected |= set(load_scenario(path)["expect"].get("codes", []))
    assert set(CATALOGUE) - expected == set()


def test_severity_follows_catalogue_defaults() -> None:
    """Unknown codes never appear: every code a scenario expects is in the catalogue."""
    expected: set[str] = set()
    for path in SCENARIOS:
        expected |= set(load_scenario(path)["expect"].get("codes", []))
        expected |= set(load_scenario(path)["expect"].get("absent", []))
    assert expected - set(CATALOGUE) == set()


def test_focus_probed_once_for_many_servers(
    fake_web: Callable[[dict[str, Any]], FakeWeb],
    lab_flags: Callable[[FakeWeb], list[str]],
    run_cli: CliRunner,
) -> None:
    """Three servers sharing one focus URL cause one set of probes, not three."""
    hosts: dict[str, Any] = {"rtc.shared.test": {"preset:lk-jwt": {}}}
    for name in ("a.test", "b.test", "c.test"):
        hosts[name] = documented_server(name, "https://rtc.shared.test/livekit/jwt")
    web = fake_web(expand(hosts))
    result = run_cli("check", "a.test", "b.test", "c.test", "--json", *lab_flags(web))
    assert [s["status"] for s in result.json()["servers"]] == ["ok", "ok", "ok"]
    # OPTIONS /sfu/get, POST /sfu/get, POST /get_token, GET /healthz, GET /
    assert len(web.requests_for("rtc.shared.test")) == 5
