"""The guarded HTTP client and the engine's use of our own homeserver, against real local HTTPS servers."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

from foci_bot.addrguard import ConnectTo
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import FetchError
from foci_bot.servername import parse_target
from foci_bot.text import json_text
from tests.support.dnsserver import LoopbackDns
from tests.support.fakeservers import FakeWeb, documented_server, expand

Factory = Callable[[dict[str, Any]], FakeWeb]


def _options(web: FakeWeb, ca: Path, **kwargs: Any) -> HttpOptions:
    rules = tuple(ConnectTo.parse(f"{host}:443:127.0.0.1:{web.port}") for host in web.routes)
    return HttpOptions(connect_to=rules, cacert=str(ca), timeout=3, **kwargs)


def test_authorization_not_forwarded_across_origins(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """A redirect to another origin drops the Authorization header; the first origin got it."""
    redirect = {"status": 302, "headers": {"Location": "https://b.test/landing"}}
    web = fake_web(expand({"a.test": {"/start": redirect}, "b.test": {"/landing": {"json": {}}}}))

    async def go() -> int | None:
        async with HttpClient(_options(web, test_ca[1], allow_private=True)) as http:
            return (
                await http.fetch("https://a.test/start", headers={"Authorization": "Bearer secret"})
            ).status

    assert asyncio.run(go()) == 200
    assert web.requests_for("a.test")[0].headers.get("Authorization") == "Bearer secret"
    assert "Authorization" not in web.requests_for("b.test")[0].headers


def test_own_server_exemption_is_per_request(fake_web: Factory, test_ca: tuple[trustme.CA, Path]) -> None:
    """Only a request marked ``own_server`` skips the guard; the same URL without the mark is
    blocked even right after (no pooled connection reused), and the own request's redirect to
    another origin is guarded again."""
    away = {"status": 302, "headers": {"Location": "https://other.test/x"}}
    web = fake_web(
        expand({"own.test": {"/x": {"json": {}}, "/away": away}, "other.test": {"/x": {"json": {}}}})
    )

    async def go() -> tuple[int | None, FetchError | None, FetchError | None, FetchError | None]:
        async with HttpClient(_options(web, test_ca[1])) as http:
            own = await http.fetch("https://own.test/x", own_server=True)
            same = await http.fetch("https://own.test/x")
            redirected = await http.fetch("https://own.test/away", own_server=True)
            other = await http.fetch("https://other.test/x")
            return own.status, same.error, redirected.error, other.error

    blocked = FetchError.BLOCKED
    assert asyncio.run(go()) == (200, blocked, blocked, blocked)
    assert [r.path for r in web.requests_for("own.test")] == ["/x", "/away"]
    assert web.requests_for("other.test") == []


def test_own_homeserver_read_with_token_at_configured_url(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path], test_dns: LoopbackDns
) -> None:
    """Our own server's transports are read at the configured URL with our token; the
    well-known's base_url never sees the token."""
    transports = [{"type": "livekit", "livekit_service_url": "https://rtc.own.test/livekit/jwt"}]
    hosts = {
        "own.test": documented_server("own.test", None, transports="missing"),
        "internal.test": {"preset:homeserver": {"transports": transports}},
        "rtc.own.test": {"preset:lk-jwt": {}},
    }
    web = fake_web(expand(hosts))

    async def go() -> Any:
        # Names resolve at the loopback DNS server (the federation check asks for SRV records).
        dns_server = ("127.0.0.1", test_dns.port)
        async with HttpClient(_options(web, test_ca[1], allow_private=True, dns_server=dns_server)) as http:
            checker = Checker(
                http, CheckOptions(deadline=10), tokens={"Own.Test": "tok"},
                homeservers={"own.test": "https://internal.test/"},
            )  # fmt: skip
            return await checker.check(parse_target("own.test"))

    report = asyncio.run(go())
    assert report.transport == "working" and report.transports_state == "listed"
    seen = [r for r in web.requests_for("internal.test") if "rtc/transports" in r.path]
    # The browser-style preflight (OPTIONS) carries no credentials; the GET carries our token.
    assert {r.method for r in seen} == {"GET", "OPTIONS"}
    assert all(r.headers.get("Authorization") == ("Bearer tok" if r.method == "GET" else None) for r in seen)
    assert all("Authorization" not in r.headers for r in web.requests_for("own.test"))
    assert "transports-endpoint-open" not in {f.code for f in report.findings}


def test_browser_replay_options(fake_web: Factory, test_ca: tuple[trustme.CA, Path]) -> None:
    """No-redirect requests return the 3xx; Origin turns `null` after a cross-origin hop, as in
    browsers; repeated headers are joined; POST bodies are sent."""
    redirect = {"status": 301, "headers": {"Location": "https://b.test/landing"}}
    two = {"json": {}, "headers": {"Access-Control-Allow-Origin": "*"}}

    async def echo(request: web.Request) -> web.StreamResponse:
        response = web.Response(status=400, body=await request.read())
        response.headers.add("Access-Control-Allow-Origin", "*")
        response.headers.add("Access-Control-Allow-Origin", "https://app.element.io")
        return response

    site = fake_web(expand({"a.test": {"/start": redirect, "/post": echo}, "b.test": {"/landing": two}}))

    async def go() -> tuple[Any, ...]:
        async with HttpClient(_options(site, test_ca[1], allow_private=True)) as http:
            origin = {"Origin": "https://app.element.io"}
            kept = await http.fetch("https://a.test/start", headers=origin, follow_redirects=False)
            followed = await http.fetch("https://a.test/start", headers=origin)
            posted = await http.fetch("https://a.test/post", method="POST", data=b"{}", headers=origin)
            return kept, followed, posted

    kept, followed, posted = asyncio.run(go())
    assert kept.status == 301 and kept.header("location") == "https://b.test/landing" and not kept.hops
    assert (
        followed.status == 200
        and followed.origin == "null"
        and followed.hops[0].origin == "https://app.element.io"
    )
    assert site.requests_for("b.test")[0].headers.get("Origin") == "null"
    assert (
        posted.body == b"{}" and posted.header("access-control-allow-origin") == "*, https://app.element.io"
    )


def test_undecodable_header_bytes_become_visible_replacement_characters() -> None:
    """A server sending bytes that are not UTF-8 in header values (aiohttp keeps them as lone
    surrogates) yields headers and a redirect trail that every output can encode."""
    raw = (
        b"HTTP/1.1 302 Found\r\nServer: evil\xff\xfe\r\nAccess-Control-Allow-Origin: \xc3(\r\n"
        b"Location: /next\xff\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(raw)
        await writer.drain()
        writer.close()

    async def go() -> Any:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with HttpClient(HttpOptions(allow_private=True, timeout=3)) as http:
                return await http.fetch(f"http://127.0.0.1:{port}/start")
        finally:
            server.close()
            await server.wait_closed()

    fetch = asyncio.run(go())
    shown = json_text(
        {
            "headers": fetch.headers,
            "final": fetch.final_url,
            "detail": fetch.detail,
            "hops": [h.url for h in fetch.hops],
        }
    )
    shown.encode("utf-8")  # strict
    assert "\ufffd" in shown and fetch.hops and fetch.hops[0].cors == "\ufffd("


def test_credentials_in_a_redirect_location_are_neither_followed_nor_recorded(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """Location: ``scheme://user:pass@host/``, for https and for another scheme: the fetch fails as
    a bad URL, nothing is requested there, and no field of the result holds the password."""
    locations = [
        "https://locuser:locpass@b.test/x",
        "ftp://locuser:locpass@b.test/x",
        "//locuser:locpass@b.test/x",
    ]
    routes = {f"/r{i}": {"status": 302, "headers": {"Location": loc}} for i, loc in enumerate(locations)}
    web = fake_web(expand({"a.test": routes, "b.test": {"/x": {"json": {}}}}))

    async def go() -> list[Any]:
        async with HttpClient(_options(web, test_ca[1], allow_private=True)) as http:
            return [await http.fetch(f"https://a.test/r{i}") for i in range(len(locations))]

    for fetch in asyncio.run(go()):
        assert fetch.error == FetchError.BAD_URL
        assert "locpass" not in repr(fetch) and "locuser" not in repr(fetch), fetch
    assert web.requests_for("b.test") == []


def test_without_an_extra_ca_certificates_are_still_verified(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """No ``--cacert``: the system's CAs decide (aiohttp's verified default context), so the test
    CA's certificate is refused, for the guarded pool and the own-server pool alike; with it, both
    connect."""
    web = fake_web(expand({"a.test": {"/x": {"json": {}}}}))
    rules = (ConnectTo.parse(f"a.test:443:127.0.0.1:{web.port}"),)

    async def go(cacert: str | None) -> list[tuple[FetchError | None, int | None]]:
        options = HttpOptions(connect_to=rules, cacert=cacert, timeout=3, allow_private=True)
        async with HttpClient(options) as http:
            out = []
            for own in (False, True):
                fetch = await http.fetch("https://a.test/x", own_server=own)
                out.append((fetch.error, fetch.status))
            return out

    assert asyncio.run(go(None)) == [(FetchError.TLS, None)] * 2
    assert asyncio.run(go(str(test_ca[1]))) == [(None, 200)] * 2


def test_a_compressed_body_is_capped_as_it_is_decompressed(
    fake_web: Factory, test_ca: tuple[trustme.CA, Path]
) -> None:
    """Content-Length counts compressed bytes: 200 KB of gzip declared as about 200 bytes is still
    refused at the 64 KiB cap, while a small compressed body arrives decompressed."""

    def gzipped(size: int) -> Any:
        async def handler(_request: web.Request) -> web.Response:
            body = gzip.compress(b" " * size)
            return web.Response(
                body=body, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
            )

        return handler

    web_ = fake_web({"gz.test": {"/big": gzipped(200_000), "/small": gzipped(1_000)}})
    rules = (ConnectTo.parse(f"gz.test:443:127.0.0.1:{web_.port}"),)

    async def go() -> list[tuple[FetchError | None, int]]:
        options = HttpOptions(connect_to=rules, cacert=str(test_ca[1]), timeout=3, allow_private=True)
        async with HttpClient(options) as http:
            out = []
            for path in ("/big", "/small"):
                fetch = await http.fetch(f"https://gz.test{path}", body_cap=64 * 1024)
                out.append((fetch.error, len(fetch.body or b"")))
            return out

    assert asyncio.run(go()) == [(FetchError.TOO_LARGE, 0), (None, 1_000)]
