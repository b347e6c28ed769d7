"""What a hostile server sends never crashes an output nor leaks: the installed ``foci-bot``
script against real local HTTPS servers (its stdout is a real UTF-8 pipe, as in scripts)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.fakeservers import FakeWeb, expand

# JSON escapes for lone surrogates: valid JSON, but no UTF-8 output can encode them as they are.
SURROGATE_WELLKNOWN = (
    '{"m.homeserver": {"base_url": "https://sur.test"},'
    ' "org.matrix.msc4143.rtc_foci": [{"type": "livekit\\ud800", "livekit_service_url": "https://lk.sur.test/\\ud800live"},'
    ' {"type": "livekit", "livekit_service_url": "https://lk.sur.test/livekit/jwt"}],'
    ' "\\udfffkey": "\\ud800live"}'
)
CORS_JSON = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}


def foci_bot(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """The installed console script, with its real (strict UTF-8) stdout."""
    script = shutil.which("foci-bot", path=str(Path(sys.executable).parent))
    assert script is not None, "foci-bot console script not installed next to the interpreter"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["LC_ALL"] = "C.UTF-8"
    return subprocess.run([script, *args], capture_output=True, timeout=60, env=env, check=False)


@pytest.fixture
def surrogate_web(fake_web: Callable[[dict[str, Any]], FakeWeb]) -> FakeWeb:
    hosts: dict[str, dict[str, Any]] = {
        "sur.test": {
            "/.well-known/matrix/client": {"text": SURROGATE_WELLKNOWN, "headers": CORS_JSON},
            "preset:homeserver": {"transports": "missing"},
        },
        "lk.sur.test": {"preset:lk-jwt": {}},
    }
    return fake_web(expand(hosts))


@pytest.mark.parametrize(
    "command", [["check", "sur.test", "--json"], ["compare", "sur.test", "--json"], ["check", "sur.test"]]
)
def test_lone_surrogates_are_shown_as_replacement_characters(
    command: list[str], surrogate_web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]]
) -> None:
    """``"\\ud800live"`` in a well-known: JSON and markdown come out whole, exit as documented,
    and the unencodable text is visible as U+FFFD rather than dropped."""
    result = foci_bot([*command, *lab_flags(surrogate_web)])
    out = result.stdout.decode("utf-8")  # strict: the output is valid UTF-8
    assert b"Traceback" not in result.stderr and result.returncode in (0, 1), result.stderr
    assert "\ufffdlive" in out
    if "--json" in command:
        json.loads(out)


SECRETS = ("focususer", "focuspass", "baseuser", "basepass", "tpuser", "tppass", "locuser", "locpass")


@pytest.fixture
def credentials_web(fake_web: Callable[[dict[str, Any]], FakeWeb]) -> FakeWeb:
    """user:password@ in every URL a server chooses: focus URLs, base_url, a redirect's Location."""
    foci = [
        {"type": "livekit", "livekit_service_url": "https://focususer:focuspass@lk.cred.test/livekit/jwt"},
        {"type": "livekit", "livekit_service_url": "https:focususer:focuspass@lk.cred.test/a"},
        {"type": "livekit", "livekit_service_url": "https://lk.cred.test/bounce"},
    ]
    wellknown = {
        "m.homeserver": {"base_url": "https://baseuser:basepass@cred.test"},
        "org.matrix.msc4143.rtc_foci": foci,
    }
    listed = [{"type": "livekit", "livekit_service_url": "https://tpuser:tppass@lk.cred.test/livekit/jwt"}]
    location = {
        "status": 302,
        "headers": {"Location": "https://locuser:locpass@lk.cred.test/livekit/jwt/healthz"},
    }
    hosts: dict[str, dict[str, Any]] = {
        "cred.test": {
            "/.well-known/matrix/client": {
                "json": wellknown,
                "headers": {"Access-Control-Allow-Origin": "*"},
            },
            "preset:homeserver": {"transports": listed},
        },
        "lk.cred.test": {
            "preset:lk-jwt": {},
            **{f"/bounce{p}": location for p in ("/healthz", "/sfu/get", "/get_token")},
        },
    }
    return fake_web(expand(hosts))


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["markdown", "json"])
def test_credentials_in_urls_are_named_never_echoed_never_sent(
    json_flag: list[str], credentials_web: FakeWeb, lab_flags: Callable[[FakeWeb], list[str]]
) -> None:
    """A focus URL with user:pass@ gives ``focus-url-credentials``; no password (nor user name)
    appears anywhere in the output (clients, foci, probes, observations), and none is sent."""
    result = foci_bot(["check", "cred.test", *json_flag, *lab_flags(credentials_web)])
    out = result.stdout.decode("utf-8")
    assert b"Traceback" not in result.stderr and result.returncode == 1, result.stderr
    assert "focus-url-credentials" in out and "base-url-invalid" in out
    assert not [s for s in SECRETS if s in out + result.stderr.decode()]
    if json_flag:
        server = json.loads(out)["servers"][0]
        assert all(url is None or "***@" in url for url in server["clients"].values()), server["clients"]
        assert not any("***" in url for url in server["probes"])
    # Only the redirect's start was asked; its Location with credentials was never followed.
    seen = credentials_web.requests_for("lk.cred.test")
    assert not [r for r in seen if r.path.startswith("/livekit/jwt")]
    assert not [r for r in credentials_web.seen if "Authorization" in r.headers]
