"""The address guard's classification and connect-to parsing (pure)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from foci_bot.addrguard import SPECIAL_PURPOSE, ConnectTo, ConnectToError, blocked_reason, special_block

ADDRESSES = json.loads((Path(__file__).parent / "data" / "addresses.json").read_text())


@pytest.mark.parametrize("address", ADDRESSES["blocked"])
def test_blocked(address: str) -> None:
    """Loopback, private, link-local, CGNAT, multicast, reserved, documentation and mapped forms are refused."""
    assert blocked_reason(address) is not None


@pytest.mark.parametrize("address", ADDRESSES["allowed"])
def test_allowed(address: str) -> None:
    """Public unicast addresses (also when embedded in IPv6) pass."""
    assert blocked_reason(address) is None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Blocks whose addresses are judged by the IPv4 address inside them, not by their own row.
EMBEDDING = {"64:ff9b::/96", "2002::/16", "::ffff:0:0/96"}


@pytest.mark.parametrize(("network", "reachable", "name"), SPECIAL_PURPOSE, ids=lambda v: str(v))
def test_every_registry_row_decides_its_own_addresses(network: Network, reachable: bool, name: str) -> None:
    """Each IANA special-purpose row decides the first address it holds that no more specific
    row holds: refused when the registry says not globally reachable (or N/A), passed otherwise."""
    inner = [
        n
        for n, _, _ in SPECIAL_PURPOSE
        if n != network and n.version == network.version and n.subnet_of(network)  # type: ignore[arg-type]
    ]
    address = next(a for a in _some_addresses(network) if not any(a in n for n in inner))
    assert special_block(address) == (reachable, name)
    if str(network) not in EMBEDDING:
        assert (blocked_reason(str(address)) is None) == reachable, (address, blocked_reason(str(address)))


def _some_addresses(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """A few addresses spread over the block: enough to step past nested rows."""
    size = network.num_addresses
    picks = {0, size // 2, size - 1, *(size * k // 64 for k in range(1, 64))}
    return [network[i] for i in sorted(picks)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.org:443:127.0.0.1:8443", ConnectTo("example.org", 443, "127.0.0.1", 8443)),
        ("127.0.0.2:443:127.0.0.2:40001", ConnectTo("127.0.0.2", 443, "127.0.0.2", 40001)),
        ("[2001:db8::1]:443:[::1]:8443", ConnectTo("2001:db8::1", 443, "::1", 8443)),
    ],
)
def test_connect_to_parses(text: str, expected: ConnectTo) -> None:
    """HOST:PORT:ADDR:PORT2, with bracketed IPv6 on either side."""
    assert ConnectTo.parse(text) == expected


def test_connect_to_wildcard() -> None:
    """An empty HOST matches any host on that port, as in curl."""
    rule = ConnectTo.parse(":443:127.0.0.1:8443")
    assert rule.matches("anything.test", 443) and not rule.matches("anything.test", 8448)


@pytest.mark.parametrize("text", ["", "a:1:b", "a:x:b:2", "a:1:b:70000", "[::1:443:b:1", "a:1::2"])
def test_connect_to_rejects(text: str) -> None:
    """Malformed rules are refused with a message."""
    with pytest.raises(ConnectToError):
        ConnectTo.parse(text)
