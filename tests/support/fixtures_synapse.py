"""pytest fixtures running real Synapse homeservers (see ``tests/synapse_harness.py``).

Loaded from ``tests/conftest.py`` with ``pytest_plugins = ["tests.support.fixtures_synapse"]``.

Session-scoped fixtures:

- ``synapse_python`` -> str: the python of Synapse's own venv (built on first use).
- ``synapse_ca`` -> trustme.CA: the one test CA for every TLS listener of these servers.
- ``synapse_factory`` -> ``SynapseFactory``: ``synapse_factory(**options)`` starts one more
  ``Synapse`` (options as in ``Synapse.__init__``: ``rtc_transports``,
  ``extra_well_known_client_content``, ``server_name``, ``extra_config``, ...) and
  returns it running; every server it made is stopped at the end of the session.
- ``synapse`` -> Synapse: one plain server named ``127.0.0.1:<port>`` (no TLS, no
  well-known, no MatrixRTC transports), shared by the whole session: give your users
  unique localparts (``unique_localpart("alice")``).
- ``federation_foci`` -> ``FederationFoci``: the focus URLs the ``federation`` servers
  advertise. Override this fixture (same name, session scope) in a conftest to point them
  at a fake focus of your own.
- ``federation`` -> Federation: three servers federating over TLS, see ``federation``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import trustme

from tests.support.synapse_harness import RTC_FOCI_KEY, Federation, Synapse, livekit_focus
from tests.support.synapse_harness import synapse_python as find_synapse_python

DEFAULT_BROKEN_FOCUS_URL = "https://broken-focus.test/livekit/jwt"
DEFAULT_HEALTHY_FOCUS_URL = "https://healthy-focus.test/livekit/jwt"


class SynapseFactory(Protocol):
    def __call__(self, **options: Any) -> Synapse: ...


@dataclass(frozen=True)
class FederationFoci:
    """LiveKit focus URLs (``livekit_service_url``) advertised by the ``federation``."""

    broken: str = DEFAULT_BROKEN_FOCUS_URL
    healthy: str = DEFAULT_HEALTHY_FOCUS_URL


def unique_localpart(prefix: str = "user") -> str:
    """A localpart no other test on a shared server uses."""
    return f"{prefix}-{secrets.token_hex(4)}"


def foci_options(url: str | None) -> dict[str, Any]:
    """``Synapse`` options advertising one LiveKit focus ``url`` in both the client
    well-known and the transports endpoint; with ``None``, a well-known without foci
    and no transports endpoint at all (MSC4143 off: it answers 404)."""
    if url is None:
        return {"extra_well_known_client_content": {}}
    return {
        "extra_well_known_client_content": {RTC_FOCI_KEY: [livekit_focus(url)]},
        "rtc_transports": [livekit_focus(url)],
    }


@pytest.fixture(scope="session")
def synapse_python() -> str:
    return find_synapse_python()


@pytest.fixture(scope="session")
def synapse_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def synapse_factory(
    tmp_path_factory: pytest.TempPathFactory, synapse_python: str, synapse_ca: trustme.CA
) -> Iterator[SynapseFactory]:
    started: list[Synapse] = []

    def make(**options: Any) -> Synapse:
        options.setdefault("python", synapse_python)
        options.setdefault("tls_ca", synapse_ca)
        server = Synapse(tmp_path_factory.mktemp("synapse"), **options)
        started.append(server)
        return server.start()

    yield make
    for server in reversed(started):
        server.stop()


@pytest.fixture(scope="session")
def synapse(synapse_factory: SynapseFactory) -> Synapse:
    return synapse_factory()


@pytest.fixture(scope="session")
def federation_foci() -> FederationFoci:
    return FederationFoci()


@pytest.fixture(scope="session")
def federation(
    tmp_path_factory: pytest.TempPathFactory,
    synapse_python: str,
    synapse_ca: trustme.CA,
    federation_foci: FederationFoci,
) -> Iterator[Federation]:
    """Three servers federating over TLS, all serving their client well-known:

    - ``federation[0]``, ``127.0.0.1:P1``: advertises no foci (MSC4143 off);
    - ``federation[1]``, ``127.0.0.2:P2``: advertises ``federation_foci.broken``;
    - ``federation[2]``, ``127.0.0.3:P3``: advertises ``federation_foci.healthy``.

    Each has ``client_url`` (plain HTTP) and ``tls_url``/``well_known_url`` (HTTPS, trusted
    via ``synapse_ca`` or ``federation.ssl_context()``; CA file at ``federation.ca_pem``).
    """
    servers = [
        foci_options(None),
        foci_options(federation_foci.broken),
        foci_options(federation_foci.healthy),
    ]
    fed = Federation(tmp_path_factory.mktemp("federation"), servers, ca=synapse_ca, python=synapse_python)
    fed.start()
    yield fed
    fed.stop()
