"""The end-to-end token flow's pure rules: bodies Element Call sends and what each answer means."""

from __future__ import annotations

import json

import pytest

from foci_bot.callflow import E2eStep
from foci_bot.checks.e2e import (
    e2e_findings,
    judge_validate,
    openid_path,
    read_openid,
    read_token_answer,
    sfu_url_public,
    token_body,
    validate_url,
)
from foci_bot.model import Fetch, FetchError


def _f(status: int | None, body: object = b"", error: FetchError | None = None) -> Fetch:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(url="https://x.test/", status=status, body=raw, error=error)


def test_bodies_are_element_calls() -> None:
    """`/sfu/get` gets room/openid_token/device_id; `/get_token` room_id/slot_id/member."""
    openid = {"access_token": "t", "matrix_server_name": "a.test"}
    legacy = json.loads(
        token_body("/sfu/get", room_id="!r:a.test", openid=openid, user_id="@u:a.test", device_id="D")
    )
    assert legacy == {"room": "!r:a.test", "openid_token": openid, "device_id": "D"}
    modern = json.loads(
        token_body("/get_token", room_id="!r:a.test", openid=openid, user_id="@u:a.test", device_id="D")
    )
    assert modern == {
        "room_id": "!r:a.test",
        "slot_id": "m.call#!r:a.test",
        "openid_token": openid,
        "member": {"id": "D", "claimed_user_id": "@u:a.test", "claimed_device_id": "D"},
    }
    assert openid_path("@u:a.test") == "/_matrix/client/v3/user/%40u%3Aa.test/openid/request_token"


def test_read_openid() -> None:
    token = {"access_token": "t", "token_type": "Bearer", "matrix_server_name": "a.test", "expires_in": 3600}
    assert read_openid(_f(200, {**token, "extra": 1})) == token
    assert read_openid(_f(401, {"errcode": "M_UNKNOWN_TOKEN"})) is None
    assert read_openid(_f(200, {"access_token": 5})) is None


@pytest.mark.parametrize(
    ("fetch", "verdict"),
    [
        (_f(200, {"url": "wss://sfu", "jwt": "j"}), None),
        (_f(401, {"errcode": "M_UNAUTHORIZED"}), "openid-failed"),
        (_f(500, {"errcode": "M_LOOKUP_FAILED"}), "openid-failed"),
        (_f(500, {"errcode": "M_UNKNOWN", "error": "Unable to create room on SFU"}), "room-create-failed"),
        (_f(500, {"errcode": "M_UNKNOWN", "error": "boom"}), "service-error"),
        (_f(200, {"url": "wss://sfu"}), "service-error"),
        (_f(502, b"Bad Gateway"), "service-error"),
        (_f(None, error=FetchError.TIMEOUT), "service-error"),
    ],
)
def test_read_token_answer(fetch: Fetch, verdict: str | None) -> None:
    """lk-jwt-service's answers by version map to one verdict each."""
    assert read_token_answer(fetch)[0] == verdict


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("wss://sfu.example.org", True),
        ("wss://sfu.example.org:7881/livekit/sfu", True),
        ("ws://sfu.example.org", False),
        ("wss://localhost:7880", False),
        ("wss://127.0.0.1", False),
        ("wss://10.0.0.5", False),
        ("wss://8.8.8.8", True),
        ("wss://livekit", False),
        ("https://sfu.example.org", False),
        ("not a url", False),
    ],
)
def test_sfu_url_public(url: str, public: bool) -> None:
    """Only `wss://` to a public host works in browsers elsewhere."""
    assert sfu_url_public(url) is public


def test_validate_url() -> None:
    assert validate_url("wss://sfu.example.org") == "https://sfu.example.org/rtc/validate"
    assert (
        validate_url("wss://sfu.example.org/livekit/sfu/")
        == "https://sfu.example.org/livekit/sfu/rtc/validate"
    )
    assert validate_url("ftp://x") is None


@pytest.mark.parametrize(
    ("fetch", "verdict"),
    [
        (_f(200, b"success"), "ok"),
        (_f(401, b"invalid token"), "sfu-rejected-token"),
        (_f(404, b"requested room does not exist"), "room-restricted"),
        (_f(503, b""), "sfu-capacity"),
        (_f(429, b""), "sfu-capacity"),
        (_f(502, b""), "sfu-unreachable"),
        (_f(None, error=FetchError.CONNECT), "sfu-unreachable"),
    ],
)
def test_judge_validate(fetch: Fetch, verdict: str) -> None:
    """The SFU's `/rtc/validate` answers as Element Call's Connection.ts maps them."""
    assert judge_validate(fetch) == verdict


def test_findings_one_per_failed_step() -> None:
    ok = E2eStep("https://j.test", "/sfu/get", 200, None, "wss://s.test", 200, "ok")
    bad = E2eStep("https://j.test", "/get_token", 200, None, "wss://s.test", 401, "sfu-rejected-token")
    found = e2e_findings((ok, bad))
    assert [(f.code, f.severity) for f in found] == [("e2e-sfu-rejected-token", "error")]
    assert "Element Call shows SFU_ERROR" in found[0].message and found[0].hint
    assert e2e_findings(None) == [] and e2e_findings(()) == []
