"""Who may talk to the bot, and how often (pure; the clock is passed in)."""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Iterable

from foci_bot.servername import split_sigil_id


def _split(user_id: str) -> tuple[str, str]:
    localpart, server = split_sigil_id(user_id if user_id.startswith("@") else "@" + user_id)
    return localpart, server or ""


class UserPatterns:
    """Patterns like ``@*:example.org`` or ``@alice:example.org``; ``*`` and ``?`` are globs.

    The localpart and the server name are matched separately, so ``@*:example.org`` cannot
    match a user on ``evil.example`` by swallowing a colon.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._parts = [_split(p.casefold()) for p in self.patterns]

    def allows(self, user_id: str) -> bool:
        if not user_id.startswith("@") or ":" not in user_id:
            return False
        localpart, server = _split(user_id.casefold())
        return any(
            fnmatch.fnmatchcase(localpart, lp) and fnmatch.fnmatchcase(server, sp) for lp, sp in self._parts
        )

    def __repr__(self) -> str:
        return f"UserPatterns({list(self.patterns)!r})"


class RateLimiter:
    """At most ``limit`` commands per user in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._warned: dict[str, float] = {}

    def allow(self, user_id: str, now: float) -> bool:
        """Count one command at ``now``; False when it is over the limit (and not counted)."""
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        self._prune(now)
        return True

    def should_warn(self, user_id: str, now: float) -> bool:
        """True once per window for a user who is over the limit, so refusals stay quiet."""
        last = self._warned.get(user_id)
        if last is not None and now - last < self.window:
            return False
        self._warned[user_id] = now
        return True

    def _prune(self, now: float) -> None:
        if len(self._seen) > 10_000:
            for user in [u for u, t in self._seen.items() if not t or now - t[-1] >= self.window]:
                del self._seen[user]
            self._warned = {u: t for u, t in self._warned.items() if now - t < self.window}
