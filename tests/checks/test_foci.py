"""Foci entries over plain values: what MSC4143 allows, what clients read, and what people write instead."""

from __future__ import annotations

import pytest

from foci_bot.checks.foci import foci_list, probe_targets, wellknown_foci
from foci_bot.model import KEY_MSC4143, KEY_MSC4158, KEY_STABLE, Focus

URL = "https://rtc.example.org/livekit/jwt"
LK = {"type": "livekit", "livekit_service_url": URL}


def lk(url: object) -> dict[str, object]:
    return {"type": "livekit", "livekit_service_url": url}


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ([LK], set()),
        ([LK, {"type": "livekit", "livekit_service_url": "https://b.example.org"}], set()),
        ({"type": "livekit"}, {"foci-not-a-list"}),
        (URL, {"foci-not-a-list"}),
        (None, {"foci-not-a-list"}),
        ([], {"foci-empty"}),
        # matrix-js-sdk `isLivekitTransportConfig` reads `.type` on each entry: `null` throws.
        ([None], {"focus-not-an-object"}),
        ([URL], {"focus-not-an-object"}),
        ([[LK]], {"focus-not-an-object"}),
        ([{"livekit_service_url": URL}], {"focus-missing-type"}),
        ([{"type": 1, "livekit_service_url": URL}], {"focus-missing-type"}),
        ([{"type": "nextgen_new_foci_type", "props_for_nextgen_foci": 1}], {"focus-unknown-type"}),
        ([{"type": "LiveKit", "livekit_service_url": URL}], {"focus-unknown-type"}),
        ([{"type": "livekit"}], {"focus-missing-url"}),
        # Misnamed fields seen in synapse#19621 and support rooms; clients read only `livekit_service_url`.
        ([{"type": "livekit", "url": URL}], {"focus-misnamed-field", "focus-missing-url"}),
        ([{"type": "livekit", "livekit_url": URL}], {"focus-misnamed-field", "focus-missing-url"}),
        ([{"type": "livekit", "jwt_service_uri": URL}], {"focus-misnamed-field", "focus-missing-url"}),
        ([{"type": "livekit", "livekit_service_url": URL, "sfu_url": "wss://s"}], {"focus-misnamed-field"}),
        ([{"type": "livekit", "livekit_service_url": URL, "label": "x"}], set()),
        ([{"type": "livekit", "livekit_service_url ": URL}], {"focus-misnamed-field", "focus-missing-url"}),
        ([{"type": "livekit", "LIVEKIT_SERVICE_URL": URL}], {"focus-misnamed-field", "focus-missing-url"}),
        ([lk(None)], {"focus-missing-url"}),
        ([lk(5)], {"focus-url-invalid"}),
        ([lk([URL])], {"focus-url-invalid"}),
        ([lk("rtc.example.org")], {"focus-url-invalid"}),
        ([lk("ftp://rtc.example.org")], {"focus-url-invalid"}),
        ([lk("https://")], {"focus-url-invalid"}),
        # A query or fragment swallows the route clients append (Element Call `openIDSFU.ts`).
        ([lk("https://rtc.example.org/?x=1")], {"focus-url-invalid"}),
        ([lk("https://rtc.example.org/lk#x")], {"focus-url-invalid"}),
        ([lk("https://rtc.example.org:99999")], {"focus-url-invalid"}),
        ([lk("https://rtc example.org")], {"focus-url-invalid"}),
        ([lk("http://rtc.example.org")], {"focus-url-not-https"}),
        ([lk("https://user:secret@rtc.example.org")], {"focus-url-credentials"}),
        # The LiveKit SFU's own URL in place of lk-jwt-service's (synapse#19621).
        ([lk("wss://sfu.example.org")], {"focus-url-is-sfu"}),
        ([lk("ws://sfu.example.org")], {"focus-url-is-sfu"}),
        ([lk("https://example.org/livekit/sfu")], {"focus-url-is-sfu"}),
        ([lk("https://example.org/rtc/")], {"focus-url-is-sfu"}),
        ([lk("https://sfu.example.org:7880")], {"focus-url-is-sfu"}),
        ([lk("http://sfu.example.org:7881")], {"focus-url-is-sfu", "focus-url-not-https"}),
        ([lk("https://example.org/livekit/sfu-jwt")], set()),
        ([None, LK, {"type": "x"}], {"focus-not-an-object", "focus-unknown-type"}),
    ],
)
def test_foci_list_findings(value: object, codes: set[str]) -> None:
    """Each entry is validated on its own; the list gets exactly these findings."""
    assert {f.code for f in foci_list(value, KEY_MSC4143)[1]} == codes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([LK], [(0, "livekit", URL, True)]),
        ([None, LK], [(1, "livekit", URL, True)]),
        ([{"type": 3, "livekit_service_url": URL}], [(0, None, URL, False)]),
        ([{"type": "livekit", "livekit_service_url": 3}], [(0, "livekit", None, False)]),
        ([{"type": "other", "livekit_service_url": URL}], [(0, "other", URL, False)]),
        # The password is masked at once, so that no later use (clients, JSON, probes) holds it.
        ([lk("https://u:pw@rtc.example.org")], [(0, "livekit", "https://***@rtc.example.org", True)]),
        ([LK] * 60, [(i, "livekit", URL, True) for i in range(50)]),
    ],
)
def test_foci_list_foci(value: object, expected: list[tuple[int, str | None, str | None, bool]]) -> None:
    """Objects become Focus values with their index (at most 50); anything else is only a finding."""
    foci = foci_list(value, KEY_MSC4143)[0]
    assert [(f.index, f.type, f.livekit_service_url, f.usable) for f in foci] == expected


def test_credentials_never_kept_in_raw() -> None:
    """The raw entry kept for JSON carries the masked URL too."""
    focus = foci_list([lk("https://u:pw@rtc.example.org")], KEY_MSC4143)[0][0]
    assert "pw" not in repr(focus)


@pytest.mark.parametrize(
    ("content", "keys", "codes"),
    [
        (None, set(), set()),
        ({}, set(), set()),
        ({KEY_MSC4143: [LK]}, {KEY_MSC4143}, set()),
        # ruma reads `m.rtc_foci` as an alias, but Element Web and Element Call read only the MSC4143 key.
        ({KEY_STABLE: [LK]}, {KEY_STABLE}, {"foci-unread-keys-only"}),
        ({KEY_MSC4143: [LK], KEY_STABLE: [LK]}, {KEY_MSC4143, KEY_STABLE}, {"foci-both-keys"}),
        ({KEY_MSC4158: [LK]}, {KEY_MSC4158}, {"foci-msc4158-key", "foci-unread-keys-only"}),
        ({KEY_MSC4143: [LK], KEY_MSC4158: [LK]}, {KEY_MSC4143, KEY_MSC4158}, {"foci-msc4158-key"}),
        ({KEY_MSC4143: []}, {KEY_MSC4143}, {"foci-empty"}),
        ({KEY_MSC4143: {"type": "livekit"}}, {KEY_MSC4143}, {"foci-not-a-list"}),
        # Element Call 0.19-0.23 takes `[0].livekit_service_url` with no type check.
        (
            {KEY_MSC4143: [{"type": "x", "livekit_service_url": URL}, LK]},
            {KEY_MSC4143},
            {"focus-unknown-type", "legacy-first-not-livekit"},
        ),
        (
            {KEY_MSC4143: [{"type": "x"}, LK]},
            {KEY_MSC4143},
            {"focus-unknown-type", "legacy-first-not-livekit"},
        ),
        ({KEY_MSC4143: [None, LK]}, {KEY_MSC4143}, {"focus-not-an-object", "legacy-first-not-livekit"}),
        (
            {KEY_MSC4143: [{"type": "livekit"}, LK]},
            {KEY_MSC4143},
            {"focus-missing-url", "legacy-first-not-livekit"},
        ),
        ({KEY_MSC4143: [lk(7)]}, {KEY_MSC4143}, {"focus-url-invalid", "legacy-first-not-livekit"}),
        ({KEY_MSC4143: [LK, {"type": "x"}]}, {KEY_MSC4143}, {"focus-unknown-type"}),
    ],
)
def test_wellknown_foci(content: dict[str, object] | None, keys: set[str], codes: set[str]) -> None:
    """Foci are read under every key in use; the keys and the legacy `[0]` entry get their own findings."""
    by_key, found = wellknown_foci(content)
    assert (set(by_key), {f.code for f in found}) == (keys, codes)


def _focus(url: str | None, kind: str | None = "livekit") -> Focus:
    return Focus(KEY_MSC4143, 0, kind, url)


@pytest.mark.parametrize(
    ("foci", "targets"),
    [
        ([], []),
        ([_focus(URL)], [URL]),
        ([_focus(URL), _focus(URL), _focus("https://b.example.org")], [URL, "https://b.example.org"]),
        # Probed exactly as written: clients append routes to the string (element-call `openIDSFU.ts`).
        ([_focus(URL + "/")], [URL + "/"]),
        ([_focus(URL, kind="other")], []),
        ([_focus(None)], []),
        ([_focus("wss://sfu.example.org")], []),
        ([_focus("https://***@rtc.example.org")], []),
        ([_focus("not a url")], []),
        ([_focus("http://rtc.example.org")], ["http://rtc.example.org"]),
    ],
)
def test_probe_targets(foci: list[Focus], targets: list[str]) -> None:
    """Only distinct http(s) `livekit` URLs without credentials are probed, in order."""
    assert probe_targets(foci) == targets
