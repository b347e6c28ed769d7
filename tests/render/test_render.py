"""Rendering: remote text never becomes live HTML, a link or a mention; README lists every code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from foci_bot.catalogue import CATALOGUE
from foci_bot.checks.report import analyse
from foci_bot.model import Fetch, Observations, ServerName
from foci_bot.render.server import check_markdown, to_html
from foci_bot.text import quote

HOSTILE = [
    "<script>alert(1)</script>",
    "@room",
    "[click](https://evil.example)",
    "`code` breakout ` <b>x</b>",
    "<https://evil.example>",
    "@alice:example.org",
    "line\nbreak\u202e",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_quoted_text_is_inert_in_html(text: str) -> None:
    """Quoted remote text renders as one code span: no tags, no links, no raw mentions."""
    rendered = to_html(f"before {quote(text)} after")
    assert "<script" not in rendered and "<a " not in rendered and "<b>" not in rendered
    assert "@room" not in rendered and "@alice" not in rendered
    assert rendered.count("<code>") == 1


def test_raw_html_in_markdown_is_escaped() -> None:
    """Even unquoted HTML in the markdown source is shown as text, not markup."""
    rendered = to_html("hello <img src=x onerror=alert(1)> and <https://evil.example>")
    assert "<img" not in rendered and "<a " not in rendered


def test_hostile_wellknown_renders_safely() -> None:
    """A well-known full of markup and mentions produces a report with none of it live."""
    body = (
        b'{"m.homeserver": {"base_url": "https://x.test"}, "<b>@room</b>": 1,'
        b' "org.matrix.msc4143.rtc_foci": [{"type": "<img src=x>", "livekit_jwt_service_url": "[a](https://evil)"},'
        b' {"type": "livekit", "livekit_service_url": "javascript:alert(1)//@room"}]}'
    )
    wk = Fetch(
        url="https://x.test/.well-known/matrix/client",
        status=200,
        body=body,
        headers={"content-type": "text/html", "access-control-allow-origin": "<i>*</i>"},
    )
    report = analyse(Observations(server=ServerName("x.test"), wellknown=wk))
    html = to_html(check_markdown([report]))
    assert not re.search(r"<(?!/?(p|ul|li|code|strong|em|h3)\b)", html), html
    assert "@room" not in html and "@room" not in check_markdown([report])


def test_readme_catalogue_lists_every_code() -> None:
    """Every finding code is documented in the README's catalogue, and nothing else is."""
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text()
    readme = readme.split("## Finding catalogue", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, re.MULTILINE))
    assert documented == set(CATALOGUE)
