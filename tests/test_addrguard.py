"""The address guard's classification and connect-to parsing (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foci_bot.addrguard import ConnectTo, ConnectToError, blocked_reason

ADDRESSES = json.loads((Path(__file__).parent / "data" / "addresses.json").read_text())


@pytest.mark.parametrize("address", ADDRESSES["blocked"])
def test_blocked(address: str) -> None:
    """Loopback, private, link-local, CGNAT, multicast, reserved, documentation and mapped forms are refused."""
    assert blocked_reason(address) is not None


@pytest.mark.parametrize("address", ADDRESSES["allowed"])
def test_allowed(address: str) -> None:
    """Public unicast addresses (also when embedded in IPv6) pass."""
    assert blocked_reason(address) is None


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
