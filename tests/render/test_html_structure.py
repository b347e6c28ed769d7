"""Every reply shape renders to the HTML structure its markdown means.

Chat clients show ``formatted_body``, which is Python-Markdown's HTML: a list without a blank line
before it, or nested by two spaces, silently becomes a run-on paragraph. These tests parse the
HTML (``html.parser``) and check the tree, not the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from foci_bot.bot.commands import help_markdown, usage_markdown, version_markdown
from foci_bot.bot.reply import notice
from foci_bot.bot.room_command import BUSY, NO_ARGS
from foci_bot.checks.report import analyse
from foci_bot.model import Fetch, FetchError, Observations, ProbeResult, ServerName, ServerReport
from foci_bot.render.room import compare_sections, room_sections
from foci_bot.render.server import check_markdown, sections_html, to_html
from foci_bot.room.verdict import verdict
from tests.room.test_room import analyse_file, report_of

ROOMS = Path(__file__).parent.parent / "data" / "rooms"
_VOID = {"br", "hr", "img"}


@dataclass
class Node:
    tag: str
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def find_all(self, tag: str) -> list[Node]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.find_all(tag)
        return found

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag)
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def tree(html: str) -> Node:
    parser = _Tree()
    parser.feed(html)
    parser.close()
    assert parser.stack == [parser.root], "unclosed tags"
    return parser.root


def no_markdown_leaks(root: Node) -> None:
    """No paragraph holds what should have been a list item (a run-on list)."""
    for p in root.find_all("p"):
        text = p.all_text()
        assert "\n- " not in text and " - `" not in text, f"list run into a paragraph: {text[:200]!r}"


def _wellknown(body: bytes, cors: str | None = "*") -> Fetch:
    headers = {"content-type": "application/json"}
    if cors:
        headers["access-control-allow-origin"] = cors
    return Fetch(url="https://x.test/.well-known/matrix/client", status=200, body=body, headers=headers)


def _server(broken_focus: bool) -> ServerReport:
    url = "https://rtc.x.test/livekit/jwt"
    wk = _wellknown(
        b'{"m.homeserver": {"base_url": "https://x.test"},'
        b' "org.matrix.msc4143.rtc_foci": [{"type": "livekit", "livekit_service_url": "'
        + url.encode()
        + b'"}]}'
    )
    bad = Fetch(url=url, status=404, body=b"404 page not found")
    probe = (
        ProbeResult(url=url, preflight=bad, sfu_get=bad, get_token=bad, healthz=bad, root=bad)
        if broken_focus
        else None
    )
    missing = Fetch(url="https://x.test/t", status=404, body=b'{"errcode": "M_UNRECOGNIZED"}')
    return analyse(
        Observations(
            server=ServerName("x.test"),
            wellknown=wk,
            transports_unstable=missing,
            probes={url: probe} if probe else {},
        )
    )


def test_server_report_structure() -> None:
    """Heading, one list of four clients, and findings whose fixes are nested lists."""
    root = tree(to_html(check_markdown([_server(broken_focus=True)])))
    assert len(root.find_all("h3")) == 1
    lists = [ul for ul in root.children if ul.tag == "ul"]
    assert len(lists) == 3  # clients, advertised, findings
    assert len([li for li in lists[0].children if li.tag == "li"]) == 4
    findings = [li for li in lists[2].children if li.tag == "li"]
    fixes = [li for li in findings if li.find_all("ul")]
    assert fixes, "no finding has its fix nested"
    for li in fixes:
        nested = li.find_all("ul")[0]
        assert nested.children[0].tag == "li" and nested.find_all("em")[0].text == "Fix:"
    no_markdown_leaks(root)


def test_unreachable_server_says_one_cause_and_unknown() -> None:
    """One DNS failure is one finding, and every client is "unknown", never "none"."""
    dead = Fetch(
        url="https://gone.test/.well-known/matrix/client", error=FetchError.DNS, detail="no such name"
    )
    endpoint = Fetch(url="https://gone.test/t", error=FetchError.DNS, detail="no such name")
    report = analyse(
        Observations(server=ServerName("gone.test"), wellknown=dead, transports_unstable=endpoint)
    )
    assert [f.code for f in report.findings] == ["server-unreachable"]
    assert {v.url for v in report.clients} == {"unknown"}
    markdown = check_markdown([report])
    assert "**none**" not in markdown and "✅" not in markdown
    root = tree(to_html(markdown))
    assert len(root.find_all("li")) >= 4
    no_markdown_leaks(root)


def test_several_servers_structure() -> None:
    root = tree(to_html(check_markdown([_server(False), _server(True)])))
    assert len(root.find_all("h3")) == 2
    no_markdown_leaks(root)


def test_room_report_suggestion_lists_nest() -> None:
    """The "Suggested shared backend" lists are lists, nested under their line (not a paragraph)."""
    _, report = analyse_file(ROOMS / "mixed-servers.json")
    root = tree(sections_html(room_sections(report)))
    suggestion = next(p for p in root.find_all("p") if "Suggested shared backend" in p.all_text())
    assert "- " not in suggestion.all_text()
    items = [li for ul in root.find_all("ul") for li in ul.children if li.tag == "li"]
    nested = [li for li in items if li.find_all("ul")]
    assert nested, "no nested server list under the suggestion"
    assert all(li.tag == "li" for ul in nested[0].find_all("ul") for li in ul.children)
    assert root.find_all("details") and root.find_all("summary")
    no_markdown_leaks(root)


def test_compare_structure() -> None:
    data = json.loads((ROOMS / "mixed-servers.json").read_text())
    reports = {name: report_of(name, spec) for name, spec in data["servers"].items()}
    result = verdict({name: 3 for name in reports}, reports)
    root = tree(sections_html(compare_sections(result)))
    assert root.find_all("strong") and root.find_all("ul")
    no_markdown_leaks(root)


def test_help_and_errors_structure() -> None:
    """Help is a paragraph and one list item per command; usage errors are one paragraph."""
    markdown = help_markdown("!foci", 10)
    root = tree(to_html(markdown))
    commands = [line for line in markdown.splitlines() if line.startswith("- ")]
    assert len([li for li in root.find_all("ul")[0].children if li.tag == "li"]) == len(commands) >= 4
    assert all(li.find_all("code") for li in root.find_all("li"))
    usage = tree(to_html(usage_markdown("unknown word `frob`", "!foci")))
    assert [c.tag for c in usage.children if c.tag != "root"] == ["p"]
    no_markdown_leaks(root)


def test_error_replies_are_one_paragraph() -> None:
    """The bot's short error answers (busy, no arguments, timeout, version) are one paragraph each."""
    texts = [
        BUSY,
        NO_ARGS.format(prefix="!foci"),
        "The check did not finish in time; please try again later.\n",
        "Slow down: at most 5 commands per 60 seconds.\n",
        version_markdown(),
    ]
    for text in texts:
        root = tree(to_html(text))
        assert [c.tag for c in root.children] == ["p"], text


def test_shortened_reply_keeps_its_lists() -> None:
    """A report cut to fit one event still renders lists as lists, ending with the note."""
    reports = [_server(broken_focus=True) for _ in range(3)]
    content = notice(check_markdown(reports), budget=3000)
    root = tree(str(content["formatted_body"]))
    assert root.find_all("ul") and root.find_all("li")
    assert "left out" in root.children[-1].all_text()
    no_markdown_leaks(root)
