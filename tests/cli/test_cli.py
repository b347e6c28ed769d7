"""The command line's contract: usage errors, exit status, entry points."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from foci_bot import __version__
from tests.conftest import CliRunner
from tests.support.fakeservers import FakeWeb, documented_server, expand

BAD_TARGETS = ["", " ", "[::1", "example.org:70000", "a" * 300, "exa\x07mple.org", "@nobody", "ftp://x.org"]


@pytest.mark.parametrize("target", BAD_TARGETS, ids=range(len(BAD_TARGETS)))
def test_bad_target_is_a_usage_error(target: str, run_cli: CliRunner) -> None:
    """A bad target: exit 2, one line on stderr naming the problem, nothing on stdout."""
    result = run_cli("check", target)
    assert result.code == 2
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("foci-bot: bad target")


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["check", "example.org", "--connect-to", "nonsense"],
        ["check", "example.org", "--cacert", "/nonexistent/ca.pem"],
        ["check", "example.org", "--timeout", "-1"],
        ["check", "example.org", "--allow-address", "not-an-ip"],
        ["frobnicate"],
    ],
)
def test_bad_flags_are_usage_errors(args: list[str], run_cli: CliRunner) -> None:
    """Bad flags exit 2 with a single line."""
    result = run_cli(*args)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1


def test_second_bad_target_still_fails_before_any_request(
    fake_web: Callable[[dict[str, Any]], FakeWeb],
    lab_flags: Callable[[FakeWeb], list[str]],
    run_cli: CliRunner,
) -> None:
    """Targets are all validated before the network is touched."""
    web = fake_web(expand({"example.test": {"preset:homeserver": {}}}))
    result = run_cli("check", "example.test", "[::1", *lab_flags(web))
    assert result.code == 2 and web.seen == []


def _subprocess(args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env=env, check=False)


def test_python_m_entry_point() -> None:
    """``python -m foci_bot --version`` works and prints the version."""
    result = _subprocess([sys.executable, "-m", "foci_bot", "--version"])
    assert result.returncode == 0 and __version__ in result.stdout


def test_console_script_bad_target_no_traceback() -> None:
    """The installed ``foci-bot`` script reports a bad target without a traceback."""
    script = shutil.which("foci-bot", path=str(Path(sys.executable).parent))
    assert script is not None, "foci-bot console script not installed next to the interpreter"
    result = _subprocess([script, "check", "[::1"])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "bad target" in result.stderr


def test_exit_status_tracks_errors(
    fake_web: Callable[[dict[str, Any]], FakeWeb],
    lab_flags: Callable[[FakeWeb], list[str]],
    run_cli: CliRunner,
) -> None:
    """Exit 1 when any server has an error finding, 0 when none does; markdown puts the verdict first."""
    hosts = {
        "good.test": documented_server("good.test", "https://rtc.good.test/livekit/jwt"),
        "rtc.good.test": {"preset:lk-jwt": {}},
        "bad.test": {"preset:homeserver": {"transports": "missing"}},
    }
    web = fake_web(expand(hosts))
    good = run_cli("check", "good.test", *lab_flags(web))
    assert good.code == 0 and good.out.startswith("### ✅ `good.test`: ok")
    both = run_cli("check", "good.test", "@x:bad.test", *lab_flags(web))
    assert both.code == 1 and both.out.startswith("**2 servers:** 1 ok, 0 warning, 1 error")


def test_explain(run_cli: CliRunner) -> None:
    """`explain CODE` prints the causes as markdown (or JSON), whatever the code's case."""
    result = run_cli("explain", "missing_matrix_rtc_transport")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("### `MISSING_MATRIX_RTC_TRANSPORT` (Element Call error code)")
    assert "`transports-endpoint-missing`" in result.out
    data = run_cli("explain", "M_LOOKUP_FAILED", "--json").json()
    assert data["code"] == "M_LOOKUP_FAILED" and data["origin"] == "lk-jwt-service"


def test_explain_unknown_code_is_a_usage_error(run_cli: CliRunner) -> None:
    """An unknown code: exit 2 and one line naming it and listing the known codes."""
    result = run_cli("explain", "NOT_A_CODE")
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1
    assert result.err.startswith("foci-bot: unknown error code `NOT_A_CODE`; known codes: ")
    assert "OPEN_ID_ERROR" in result.err and "M_BAD_JSON" in result.err
