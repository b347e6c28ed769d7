"""Differential tests: every scenario through foci-bot and through the real clients' code.

The real code is matrix-js-sdk 43.0.0 (AutoDiscovery) and the RtcTransportAutoDiscovery classes
shipped in Element Call 0.26.1 and 0.22.0, run by jsclients/oracle.mjs against the same local HTTPS
servers. Each decision must agree, or be a difference listed in tests/data/client_differences.json
(the README's "Where foci-bot differs from the real clients" table), which must still occur.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.clients.decisions import DECISIONS, differences
from tests.clients.jsoracle import ROOT, JsOracle
from tests.clients.table import HEADER, documented, render_rows
from tests.conftest import CliRunner
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import load_scenario
from tests.support.scenario_run import SCENARIO_DIR, check_args, routes_of, start_scenario

# The scenario tests' server setups, plus setups aimed at how the clients' code parses and fetches
# (tests/data/client-cases: no expectations of their own, only this comparison).
CASES_DIR = SCENARIO_DIR.parent / "client-cases"
SCENARIOS = sorted([*SCENARIO_DIR.glob("*.json"), *CASES_DIR.glob("*.json")], key=lambda p: p.stem)


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JsOracle]:
    with open(tmp_path_factory.mktemp("oracle") / "stderr.log", "w") as log:
        running = JsOracle(log)
        yield running
        running.close()


def test_runs_the_pinned_releases(oracle: JsOracle) -> None:
    """The real code is the release the README names: matrix-js-sdk 43.0.0, Element Call 0.26.1 and 0.22.0."""
    assert oracle.versions == {
        "matrix-js-sdk": "43.0.0",
        "element-call": "0.26.1",
        "element-call-legacy": "0.22.0",
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_agrees_with_real_clients(
    path: Path, oracle: JsOracle, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns, run_cli: CliRunner
) -> None:
    """foci-bot's decisions equal the real code's, except the documented differences, which occur."""
    scenario = load_scenario(path)
    webs = start_scenario(test_ca[0], scenario, test_dns)
    try:
        report = run_cli(*check_args(scenario, webs, test_ca[1], test_dns)).json()["servers"][0]
        real = oracle.ask(
            {
                "server": report["server"],
                "base_url": report["base_url"],
                "routes": routes_of(webs),
                "ca": str(test_ca[1]),
                "timeout_ms": 3000,
            }
        )
    finally:
        for web in webs:
            web.stop()
        test_dns.zone.set()
    found = {name: list(pair) for name, pair in differences(report, real).items()}
    if dump := os.environ.get("FOCI_DIFF_DUMP"):
        # For maintainers after a change of foci-bot's rules: writes what differs now, one file
        # per scenario, to review and copy into the table (see the README section).
        Path(dump).mkdir(parents=True, exist_ok=True)
        rows = [
            {"scenario": path.stem, "decision": k, "foci_bot": v[0], "real": v[1]} for k, v in found.items()
        ]
        (Path(dump) / f"{path.stem}.json").write_text(json.dumps({"rows": rows, "real": real}, indent=1))
    expected = {r["decision"]: [r["foci_bot"], r["real"]] for r in documented() if r["scenario"] == path.stem}
    assert found == expected, json.dumps({"found": found, "real": real}, indent=1)


def test_table_rows_are_well_formed() -> None:
    """Each documented difference names a scenario, a decision and a reason, once."""
    names = {p.stem for p in SCENARIOS}
    assert len(names) == len(SCENARIOS), "a client case has the name of a scenario"
    keys = [(r["scenario"], r["decision"]) for r in documented()]
    assert len(keys) == len(set(keys))
    for row in documented():
        assert row["scenario"] in names and row["decision"] in DECISIONS and row["reason"].strip(), row


def test_readme_table_matches_data() -> None:
    """The README lists exactly the differences the tests allow, with the same values and reasons."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Where foci-bot differs from the real clients", 1)[1].split("\n## ", 1)[0]
    assert HEADER in section
    rows = [line for line in section.split(HEADER, 1)[1].splitlines() if line.startswith("| `")]
    assert rows == render_rows()
