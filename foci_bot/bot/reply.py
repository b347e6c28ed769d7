"""Event contents the bot sends: notices, edits and reactions (pure, no I/O).

- Every notice is ``m.notice`` with the markdown as ``body`` and the safe HTML rendering of the
  same markdown as ``formatted_body`` (``render.to_html``/``sections_html``), and an empty
  ``m.mentions`` so nothing in it can notify anyone (spec: "User and room mentions").
- Replies carry ``m.in_reply_to``; inside a thread they also carry the ``m.thread`` relation
  with ``is_falling_back: false`` (spec: "Threading").
- Edits are ``m.replace`` with ``m.new_content`` and a ``* `` fallback body (spec: "Event replacements").
- Every content stays within :data:`MAX_CONTENT_BYTES`, measured as the ASCII-escaped JSON that
  encryption wraps: a Megolm event is about 4/3 of that plus an envelope, which keeps it under
  the 64 KiB event limit. Too long a text loses whole lines from its end and gains a note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from foci_bot.bot.incoming import ReplyTo
from foci_bot.render.server import Section, sections_html, sections_markdown
from foci_bot.render.size import MAX_CONTENT_BYTES, content_size

HTML_FORMAT = "org.matrix.custom.html"
SHORTENED_NOTE = (
    "*This answer was too long for one Matrix message: {n} more lines were left out. "
    "`foci-bot check` in a terminal shows the whole report.*"
)

Content = dict[str, Any]


def relates_to(reply_to: ReplyTo) -> Content:
    """``m.relates_to`` for a reply, keeping the reply inside the command's thread."""
    relation: Content = {"m.in_reply_to": {"event_id": reply_to.event_id}}
    if reply_to.thread_root:
        relation.update(rel_type="m.thread", event_id=reply_to.thread_root, is_falling_back=False)
    return relation


def _as_sections(text: str | Sequence[Section]) -> list[Section]:
    return [Section(text)] if isinstance(text, str) else list(text)


def _plain(sections: Sequence[Section]) -> Content:
    return {
        "msgtype": "m.notice",
        "body": sections_markdown(sections).rstrip("\n"),
        "format": HTML_FORMAT,
        "formatted_body": sections_html(sections),
        "m.mentions": {},
    }


def notice(
    text: str | Sequence[Section], reply_to: ReplyTo | None = None, budget: int = MAX_CONTENT_BYTES
) -> Content:
    """An ``m.notice`` from markdown (or folded sections), as a reply when ``reply_to`` is given."""

    def build(sections: Sequence[Section]) -> Content:
        content = _plain(sections)
        if reply_to is not None:
            content["m.relates_to"] = relates_to(reply_to)
        return content

    return _fit(_as_sections(text), build, budget)


def edit(original_event_id: str, text: str | Sequence[Section], budget: int = MAX_CONTENT_BYTES) -> Content:
    """An ``m.replace`` edit turning the notice ``original_event_id`` into ``text``."""

    def build(sections: Sequence[Section]) -> Content:
        new = _plain(sections)
        return {
            "msgtype": "m.notice",
            "body": "* " + new["body"],
            "format": HTML_FORMAT,
            "formatted_body": "* " + new["formatted_body"],
            "m.mentions": {},
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
        }

    return _fit(_as_sections(text), build, budget)


def reaction(event_id: str, key: str) -> Content:
    """An ``m.reaction`` annotating ``event_id`` with ``key`` (an emoji)."""
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


def shorten(sections: Sequence[Section], keep_lines: int) -> list[Section]:
    """The first ``keep_lines`` lines of the sections (whole lines only, so no quoted code span
    from a remote server is ever cut open), followed by a note saying how much was left out."""
    out: list[Section] = []
    total = sum(len(s.body.split("\n")) for s in sections)
    left = keep_lines
    for section in sections:
        lines = section.body.split("\n")
        if left <= 0:
            break
        out.append(Section("\n".join(lines[:left]), section.summary))
        left -= len(lines)
    out.append(Section(SHORTENED_NOTE.format(n=total - keep_lines)))
    return out


def _fit(sections: list[Section], build: Callable[[Sequence[Section]], Content], budget: int) -> Content:
    content = build(sections)
    if content_size(content) <= budget:
        return content
    low, high = 0, sum(len(s.body.split("\n")) for s in sections) - 1
    best = build(shorten(sections, 0))
    while low <= high:  # the most lines that still fit
        middle = (low + high) // 2
        candidate = build(shorten(sections, middle))
        if content_size(candidate) <= budget:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best
