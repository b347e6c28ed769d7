"""``check --access-token-file/--homeserver`` and ``--dns-server``: usage errors, and the token goes
only to the homeserver URL given, never to one a well-known chose."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from foci_bot.config import ConfigError, load_config
from tests.conftest import CliRunner, WebFactory
from tests.support.fakeservers import FakeWeb, expand, homeserver_routes

TOKEN = "syt_secret_token_value"


@pytest.mark.parametrize(
    "args",
    [
        ["check", "a.test", "--access-token-file", "{token}"],
        ["check", "a.test", "--homeserver", "https://a.test"],
        ["check", "a.test", "b.test", "--access-token-file", "{token}", "--homeserver", "https://a.test"],
        ["check", "a.test", "--access-token-file", "{token}", "--homeserver", "ftp://a.test"],
        ["check", "a.test", "--access-token-file", "/nonexistent/token", "--homeserver", "https://a.test"],
        ["check", "a.test", "--dns-server", "resolver.example:53"],
        ["check", "a.test", "--dns-server", "127.0.0.1"],
    ],
)
def test_usage_errors(args: list[str], run_cli: CliRunner, tmp_path: Path) -> None:
    """Bad combinations are one line on stderr and exit status 2, before any request."""
    token = tmp_path / "token"
    token.write_text(TOKEN)
    result = run_cli(*[a.format(token=token) for a in args])
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and TOKEN not in result.err


def test_token_goes_only_to_the_given_homeserver(
    fake_web: WebFactory, lab_flags: Callable[[FakeWeb], list[str]], run_cli: CliRunner, tmp_path: Path
) -> None:
    """The well-known names another base_url; the token is sent to --homeserver alone."""
    content = {"m.homeserver": {"base_url": "https://matrix.a.test"}}
    web = fake_web(
        expand(
            {
                "a.test": {"/.well-known/matrix/client": {"json": content}},
                "matrix.a.test": {"preset:homeserver": {}},
                "hs.a.test": {"preset:homeserver": {}},
            }
        )
    )
    web.routes["hs.a.test"].update(homeserver_routes(transports=[]))
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    result = run_cli(
        "check", "a.test", "--json", "--access-token-file", str(token), "--homeserver", "https://hs.a.test/",
        *lab_flags(web),
    )  # fmt: skip
    report = result.json()["servers"][0]
    assert report["e2e"] == []  # the endpoint, read with the token, lists no transport to try
    carried = {s.host for s in web.seen if "authorization" in {k.lower() for k in s.headers}}
    assert carried == {"hs.a.test"}
    assert TOKEN not in result.out and TOKEN not in result.err


def test_config_dns_server(tmp_path: Path) -> None:
    """`[checks] dns_server` takes ADDR:PORT; anything else names the key."""
    base = '[matrix]\nhomeserver = "https://hs.test"\nuser_id = "@b:hs.test"\npassword = "x"\n'
    path = tmp_path / "c.toml"
    path.write_text(base + '[checks]\ndns_server = "127.0.0.1:5353"\n')
    assert load_config(path).checks.dns_server == ("127.0.0.1", 5353)
    path.write_text(base + '[checks]\ndns_server = "[::1]:53"\n')
    assert load_config(path).checks.dns_server == ("::1", 53)
    path.write_text(base + '[checks]\ndns_server = "dns.example:53"\n')
    with pytest.raises(ConfigError, match="dns_server"):
        load_config(path)
