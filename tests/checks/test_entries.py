"""The three transport-list readers in the field, side by side over the same raw JSON lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from foci_bot.checks.entries import Pick, js_find, legacy_first, ruma_first

A = "https://a.example.org"
B = "https://b.example.org"
LK_A = {"type": "livekit", "livekit_service_url": A}
LK_B = {"type": "livekit", "livekit_service_url": B}
OTHER = {"type": "nextgen_new_foci_type", "props_for_nextgen_foci": "x"}

Seen = tuple[str, str | None, int | None]  # (kind, url, index)


def seen(pick: Pick) -> Seen:
    return (pick.kind, pick.url, pick.index)


# Readers: matrix-js-sdk `isLivekitTransportConfig` with `Array.find` (Element Call ≥ 0.24);
# ruma-client-api `rtc/transports.rs` whole-list serde (Element X); Element Call 0.19-0.23 `[0]`.
@pytest.mark.parametrize(
    ("entries", "js", "ruma", "legacy"),
    [
        ([LK_A], ("url", A, 0), ("url", A, 0), ("url", A, 0)),
        ([LK_A, LK_B], ("url", A, 0), ("url", A, 0), ("url", A, 0)),
        ([], ("none", None, None), ("none", None, None), ("none", None, None)),
        # An unknown type first: the modern readers skip it, the legacy one has no URL to take.
        ([OTHER, LK_B], ("url", B, 1), ("url", B, 1), ("none", None, 0)),
        ([OTHER], ("none", None, None), ("none", None, None), ("none", None, 0)),
        # ...but with a URL on it, the legacy reader takes that URL with no type check.
        (
            [{"type": "x", "livekit_service_url": A}, LK_B],
            ("url", B, 1),
            ("url", B, 1),
            ("url", A, 0),
        ),
        # `null` before the first match: `isLivekitTransportConfig` reads `.type` of null and throws.
        ([None, LK_A], ("throws", None, 0), ("throws", None, 0), ("throws", None, 0)),
        # ...after the match `find` has stopped; ruma still refuses the whole list.
        ([LK_A, None], ("url", A, 0), ("throws", None, 1), ("url", A, 0)),
        ([LK_A, "x"], ("url", A, 0), ("throws", None, 1), ("url", A, 0)),
        (["x", LK_A], ("url", A, 1), ("throws", None, 0), ("throws", None, 0)),
        ([{"livekit_service_url": A}, LK_B], ("url", B, 1), ("throws", None, 0), ("url", A, 0)),
        ([{"type": 1}, LK_B], ("url", B, 1), ("throws", None, 0), ("none", None, 0)),
        # A `livekit` entry without a string URL: js-sdk checks only that the key is present.
        ([{"type": "livekit"}, LK_B], ("url", B, 1), ("throws", None, 0), ("none", None, 0)),
        (
            [{"type": "livekit", "livekit_service_url": None}, LK_B],
            ("not-a-string", None, 0),
            ("throws", None, 0),
            ("none", None, 0),
        ),
        (
            [{"type": "livekit", "livekit_service_url": 5}],
            ("not-a-string", None, 0),
            ("throws", None, 0),
            ("not-a-string", None, 0),
        ),
        ([LK_A, {"type": "livekit"}], ("url", A, 0), ("throws", None, 1), ("url", A, 0)),
        (
            [OTHER, LK_A, {"type": "livekit", "livekit_service_url": 5}],
            ("url", A, 1),
            ("throws", None, 2),
            ("none", None, 0),
        ),
    ],
)
def test_readers(entries: list[object], js: Seen, ruma: Seen, legacy: Seen) -> None:
    """Each reader picks its own entry, or none, or fails, from the same list."""
    assert (seen(js_find(entries)), seen(ruma_first(entries)), seen(legacy_first(entries))) == (
        js,
        ruma,
        legacy,
    )


@pytest.mark.parametrize(
    ("pick", "url"),
    [
        (Pick("url", "https://user:pw@a.example.org"), "https://***@a.example.org"),
        (Pick("url", A), A),
        (Pick("none"), None),
    ],
)
def test_pick_masks_credentials(pick: Pick, url: str | None) -> None:
    """A picked URL never keeps a password: every later use sees `***@`."""
    assert pick.url == url


@pytest.mark.parametrize(
    ("reader", "entries", "why"),
    [
        (js_find, [None], "entry [0] is `null`, so `isLivekitTransportConfig` throws"),
        (js_find, [OTHER], "no entry has `type: livekit` and a `livekit_service_url`"),
        (ruma_first, [OTHER, 1], "entry [1] is not an object with a string `type`"),
        (ruma_first, [{"type": "livekit"}], "entry [0] is `livekit` without a string `livekit_service_url`"),
        (legacy_first, [], "the list is empty"),
        (legacy_first, [OTHER], "entry [0] has no `livekit_service_url`"),
    ],
)
def test_reasons(reader: Callable[[Sequence[object]], Pick], entries: list[object], why: str) -> None:
    """A reader that picks nothing says why, naming the entry."""
    assert reader(entries).why == why
