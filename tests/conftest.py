"""Shared fixtures: a test CA, local HTTPS servers, and running the CLI in-process."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from foci_bot.cli.main import main
from tests.support.dnsserver import LoopbackDns, Zone
from tests.support.fakeservers import FakeWeb, Route

pytest_plugins = ["tests.support.fixtures_synapse", "tests.support.e2e_lab"]


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    """One CA for every local HTTPS server, and its PEM file for ``--cacert``."""
    ca = trustme.CA()
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


@pytest.fixture(scope="session")
def test_dns() -> Iterator[LoopbackDns]:
    """A real DNS server on loopback; every check in the tests resolves names there, never at the
    machine's resolver. Unknown names are NXDOMAIN."""
    server = LoopbackDns().start()
    yield server
    server.stop()


@pytest.fixture
def dns_zone(test_dns: LoopbackDns) -> Iterator[Zone]:
    """The test DNS server's zone, empty at the start and the end of the test."""
    test_dns.zone.set()
    yield test_dns.zone
    test_dns.zone.set()


WebFactory = Callable[[dict[str, dict[str, Route]]], FakeWeb]


@pytest.fixture
def fake_web(test_ca: tuple[trustme.CA, Path]) -> Iterator[WebFactory]:
    """Start a FakeWeb serving the given routes; stopped after the test."""
    started: list[FakeWeb] = []

    def start(routes: dict[str, dict[str, Route]]) -> FakeWeb:
        web = FakeWeb(test_ca[0], names=list(routes), routes=routes).start()
        started.append(web)
        return web

    yield start
    for web in started:
        web.stop()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


CliRunner = Callable[..., CliResult]


@pytest.fixture
def run_cli() -> CliRunner:
    """Run ``foci-bot ARGS`` in this process, capturing its output and exit status."""

    def run(*args: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def lab_flags(test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns) -> Callable[[FakeWeb], list[str]]:
    """The flags that point the CLI at a FakeWeb: connect-to for each host, the CA, private allowed,
    names resolved at the loopback DNS server."""

    def flags(web: FakeWeb) -> list[str]:
        return [
            *web.connect_to(),
            "--cacert",
            str(test_ca[1]),
            "--allow-private",
            "--timeout",
            "3",
            "--dns-server",
            test_dns.address,
        ]

    return flags
