"""``foci-bot compare``: real local HTTPS homeservers and lk-jwt-services, through the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.support.fakeservers import FakeWeb, expand

KEY = "org.matrix.msc4143.rtc_foci"
GOOD = "https://rtc.good.test/livekit/jwt"
OTHER = "https://rtc.other.test/livekit/jwt"
BROKEN = "https://rtc.broken.test/livekit/jwt"


def _server(name: str, foci: list[str], transports: str = "auth") -> dict[str, Any]:
    content: dict[str, Any] = {"m.homeserver": {"base_url": f"https://{name}"}}
    if foci:
        content[KEY] = [{"type": "livekit", "livekit_service_url": url} for url in foci]
    return {
        "/.well-known/matrix/client": {"json": content, "headers": {"Access-Control-Allow-Origin": "*"}},
        "preset:homeserver": {"transports": transports},
    }


HOSTS = {
    "good.test": _server("good.test", [GOOD]),
    "also.test": _server("also.test", [OTHER, GOOD]),
    "none.test": _server("none.test", [], transports="missing"),
    "broken.test": _server("broken.test", [BROKEN]),
    "dead.test": {"/.well-known/matrix/client": {"behaviour": "hang"}},
    "rtc.good.test": {"preset:lk-jwt": {}},
    "rtc.other.test": {"preset:lk-jwt": {}},
    "rtc.broken.test": {"preset:lk-jwt": {"mode": "down"}},
}

Web = Callable[[dict[str, Any]], FakeWeb]


@pytest.fixture
def web(fake_web: Web) -> FakeWeb:
    return fake_web(expand(HOSTS))


def test_member_weighted_verdict_and_suggestion(
    web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]], run_cli: CliRunner
) -> None:
    """Counts per server decide the tallies; the focus two servers share wins on weight."""
    result = run_cli(
        "compare", "good.test=40", "also.test=2", "@x:none.test", "none.test=4", "broken.test=3", "--json",
        *lab_flags(web),
    )  # fmt: skip
    assert result.code == 1, result.err  # broken.test has an error finding
    out = result.json()
    assert out["summary"] | {"line": None} == {
        "members_total": 50, "members_can_speak": 42, "members_listen_only": 8, "members_unknown": 0,
        "servers_total": 4, "servers_can_speak": 2, "servers_listen_only": 2, "servers_unknown": 0, "line": None,
        "members_openid_unreachable": 0, "servers_openid_unreachable": 0,
    }  # fmt: skip
    assert (
        out["summary"]["line"]
        == "Calls work for 42 of 50 members; 8 members on 2 servers can listen but not speak"
    )
    assert "members_cannot_join" not in out["summary"]
    suggestion = out["suggestion"]
    assert suggestion["livekit_service_url"] == GOOD
    assert suggestion["members_served"] == 42 and suggestion["servers_served"] == ["good.test", "also.test"]
    assert [g["server"] for g in suggestion["add_transport"]] == ["none.test", "broken.test"]
    servers = {s["server"]: s for s in out["servers"]}
    assert [s["server"] for s in out["servers"]] == ["good.test", "none.test", "broken.test", "also.test"]
    assert servers["none.test"]["members"] == 5 and servers["none.test"]["verdict"] == "listen-only"
    assert servers["also.test"]["transport_url"] == OTHER and servers["also.test"]["verdict"] == "can-speak"
    assert {"findings", "foci", "clients", "probes", "status"} <= servers["good.test"].keys()
    assert servers["broken.test"]["foci"][0]["health"] == "broken"


def test_default_one_member_and_markdown(
    web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]], run_cli: CliRunner
) -> None:
    """Without counts every server weighs one member; the markdown starts with the summary line."""
    result = run_cli("compare", "good.test", "none.test", *lab_flags(web))
    assert result.code == 1, result.err  # none.test: no-rtc-transport is an error, as in `check`
    assert result.out.startswith(
        "**Calls work for 1 of 2 members; 1 member on 1 server can listen but not speak.**"
    )
    assert f"`{GOOD}`" in result.out and "LIVEKIT_FULL_ACCESS_HOMESERVERS" in result.out
    assert run_cli("compare", "good.test=3", *lab_flags(web)).code == 0


def test_dead_server_is_unknown_and_does_not_hold_up_the_rest(
    web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]], run_cli: CliRunner
) -> None:
    """A server that never answers is reported as unknown within the deadline; the others complete."""
    started = time.monotonic()
    result = run_cli("compare", "dead.test=7", "good.test=2", "--json", "--deadline", "2", *lab_flags(web))
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed
    out = result.json()
    assert out["summary"]["members_unknown"] == 7 and out["summary"]["members_can_speak"] == 2
    dead = next(s for s in out["servers"] if s["server"] == "dead.test")
    assert dead["verdict"] == "unknown"
    assert "check-deadline" in [f["code"] for f in dead["findings"]]


def test_no_healthy_focus_gives_null_suggestion(
    web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]], run_cli: CliRunner
) -> None:
    result = run_cli("compare", "none.test", "broken.test=2", "--json", *lab_flags(web))
    out = result.json()
    assert out["suggestion"]["livekit_service_url"] is None
    assert out["summary"]["members_listen_only"] == 3


@pytest.mark.parametrize("target", ["x.test=abc", "bad target=3", "x.test=99999999999", "=4"])
def test_bad_counted_targets_are_usage_errors(target: str, run_cli: CliRunner) -> None:
    result = run_cli("compare", target)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
