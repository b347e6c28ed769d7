"""The end-to-end lab as pytest fixtures: two real Synapses and the lk-jwt-service and SFU stand-ins.

- ``lab`` (module scope): ``with_fed`` (a Synapse named ``127.0.0.4:P`` with a TLS federation
  listener) and ``without_fed`` (``127.0.0.5:P``, client listener only), both listing one transport,
  ``FOCUS``; one FakeWeb serving ``jwt.test`` and ``sfu.test``; a CA bundle trusting all of them.
- ``standins``: fresh, healthy stand-ins on that FakeWeb for each test (flip their switches).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.support.fakeservers import FakeWeb
from tests.support.fixtures_synapse import SynapseFactory
from tests.support.standins import LkJwt, Sfu
from tests.support.synapse_harness import Synapse, livekit_focus

FOCUS = "https://jwt.test/livekit/jwt"


@dataclass
class Lab:
    web: FakeWeb
    bundle: Path
    with_fed: Synapse
    without_fed: Synapse


@pytest.fixture(scope="module")
def lab(
    synapse_factory: SynapseFactory,
    synapse_ca: trustme.CA,
    test_ca: tuple[trustme.CA, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Lab]:
    bundle = tmp_path_factory.mktemp("e2e") / "bundle.pem"
    bundle.write_bytes(test_ca[1].read_bytes() + synapse_ca.cert_pem.bytes())
    transports = [livekit_focus(FOCUS)]
    with_fed = synapse_factory(host="127.0.0.4", federation=True, rtc_transports=transports)
    without_fed = synapse_factory(host="127.0.0.5", rtc_transports=transports)
    web = FakeWeb(test_ca[0], names=["jwt.test", "sfu.test"], routes={"jwt.test": {}, "sfu.test": {}}).start()
    yield Lab(web, bundle, with_fed, without_fed)
    web.stop()


@pytest.fixture
def standins(lab: Lab) -> tuple[LkJwt, Sfu]:
    """Fresh stand-ins for each test (healthy unless a test flips a switch)."""
    context = ssl.create_default_context(cafile=str(lab.bundle))
    sfu = Sfu()
    lk = LkJwt(livekit_url="wss://sfu.test", twirp=("127.0.0.1", lab.web.port, "sfu.test"), ca=context)
    lab.web.routes["jwt.test"] = lk.routes()
    lab.web.routes["sfu.test"] = sfu.routes()
    return lk, sfu
