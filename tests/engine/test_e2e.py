"""The call token flow end to end: real Synapses, the lk-jwt-service and SFU stand-ins.

``foci-bot check TARGET --access-token-file F --homeserver URL`` requests an OpenID token from the
real Synapse, posts it to the lk-jwt-service stand-in (which checks it over the real Synapse's
federation ``openid/userinfo``), then validates the JWT at the SFU stand-in. Each failure switch
gives its verdict and finding, and no token or JWT appears in any output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, CliRunner
from tests.support.dnsserver import LoopbackDns
from tests.support.e2e_lab import FOCUS, Lab
from tests.support.fixtures_synapse import unique_localpart
from tests.support.standins import LkJwt, Sfu
from tests.support.synapse_harness import Synapse

Run = Callable[..., tuple[CliResult, dict[str, Any]]]


@pytest.fixture
def run_e2e(lab: Lab, test_dns: LoopbackDns, run_cli: CliRunner, tmp_path: Path) -> Run:
    def run(server: Synapse, token: bool = True, markdown: bool = False) -> tuple[CliResult, dict[str, Any]]:
        user = server.new_user(unique_localpart("caller"))
        args = ["check", server.server_name, "--cacert", str(lab.bundle), "--allow-private"]
        args += [] if markdown else ["--json"]
        args += ["--dns-server", test_dns.address, "--timeout", "5"]
        args += lab.web.connect_to("jwt.test", "sfu.test")
        if token:
            token_file = tmp_path / "token"
            token_file.write_text(user.access_token + "\n")
            args += ["--access-token-file", str(token_file), "--homeserver", server.client_url]
        result = run_cli(*args)
        for secret in (user.access_token, "eyJ"):  # the access token, and any JWT (base64 of '{"')
            assert secret not in result.out and secret not in result.err
        return result, {} if markdown else result.json()["servers"][0]

    return run


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {step["route"]: step["verdict"] for step in report["e2e"]}


def test_no_token_no_e2e(lab: Lab, standins: tuple[LkJwt, Sfu], run_e2e: Run) -> None:
    """Without a token nothing is tried: ``e2e`` is null."""
    _, report = run_e2e(lab.with_fed, token=False)
    assert report["e2e"] is None


def test_verified_end_to_end(lab: Lab, standins: tuple[LkJwt, Sfu], run_e2e: Run) -> None:
    """A healthy setup: both routes give a JWT the SFU accepts; the room was created for the probe."""
    _, sfu = standins
    _, report = run_e2e(lab.with_fed)
    assert _verdicts(report) == {"/sfu/get": "ok", "/get_token": "ok"}
    step = report["e2e"][0]
    assert (step["livekit_service_url"], step["status"], step["sfu_url"], step["sfu_validate_status"]) == (
        FOCUS, 200, "wss://sfu.test", 200,
    )  # fmt: skip
    assert not [f for f in report["findings"] if f["code"].startswith("e2e-")]
    # One made-up room for both routes, created because the caller's server is full-access.
    assert len(sfu.rooms) == 1 and sfu.validated == sorted(sfu.rooms) * 2
    markdown, _ = run_e2e(lab.with_fed, markdown=True)
    assert "Verified end to end" in markdown.out


FAILURES = [
    ("room-create", "room-create-failed", "e2e-room-create-failed"),
    ("rejected", "sfu-rejected-token", "e2e-sfu-rejected-token"),
    ("restricted", "room-restricted", "e2e-room-restricted"),
    ("capacity", "sfu-capacity", "e2e-sfu-capacity"),
    ("localhost", "sfu-url-not-public", "e2e-sfu-url-not-public"),
    ("no-sfu", "sfu-unreachable", "e2e-sfu-unreachable"),
    ("down", "service-error", "e2e-service-error"),
]
#: Finding codes these tests prove against real servers (test_scenarios checks the catalogue).
PROVEN_CODES = {code for _, _, code in FAILURES} | {"e2e-openid-failed"}


@pytest.mark.parametrize(("switch", "verdict", "code"), FAILURES)
def test_each_failure(
    lab: Lab, standins: tuple[LkJwt, Sfu], run_e2e: Run, switch: str, verdict: str, code: str
) -> None:
    """Each broken piece gives its verdict on both routes and an error finding naming it."""
    lk, sfu = standins
    if switch == "room-create":
        lk.secret = (
            "not-the-secret-livekit-knows-0123456789"  # its CreateRoom is refused (lk-jwt-service#177)
        )
    elif switch == "rejected":
        lk.full_access, lk.secret = ("elsewhere.test",), "not-the-secret-livekit-knows-0123456789"
    elif switch == "restricted":
        lk.full_access, sfu.auto_create = ("elsewhere.test",), False
    elif switch == "capacity":
        sfu.full = True
    elif switch == "localhost":
        lk.livekit_url = "ws://localhost:7880"
    elif switch == "no-sfu":
        lk.livekit_url = "wss://no-sfu.test"
    elif switch == "down":
        lk.down = True
    result, report = run_e2e(lab.with_fed)
    assert set(_verdicts(report).values()) == {verdict}, report["e2e"]
    found = {f["code"]: f for f in report["findings"]}
    assert found[code]["severity"] == "error" and found[code]["hint"]
    assert result.code == 1


@pytest.mark.parametrize(
    ("version", "statuses"),
    [("new", {"/sfu/get": 401, "/get_token": 401}), ("v0.5", {"/sfu/get": 500, "/get_token": 401})],
)
def test_openid_fails_without_federation(
    lab: Lab, standins: tuple[LkJwt, Sfu], run_e2e: Run, version: str, statuses: dict[str, int]
) -> None:
    """A real Synapse without a federation listener: the service cannot verify its users' OpenID
    tokens; the answers follow the service version; both are OPEN_ID_ERROR."""
    lk, _ = standins
    lk.version = version  # type: ignore[assignment]
    _, report = run_e2e(lab.without_fed)
    assert _verdicts(report) == {"/sfu/get": "openid-failed", "/get_token": "openid-failed"}, report["e2e"]
    assert {s["route"]: s["status"] for s in report["e2e"]} == statuses
    assert report["federation"]["openid"] == "unreachable"
    codes = {f["code"] for f in report["findings"]}
    assert {"e2e-openid-failed", "federation-openid-unreachable"} <= codes
