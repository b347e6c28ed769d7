"""Reports -> markdown (what the CLI prints and the bot posts), safe HTML, and JSON.

Remote text is already made inert by :func:`foci_bot.text.quote` when findings are built; here
the markdown converter additionally refuses raw HTML and autolinks, so even a slip cannot turn
remote text into live markup.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import markdown

from foci_bot.model import CLIENT_LABELS, UNKNOWN, ServerReport
from foci_bot.render.callflow import e2e_json, e2e_lines, federation_json, federation_line, verified
from foci_bot.text import quote, visible

ICON = {"ok": "✅", "warning": "⚠️", "error": "❌", "info": "ℹ️"}
_TRANSPORT_LINE = {
    "working": "Calls work: users can join and publish through {url}",
    "broken": "Calls fail: the call backend clients use ({url}) is broken",
    "none": "Calls fail: no call backend, users get MISSING_MATRIX_RTC_TRANSPORT",
    "unknown": "Unknown: the call backend is behind the authenticated transports endpoint and no focus is published to go by",
}
_ENDPOINT_STATE = {
    "listed": "lists transports without a token",
    "empty": "answers an empty list",
    "empty-object": "answers `{}` (no `rtc_transports`)",
    "auth": "implemented, needs a token (401)",
    "missing": "not implemented (404 `M_UNRECOGNIZED`)",
    "not-found": "404 with another errcode than `M_UNRECOGNIZED`",
    "proxy-404": "404 that is not Matrix JSON (a proxy's page)",
    "invalid": "answers something that is not a transports list",
    "error": "failed",
    "not-checked": "not checked",
}


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of a message; with a ``summary`` it is folded (HTML ``<details>``) in chat."""

    body: str
    summary: str | None = None


def _answer(url: str | None) -> str:
    if url is None:
        return "**none**"
    if url == UNKNOWN:
        return "*unknown*"
    return quote(url)


def users_line(report: ServerReport) -> str:
    """One sentence: what this server's users get when they start a call (also in watch alerts)."""
    url = quote(report.transport_url) if report.transport_url else ""
    unreachable = _unreachable(report)
    line = (
        "Unknown: the server could not be reached, so calls could not be judged"
        if unreachable
        else _TRANSPORT_LINE[report.transport]
    )
    failing = [CLIENT_LABELS[v.client] for v in report.clients if v.error]
    if report.transport == "working" and failing and not unreachable:
        # Say who it does not work for in the same sentence, so the verdict never reads "all fine".
        line += ", but not for " + ", ".join(failing)
    return line.format(url=url) + "." + (" Verified end to end." if verified(report.e2e) else "")


def _unreachable(report: ServerReport) -> bool:
    """One cause (DNS, refused, timeout): every consequence is "unknown", never "none"."""
    return bool(report.clients) and all(v.rule == "unreachable" for v in report.clients)


def server_markdown(report: ServerReport, *, heading: str = "###") -> str:
    """One server: verdict first, then what each client uses, the foci, and the findings."""
    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in ("error", "warning", "info")}
    tally = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n and s != "info")
    unreachable = _unreachable(report)
    lines = [
        f"{heading} {ICON[report.status]} {quote(report.server)}: {report.status}"
        + (f" ({tally})" if tally else ""),
        "",
        users_line(report),
        "",
        federation_line(report.federation),
    ]
    for text in e2e_lines(report.e2e):
        lines += ["", text]
    lines += ["", "**What each client uses**", ""]
    for v in report.clients:
        error = f" ({v.error})" if v.error else ""
        lines.append(f"- {CLIENT_LABELS[v.client]}: {_answer(v.url)}{error}: {v.reason}")
    lines += ["", "**Advertised**", ""]
    if unreachable:
        lines.append("- *unknown*: nothing could be read")
    elif report.foci:
        for focus in report.foci:
            url_text = quote(focus.livekit_service_url) if focus.livekit_service_url else "no URL"
            health = report.probes.get(focus.livekit_service_url or "")
            kind = quote(focus.type, 40) if focus.type else "no type"
            lines.append(
                f"- {quote(focus.source)}[{focus.index}] {kind} {url_text}"
                + (f": {health}" if health else "")
            )
    else:
        lines.append("- no foci in the well-known or the transports endpoint")
    if not unreachable:
        lines.append(
            f"- transports endpoint: {_ENDPOINT_STATE[report.transports_state]}; well-known outcome: `{report.wellknown_outcome}`"
        )
    if report.findings:
        lines += ["", "**Findings**", ""]
        for f in report.findings:
            lines.append(f"- {ICON[f.severity]} `{f.code}`: {f.message}")
            if f.hint and f.severity != "info":
                # Four spaces: Python-Markdown nests a list only at four (two would run it on).
                lines.append(f"    - *Fix:* {f.hint}")
    return "\n".join(lines)


def check_markdown(reports: Sequence[ServerReport]) -> str:
    """The whole ``check`` answer; with several servers a one-line tally comes first."""
    parts: list[str] = []
    if len(reports) > 1:
        tally = {s: sum(1 for r in reports if r.status == s) for s in ("ok", "warning", "error")}
        parts.append(f"**{len(reports)} servers:** " + ", ".join(f"{n} {s}" for s, n in tally.items()))
    parts += [server_markdown(r) for r in reports]
    return visible("\n\n".join(parts) + "\n")


def sections_markdown(sections: Sequence[Section]) -> str:
    out = []
    for s in sections:
        out.append(f"**{s.summary}**\n\n{s.body}" if s.summary else s.body)
    # Every output must encode: remote text that cannot (lone surrogates) shows as U+FFFD.
    return visible("\n\n".join(out) + "\n")


def sections_html(sections: Sequence[Section]) -> str:
    out = []
    for s in sections:
        body = to_html(s.body)
        if s.summary:
            body = f"<details><summary>{to_inline_html(s.summary)}</summary>\n{body}\n</details>"
        out.append(body)
    return visible("\n".join(out))


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    # No raw HTML, no <http://…> autolinks: remote text must never become live markup.
    md.preprocessors.deregister("html_block")
    for name in ("html", "autolink", "automail"):
        md.inlinePatterns.deregister(name)
    return md


_CONVERTER: list[markdown.Markdown] = []


def to_html(text: str) -> str:
    """Markdown -> HTML with raw HTML escaped rather than passed through."""
    # A reply is rendered more than once (to measure it against the event size limit, then to
    # send it), and a large room's takes tens of milliseconds: recent results are kept.
    return _to_html_cached(text) if len(text) <= 128 * 1024 else _convert(text)


def _convert(text: str) -> str:
    # One converter, reset between uses as Python-Markdown's docs allow: building one costs more
    # than converting a short section. Conversion is synchronous, so no two uses overlap.
    if not _CONVERTER:
        _CONVERTER.append(_converter())
    converter = _CONVERTER[0]
    try:
        return str(converter.convert(text))
    finally:
        converter.reset()


_to_html_cached = functools.lru_cache(maxsize=16)(_convert)


def to_inline_html(text: str) -> str:
    rendered = to_html(text)
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return html.escape(text)


def server_json(report: ServerReport) -> dict[str, Any]:
    return {
        "server": report.server,
        "status": report.status,
        "transport": report.transport,
        "transport_url": report.transport_url,
        "wellknown_outcome": report.wellknown_outcome,
        "base_url": report.base_url,
        "transports_endpoint": report.transports_state,
        "foci": [
            {
                "type": f.type,
                "livekit_service_url": f.livekit_service_url,
                "source": f.source,
                "index": f.index,
                "health": report.probes.get(f.livekit_service_url or ""),
            }
            for f in report.foci
        ],
        "clients": {v.client: v.url for v in report.clients},
        "client_reasons": {v.client: v.reason for v in report.clients},
        "client_rules": {v.client: v.rule for v in report.clients},
        "client_errors": {v.client: v.error for v in report.clients},
        "findings": [
            {"code": f.code, "severity": f.severity, "message": f.message, "hint": f.hint}
            for f in report.findings
        ],
        "probes": dict(report.probes),
        "observations": dict(report.facts),
        "federation": federation_json(report.federation),
        "e2e": e2e_json(report.e2e),
    }


def check_json(reports: Sequence[ServerReport]) -> dict[str, Any]:
    return {"servers": [server_json(r) for r in reports]}
