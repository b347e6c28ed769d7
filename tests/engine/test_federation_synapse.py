"""Federation OpenID reachability against real Synapse servers (IP-literal names, TLS federation)."""

from __future__ import annotations

from tests.conftest import CliRunner
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
