"""The one retry schedule (pure)."""

from __future__ import annotations

import pytest

from foci_bot.bot.backoff import Backoff


def test_doubles_up_to_the_cap_and_resets() -> None:
    """Waits double from ``first`` and stop at ``cap``; ``reset`` starts over."""
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5


@pytest.mark.parametrize(
    ("first", "attempt", "cap", "expected"),
    [(30.0, 0, float("inf"), 30.0), (30.0, 3, float("inf"), 240.0), (1.0, 10, 60.0, 60.0)],
)
def test_nth(first: float, attempt: int, cap: float, expected: float) -> None:
    """The wait before a given try, without state."""
    assert Backoff.nth(first, attempt, cap) == expected
