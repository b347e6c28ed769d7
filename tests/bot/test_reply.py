"""Event contents the bot sends: notices, replies in threads, edits, size limits (pure)."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from foci_bot.bot.incoming import ReplyTo
from foci_bot.bot.replier import txn_id
from foci_bot.bot.reply import edit, notice, reaction, shorten
from foci_bot.bot.syncpos import SyncPositions
from foci_bot.render.server import Section
from foci_bot.render.size import MAX_CONTENT_BYTES, content_size
from foci_bot.text import quote

ROOM, EVENT, ROOT = "!r:example.org", "$cmd", "$root"
SAFE_TAGS = {"p", "ul", "ol", "li", "code", "strong", "em", "h3", "details", "summary", "br", "pre"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def live_markup(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Tags a client would render that are not plain formatting, or any attributes at all."""
    parser = _Tags()
    parser.feed(html)
    return [(t, a) for t, a in parser.tags if t not in SAFE_TAGS or a]


def test_notice_is_a_reply_without_mentions() -> None:
    """m.notice, body = markdown, formatted_body = HTML, in_reply_to, empty m.mentions."""
    content = notice("**hi** `x`\n", ReplyTo(ROOM, EVENT))
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "**hi** `x`"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "<p><strong>hi</strong> <code>x</code></p>"
    assert content["m.mentions"] == {}
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": EVENT}}


def test_reply_stays_in_the_thread() -> None:
    """A command in a thread is answered in that thread, replying to the command."""
    content = notice("ok", ReplyTo(ROOM, EVENT, ROOT))
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": ROOT,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": EVENT},
    }


def test_edit_replaces_the_notice() -> None:
    """An edit carries m.new_content and the m.replace relation, with a '* ' fallback."""
    content = edit("$progress", "done")
    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$progress"}
    assert content["body"] == "* done"
    assert content["m.new_content"]["body"] == "done"
    assert content["m.new_content"]["m.mentions"] == {} and content["m.mentions"] == {}
    assert "m.relates_to" not in content["m.new_content"]


def test_folded_sections() -> None:
    """Sections with a summary become <details> in HTML and bold headings in the body."""
    content = notice([Section("top"), Section("- a\n- b", "Members")])
    assert "<details><summary>Members</summary>" in content["formatted_body"]
    assert "**Members**" in content["body"]


def test_reaction() -> None:
    """An annotation on the command."""
    assert reaction(EVENT, "👀") == {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": EVENT, "key": "👀"}
    }


def test_hostile_text_stays_inert() -> None:
    """Remote text quoted by the engine never becomes live HTML, links, pills or @room."""
    hostile = "<script>alert(1)</script> @room [x](https://evil.test) <a href='https://evil.test'>y</a> @bob:evil.test"
    text = f"- focus {quote(hostile)}\n- raw line <img src=x onerror=alert(1)> https://evil.test\n"
    content = notice(text, ReplyTo(ROOM, EVENT))
    assert live_markup(content["formatted_body"]) == []
    assert "@room" not in content["body"] and "@bob:evil.test" not in content["body"]


def test_long_answers_are_shortened_with_a_note() -> None:
    """Whole lines are cut from the end until the event fits; a note says how many."""
    lines = [f"- line {i} {quote('x' * 150)}" for i in range(2000)]
    text = "\n".join(lines)
    for content in (notice(text, ReplyTo(ROOM, EVENT, ROOT)), edit("$p", text)):
        assert content_size(content) <= MAX_CONTENT_BYTES
        body = content.get("m.new_content", content)["body"]
        assert "more lines were left out" in body
        kept = [line for line in body.split("\n") if line.startswith("- line")]
        assert kept and all(line.endswith("`") for line in kept)  # code spans never cut open
        assert len(json.dumps(content).encode()) * 4 // 3 + 2000 < 64 * 1024


def test_shorten_counts_lines() -> None:
    """shorten keeps the first lines of the sections and reports the rest."""
    out = shorten([Section("a\nb"), Section("c\nd", "S")], 3)
    assert [s.body for s in out[:2]] == ["a\nb", "c"] and out[1].summary == "S"
    assert "1 more lines" in out[-1].body


def test_transaction_ids_are_stable() -> None:
    """The same answer to the same command always has the same transaction ID."""
    assert txn_id(EVENT, "reply") == txn_id(EVENT, "reply") != txn_id(EVENT, "ack")
    assert txn_id("$other", "reply") != txn_id(EVENT, "reply")


def test_sync_position_waits_for_every_command_of_the_batch() -> None:
    """A batch's token may be stored only when it and all batches before it are handled."""
    positions = SyncPositions()
    assert positions.add("t1", 1, {"$a", "$b"}) is None
    assert positions.add("t2", 2, set()) is None
    assert positions.add("t3", 3, {"$c"}) is None
    assert positions.done("$c") is None  # t1 still waits for $a and $b
    assert positions.done("$a") is None
    assert positions.done("$b") == ("t3", 3)
    assert positions.add("t4", 4, set()) == ("t4", 4)
    assert positions.waiting == 0


def test_echoed_user_input_is_inert() -> None:
    """What the user typed comes back in the usage line as a code span: no link, no @room, and
    not lower-cased."""
    from foci_bot.bot.commands import Usage, parse_command, usage_markdown

    for body, typed in (("!foci [x](https://evil.example)", "evil.example"), ("!foci @room", "room")):
        command = parse_command(body)
        assert isinstance(command, Usage), command
        content = notice(usage_markdown(command.reason), ReplyTo(ROOM, EVENT))
        assert "<a" not in content["formatted_body"]
        assert live_markup(content["formatted_body"]) == []
        for field in ("body", "formatted_body"):
            assert "@room" not in content[field]
            assert typed in content[field]
        assert content["body"][:1].isupper()
    command = parse_command("!foci Bad..Example.ORG")
    assert isinstance(command, Usage)
    assert "Bad..Example.ORG" in usage_markdown(command.reason)
