"""Federation resolution decisions and OpenID answers, as tables (server-server API, "Resolving server names")."""

from __future__ import annotations

import json

import pytest

from foci_bot.callflow import FederationTarget
from foci_bot.checks.federation import (
    SrvRecord,
    default_target,
    delegated_target,
    direct_target,
    federation_findings,
    judge_openid,
    read_server_wellknown,
    srv_target,
)
from foci_bot.model import Fetch, FetchError
from foci_bot.servername import parse_server_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1.2.3.4", FederationTarget("1.2.3.4", 8448, "1.2.3.4", "1.2.3.4", "ip-literal")),
        ("1.2.3.4:99", FederationTarget("1.2.3.4", 99, "1.2.3.4", "1.2.3.4:99", "ip-literal")),
        (
            "[2001:db8::1]",
            FederationTarget("2001:db8::1", 8448, "2001:db8::1", "[2001:db8::1]", "ip-literal"),
        ),
        (
            "example.org:8000",
            FederationTarget("example.org", 8000, "example.org", "example.org:8000", "explicit-port"),
        ),
        ("example.org", None),
    ],
)
def test_direct_target(name: str, expected: FederationTarget | None) -> None:
    """IP literals and explicit ports need no lookup; a bare name does."""
    assert direct_target(parse_server_name(name)) == expected


def test_server_url_brackets_ipv6() -> None:
    assert direct_target(parse_server_name("[::1]:5")) is not None
    assert direct_target(parse_server_name("[::1]:5")).server_url == "https://[::1]:5"  # type: ignore[union-attr]


def _wk(status: int, body: object) -> Fetch:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(url="https://example.org/.well-known/matrix/server", status=status, body=raw)


@pytest.mark.parametrize(
    ("fetch", "delegated"),
    [
        (_wk(200, {"m.server": "matrix.example.org:443"}), "matrix.example.org:443"),
        (_wk(200, {"m.server": "matrix.example.org"}), "matrix.example.org"),
        (_wk(200, {"m.server": "1.2.3.4"}), "1.2.3.4"),
        (_wk(200, {"m.server": "bad name!"}), None),
        (_wk(200, {"m.server": 5}), None),
        (_wk(200, [1]), None),
        (_wk(200, b"<html>"), None),
        (_wk(404, {"m.server": "x.example.org"}), None),
        (Fetch(url="https://example.org/", error=FetchError.DNS), None),
        (None, None),
    ],
)
def test_read_server_wellknown(fetch: Fetch | None, delegated: str | None) -> None:
    """Only a 200 JSON object with a valid `m.server` delegates."""
    name, why = read_server_wellknown(fetch)
    assert (str(name) if name else None) == delegated
    assert bool(why) == (delegated is None)


@pytest.mark.parametrize(
    ("delegated", "expected"),
    [
        (
            "m.example.org:443",
            FederationTarget("m.example.org", 443, "m.example.org", "m.example.org:443", "well-known"),
        ),
        ("5.6.7.8", FederationTarget("5.6.7.8", 8448, "5.6.7.8", "5.6.7.8", "well-known")),
        ("m.example.org", None),
    ],
)
def test_delegated_target(delegated: str, expected: FederationTarget | None) -> None:
    """A delegated IP literal or explicit port is used as is; a bare delegated name goes to SRV."""
    assert delegated_target(parse_server_name(delegated)) == expected


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], None),
        ([SrvRecord(0, 0, 8448, "")], None),  # "." : explicitly not available
        ([SrvRecord(10, 0, 8448, "a.example.net")], ("a.example.net", 8448)),
        (
            [SrvRecord(20, 0, 1, "late.example.net"), SrvRecord(10, 0, 2, "early.example.net")],
            ("early.example.net", 2),
        ),
        (
            [SrvRecord(10, 1, 1, "light.example.net"), SrvRecord(10, 9, 2, "heavy.example.net")],
            ("heavy.example.net", 2),
        ),
        ([SrvRecord(10, 0, 0, "zero.example.net")], None),
    ],
)
def test_srv_target(records: list[SrvRecord], expected: tuple[str, int] | None) -> None:
    """Lowest priority, then heaviest weight; TLS and Host stay the server name."""
    target = srv_target("example.org", records)
    if expected is None:
        assert target is None
        return
    assert target is not None
    assert (target.connect_host, target.port) == expected
    assert (target.tls_name, target.host_header, target.via) == ("example.org", "example.org", "srv")


def test_default_target() -> None:
    assert default_target("example.org", False).via == "default-port"
    assert default_target("m.example.org", True) == FederationTarget(
        "m.example.org", 8448, "m.example.org", "m.example.org", "well-known"
    )


_T = FederationTarget("example.org", 8448, "example.org", "example.org", "default-port")


def _answer(status: int, body: object) -> Fetch:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Fetch(url="https://example.org:8448/x", status=status, body=raw)


@pytest.mark.parametrize(
    ("fetch", "state", "code"),
    [
        (_answer(401, {"errcode": "M_UNKNOWN_TOKEN"}), "reachable", None),
        (_answer(401, {"errcode": "M_MISSING_TOKEN"}), "error", "federation-openid-unexpected"),
        (_answer(500, {"errcode": "M_UNKNOWN"}), "error", "federation-openid-unexpected"),
        (_answer(200, {"sub": "@x:example.org"}), "error", "federation-openid-unexpected"),
        (_answer(404, b"Not Found"), "unreachable", "federation-openid-unreachable"),
        (_answer(404, {"errcode": "M_UNRECOGNIZED"}), "unreachable", "federation-openid-unreachable"),
        (_answer(502, {"errcode": "M_UNKNOWN"}), "unreachable", "federation-openid-unreachable"),
        (_answer(401, b"<html>"), "unreachable", "federation-openid-unreachable"),
        (
            Fetch(url="u", error=FetchError.TLS, detail="bad cert"),
            "unreachable",
            "federation-openid-unreachable",
        ),
        (Fetch(url="u", error=FetchError.TIMEOUT), "unreachable", "federation-openid-unreachable"),
        (Fetch(url="u", error=FetchError.BLOCKED, detail="loopback"), "not-checked", None),
    ],
)
def test_judge_openid(fetch: Fetch, state: str, code: str | None) -> None:
    """401 M_UNKNOWN_TOKEN to a random token is the only proof of reachability."""
    fed = judge_openid(_T, fetch)
    assert fed.openid == state
    codes = [f.code for f in federation_findings("example.org", fed)]
    assert codes == ([code] if code else [])


def test_srv_only_warns() -> None:
    """SRV delegation works for the Go service but not the Rust rewrite: a warning."""
    target = srv_target("example.org", [SrvRecord(1, 1, 8448, "fed.example.org")])
    assert target is not None
    fed = judge_openid(target, _answer(401, {"errcode": "M_UNKNOWN_TOKEN"}))
    found = federation_findings("example.org", fed)
    assert [(f.code, f.severity) for f in found] == [("federation-srv-only", "warning")]
    assert federation_findings("example.org", None) == []
