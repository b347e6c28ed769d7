"""The lk-jwt-service stand-in answers as element-hq/lk-jwt-service's `main.go` documents.

lk-jwt-service ships no package a test could install, so the fake must keep to its contract:
OPTIONS 200 with its exact CORS headers, GET 405 with an empty body, `POST {}` 400 `M_BAD_JSON`,
non-JSON 400 `M_NOT_JSON`, and Go's `ServeMux` 301 for an unclean path such as `//sfu/get`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme

from foci_bot.addrguard import ConnectTo
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.model import Fetch
from tests.support.fakeservers import LK_CORS, FakeWeb, lk_jwt_routes


def test_lk_jwt_fake_follows_the_service_contract(
    fake_web: Callable[[dict[str, Any]], FakeWeb], test_ca: tuple[trustme.CA, Path]
) -> None:
    web = fake_web({"lk.test": lk_jwt_routes("/jwt")})
    options = HttpOptions(
        connect_to=(ConnectTo.parse(f"lk.test:443:127.0.0.1:{web.port}"),),
        cacert=str(test_ca[1]),
        allow_private=True,
        timeout=3,
    )
    base = "https://lk.test/jwt"

    async def go() -> list[Fetch]:
        async with HttpClient(options) as http:
            ask = http.fetch
            return list(
                await asyncio.gather(
                    ask(base + "/sfu/get", method="OPTIONS", follow_redirects=False),
                    ask(base + "/sfu/get", follow_redirects=False),
                    ask(base + "/sfu/get", method="POST", data=b"{}", follow_redirects=False),
                    ask(base + "/get_token", method="POST", data=b"{}", follow_redirects=False),
                    ask(base + "/sfu/get", method="POST", data=b"not json", follow_redirects=False),
                    ask(base + "//sfu/get", method="POST", data=b"{}", follow_redirects=False),
                    ask(base + "/healthz", follow_redirects=False),
                )
            )

    options_, get, post, token, garbage, unclean, healthz = asyncio.run(go())
    assert options_.status == 200
    assert {k: options_.header(k) for k in map(str.lower, LK_CORS)} == {
        k.lower(): v for k, v in LK_CORS.items()
    }
    assert get.status == 405 and get.body == b""
    assert post.status == 400 and json.loads(post.body)["errcode"] == "M_BAD_JSON"
    assert token.status == 400 and json.loads(token.body)["errcode"] == "M_BAD_JSON"
    assert garbage.status == 400 and json.loads(garbage.body)["errcode"] == "M_NOT_JSON"
    assert unclean.status == 301 and unclean.header("location") == "/sfu/get"
    assert healthz.status == 200
