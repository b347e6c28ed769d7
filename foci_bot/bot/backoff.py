"""The one retry schedule: waits that double from ``first`` up to ``cap`` (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """``next()`` gives ``first``, ``2 * first``, … capped at ``cap``; ``reset()`` starts over."""

    first: float
    cap: float
    _next: float = field(init=False)

    def __post_init__(self) -> None:
        self._next = self.first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first

    @staticmethod
    def nth(first: float, attempt: int, cap: float = float("inf")) -> float:
        """The wait before try ``attempt`` (0-based) without keeping state."""
        return min(first * 2.0**attempt, cap)
