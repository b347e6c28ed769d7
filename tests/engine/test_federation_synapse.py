"""Federation OpenID reachability against real Synapse servers (IP-literal names, TLS federation)."""

from __future__ import annotations

from pathlib import Path

import trustme

from tests.conftest import CliRunner, WebFactory
from tests.support.dnsserver import LoopbackDns
from tests.support.synapse_harness import Federation, Synapse


def test_synapse_with_federation_listener_is_reachable(
    federation: Federation, test_dns: LoopbackDns, run_cli: CliRunner
) -> None:
    """A real Synapse answers a random OpenID token on its federation listener with 401 M_UNKNOWN_TOKEN."""
    server = federation[1]
    result = run_cli(
        "check", server.server_name, "--json", "--cacert", str(federation.ca_pem), "--allow-private",
        "--dns-server", test_dns.address, "--timeout", "5",
    )  # fmt: skip
    report = result.json()["servers"][0]
    assert report["federation"] == {
        "server_url": server.tls_url,
        "via": "ip-literal",
        "openid": "reachable",
        "status": 401,
        "errcode": "M_UNKNOWN_TOKEN",
    }
    assert "federation-openid-unreachable" not in [f["code"] for f in report["findings"]]


def test_synapse_without_federation_listener_is_unreachable(
    synapse: Synapse, test_dns: LoopbackDns, run_cli: CliRunner
) -> None:
    """A Synapse with only a plain client listener at its server name's port cannot answer federation."""
    result = run_cli(
        "check", synapse.server_name, "--json", "--allow-private", "--dns-server", test_dns.address,
        "--timeout", "5",
    )  # fmt: skip
    report = result.json()["servers"][0]
    fed = report["federation"]
    assert (fed["server_url"], fed["via"], fed["openid"]) == (
        f"https://{synapse.server_name}",
        "ip-literal",
        "unreachable",
    )
    codes = {f["code"]: f["severity"] for f in report["findings"]}
    assert codes["federation-openid-unreachable"] == "error"
    assert result.code == 1


def test_wellknown_delegation_to_a_real_synapse(
    federation: Federation,
    fake_web: WebFactory,
    test_ca: tuple[trustme.CA, Path],
    test_dns: LoopbackDns,
    run_cli: CliRunner,
    tmp_path: Path,
) -> None:
    """`deleg.test` delegates federation to a real Synapse's IP literal and port in
    `/.well-known/matrix/server`; the Synapse's federation listener answers."""
    server = federation[2]
    web = fake_web({"deleg.test": {"/.well-known/matrix/server": {"json": {"m.server": server.server_name}}}})
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(test_ca[1].read_bytes() + federation.ca_pem.read_bytes())
    result = run_cli(
        "check", "deleg.test", "--json", "--cacert", str(bundle), "--allow-private",
        "--dns-server", test_dns.address, "--timeout", "5", *web.connect_to("deleg.test"),
    )  # fmt: skip
    fed = result.json()["servers"][0]["federation"]
    assert fed == {
        "server_url": server.tls_url,
        "via": "well-known",
        "openid": "reachable",
        "status": 401,
        "errcode": "M_UNKNOWN_TOKEN",
    }
