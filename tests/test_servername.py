"""The target grammar (spec appendix "Server name"), over the cases in ``data/targets.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foci_bot.servername import TargetError, parse_target, split_sigil_id

CASES = json.loads((Path(__file__).parent / "data" / "targets.json").read_text())


@pytest.mark.parametrize(("text", "server"), CASES["valid"])
def test_valid_target(text: str, server: str) -> None:
    """A valid target normalises to this server name."""
    assert str(parse_target(text)) == server


@pytest.mark.parametrize(("text", "why"), CASES["invalid"])
def test_invalid_target(text: str, why: str) -> None:
    """A bad target raises TargetError with a one-line message saying why."""
    with pytest.raises(TargetError) as info:
        parse_target(text)
    message = str(info.value)
    assert why in message and "\n" not in message and len(message) < 200


@pytest.mark.parametrize("length", [256, 300, 10_000])
def test_overlong_names_rejected(length: int) -> None:
    """Names longer than the grammar's 255 characters are refused, quoted briefly."""
    with pytest.raises(TargetError) as info:
        parse_target("a" * length)
    assert len(str(info.value)) < 120


def test_longest_valid_name() -> None:
    """A 255-character name made of valid labels is accepted."""
    name = ".".join(["a" * 63] * 4)[:255].rstrip(".")
    assert str(parse_target(name)) == name


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("@alice:example.org", ("alice", "example.org")),
        ("@bob:127.0.0.2:8448", ("bob", "127.0.0.2:8448")),  # split at the FIRST colon
        ("@weird:[::1]:8448", ("weird", "[::1]:8448")),
        ("#room:example.org", ("room", "example.org")),
        ("@nocolon", ("nocolon", None)),
        ("@:example.org", ("", "example.org")),
    ],
)
def test_split_sigil_id(identifier: str, expected: tuple[str, str | None]) -> None:
    """User IDs and aliases split at the first colon; nothing is validated here."""
    assert split_sigil_id(identifier) == expected
