"""``foci-bot check --fail-on warning|error``: the threshold scripts (cron, CI) choose."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.support.fakeservers import FakeWeb, documented_server, expand

HOSTS = {
    "good.test": documented_server("good.test", "https://rtc.good.test/livekit/jwt", transports="auth"),
    # Endpoint only, no focus in the well-known: Element Web <= 1.12.26 (Element Call 0.22) gets
    # nothing, current clients are fine: a warning.
    "warn.test": documented_server("warn.test", None, transports="auth"),
    "rtc.good.test": {"preset:lk-jwt": {}},
    "bad.test": {"preset:homeserver": {"transports": "missing"}},
}


@pytest.mark.parametrize(
    ("target", "fail_on", "code"),
    [
        ("good.test", None, 0),
        ("good.test", "warning", 0),
        ("warn.test", None, 0),
        ("warn.test", "error", 0),
        ("warn.test", "warning", 1),
        ("bad.test", None, 1),
        ("bad.test", "warning", 1),
    ],
)
def test_fail_on(
    target: str,
    fail_on: str | None,
    code: int,
    fake_web: Callable[[dict[str, Any]], FakeWeb],
    lab_flags: Callable[[FakeWeb], list[str]],
    run_cli: CliRunner,
) -> None:
    web = fake_web(expand(HOSTS))
    flags = ["--fail-on", fail_on] if fail_on else []
    result = run_cli("check", target, *flags, *lab_flags(web))
    assert result.code == code, result.out


def test_fail_on_takes_only_known_levels(run_cli: CliRunner) -> None:
    result = run_cli("check", "example.org", "--fail-on", "info")
    assert result.code == 2 and "--fail-on" in result.err
