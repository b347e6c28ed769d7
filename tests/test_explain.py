"""The error-code table behind ``explain`` (pure), and how it renders."""

from __future__ import annotations

import pytest

from foci_bot.catalogue import CATALOGUE
from foci_bot.explain import EXPLANATIONS, known_codes, lookup
from foci_bot.render.explain import explain_json, explain_markdown, unknown_code_line, unknown_code_markdown
from foci_bot.render.server import to_html
from tests.bot.test_reply import live_markup


def test_every_named_finding_exists() -> None:
    """Each finding code a cause names is in the catalogue."""
    named = {code for e in EXPLANATIONS for c in e.causes for code in c.findings}
    assert named - set(CATALOGUE) == set()


def test_codes_and_aliases_are_unique_and_cited() -> None:
    """One entry per code (aliases included); every cause has text and a public source."""
    names = [n for e in EXPLANATIONS for n in (e.code, *e.aliases)]
    assert len(names) == len(set(names))
    for entry in EXPLANATIONS:
        assert entry.causes and entry.summary
        for cause in entry.causes:
            assert cause.text and cause.source and "domain.md" not in cause.source


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("OPEN_ID_ERROR", "OPEN_ID_ERROR"),
        ("open_id_error", "OPEN_ID_ERROR"),
        ("  `m_lookup_failed` ", "M_LOOKUP_FAILED"),
        ('"sfu_error"', "SFU_ERROR"),
        ("MISSING_MATRIX_RTC_FOCUS", "MISSING_MATRIX_RTC_TRANSPORT"),
        ("membership_manager_unrecoverable", "INTERNAL_MEMBERSHIP_MANAGER"),
        ("NO_MATRIX_2_0_AUTHORIZATION_SERVICE", "NO_MATRIX_2_0_AUTHORIZATION_SERVICE"),
    ],
)
def test_lookup_is_case_insensitive(typed: str, code: str) -> None:
    """Codes are found whatever their case, quotes or backticks; older names lead to the current one."""
    entry = lookup(typed)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize("typed", ["", "OPEN_ID", "M_", "OPEN_ID_ERROR_", "nope"])
def test_unknown_codes(typed: str) -> None:
    assert lookup(typed) is None


def test_markdown_renders_as_a_list_of_causes() -> None:
    """Heading, summary, then one list item per cause naming its findings and source."""
    entry = lookup("MISSING_MATRIX_RTC_TRANSPORT")
    assert entry is not None
    html = to_html(explain_markdown(entry))
    assert html.startswith("<h3><code>MISSING_MATRIX_RTC_TRANSPORT</code>")
    assert html.count("<li>") == len(entry.causes) and html.count("<ul>") == 1
    assert "<code>transports-endpoint-missing</code>" in html
    assert live_markup(html) == []


def test_unknown_code_is_one_line_quoting_the_input() -> None:
    """The input is echoed only in a code span; the line lists every known code."""
    line = unknown_code_line("@room <b>x</b> `y`")
    assert "\n" not in line and all(code in line for code in known_codes())
    html = to_html(unknown_code_markdown("@room <b>x</b> `y`"))
    assert "<code>@\u2060room &lt;b&gt;x&lt;/b&gt; ʼyʼ</code>" in html
    assert live_markup(html) == [] and "@room" not in html


def test_json_names_the_findings() -> None:
    entry = lookup("OPEN_ID_ERROR")
    assert entry is not None
    data = explain_json(entry)
    assert data["code"] == "OPEN_ID_ERROR" and data["origin"] == "element-call"
    assert "livekit-cors-preflight-failed" in [f for c in data["causes"] for f in c["findings"]]
