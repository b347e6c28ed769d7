"""Which sync position may be stored: the newest one whose batch, and every batch before it,
has all its commands handled (pure; no I/O).

The sync loop keeps going while commands run, so a slow server never holds up the next sync,
yet a restart resumes from a position before any command that was not yet answered.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class _Batch:
    token: str
    synced_at_ms: int
    pending: set[str] = field(default_factory=set)


class SyncPositions:
    """Batches in sync order, each with the IDs of its commands still being handled."""

    def __init__(self) -> None:
        self._batches: deque[_Batch] = deque()

    def add(self, token: str, synced_at_ms: int, pending: set[str]) -> tuple[str, int] | None:
        """Record one sync batch; returns the (token, time) that may now be stored, if any."""
        self._batches.append(_Batch(token, synced_at_ms, set(pending)))
        return self._advance()

    def done(self, command_id: str) -> tuple[str, int] | None:
        """One command finished; returns the (token, time) that may now be stored, if any."""
        for batch in self._batches:
            batch.pending.discard(command_id)
        return self._advance()

    def _advance(self) -> tuple[str, int] | None:
        ready = None
        while self._batches and not self._batches[0].pending:
            batch = self._batches.popleft()
            ready = (batch.token, batch.synced_at_ms)
        return ready

    @property
    def waiting(self) -> int:
        return sum(len(b.pending) for b in self._batches)
