"""Running the room check: every member's server at once, under one deadline for the whole report.

The shared :class:`~foci_bot.engine.discover.Checker` bounds concurrency, caches reports and dedupes
probes. Here the per-server checks are awaited together with :func:`asyncio.wait` and a timeout,
so a slow or dead server is reported as such (:func:`~foci_bot.room.verdict.timed_out`) and never
holds up the rest. The unfinished checks keep running inside the Checker and land in its cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from foci_bot.checks.livekit import judge_probe
from foci_bot.engine.discover import Checker
from foci_bot.model import ServerName, ServerReport
from foci_bot.room.analysis import RoomReport, analyse_room, call_state, members_by_server
from foci_bot.room.snapshot import RoomSnapshot
from foci_bot.room.verdict import timed_out
from foci_bot.servername import parse_server_name

Progress = Callable[[int, int], Awaitable[None]]  # (servers done, servers total)
PROGRESS_GRACE = 5.0  # seconds an in-flight progress edit may delay the final answer


async def check_servers(
    checker: Checker,
    servers: Sequence[ServerName],
    deadline: float,
    progress: Progress | None = None,
    extra_probes: Sequence[str] = (),
) -> tuple[dict[str, ServerReport], dict[str, str]]:
    """Reports for every server (stand-ins for those not done by ``deadline`` seconds), and the
    health of ``extra_probes`` URLs (focus URLs no server advertises, e.g. a call's focus)."""
    started = time.monotonic()
    # Fresh reports from the cache need no task: a cached room of 1,000 servers answers at once.
    reports: dict[str, ServerReport] = {}
    for server in servers:
        if (report := checker.cached(server)) is not None:
            reports[str(server)] = report
    tasks: dict[asyncio.Task[ServerReport], str] = {
        asyncio.ensure_future(checker.check(s)): str(s) for s in servers if str(s) not in reports
    }
    probe_tasks = {asyncio.ensure_future(checker.probe(url)): url for url in extra_probes}
    # Progress runs beside the checks, one edit at a time, so a slow send never delays them.
    reporting: asyncio.Task[None] | None = None
    finished = 0

    def on_done(_task: asyncio.Task[ServerReport]) -> None:
        nonlocal reporting, finished
        finished += 1
        if progress is not None and (reporting is None or reporting.done()):
            reporting = asyncio.ensure_future(progress(len(reports) + finished, len(servers)))

    for task in tasks:
        task.add_done_callback(on_done)
    try:
        if tasks:
            await asyncio.wait(tasks, timeout=deadline)
        if probe_tasks:
            left = max(0.0, deadline - (time.monotonic() - started))
            await asyncio.wait(probe_tasks, timeout=left)
    finally:
        for task in tasks:
            task.remove_done_callback(on_done)
        for wrapper in [*tasks, *probe_tasks]:
            wrapper.cancel()  # only our wrappers: the Checker's own tasks are shielded and keep going
        if reporting is not None:
            # Let the last edit land before the caller sends the final answer, so it cannot
            # overwrite it; give up on it after a short while.
            await asyncio.wait([reporting], timeout=PROGRESS_GRACE)
            reporting.cancel()
    for task, name in tasks.items():
        if task.done() and not task.cancelled() and task.exception() is None:
            reports[name] = task.result()
    for name in tasks.values():
        if name not in reports:
            reports[name] = timed_out(name, deadline)
    reports = {str(s): reports[str(s)] for s in servers}  # in the order asked, cached or not
    health: dict[str, str] = {}
    for probe, url in probe_tasks.items():
        if probe.done() and not probe.cancelled() and probe.exception() is None:
            health[url] = judge_probe(probe.result())[0]
    return reports, health


def _server_names(names: Sequence[str]) -> list[ServerName]:
    return [parse_server_name(name) for name in names]


async def room_check(
    checker: Checker,
    snapshot: RoomSnapshot,
    deadline: float,
    progress: Progress | None = None,
) -> RoomReport:
    """The whole room check for one snapshot: members' servers and the current call's focus."""
    members = members_by_server(snapshot)
    oldest = call_state(snapshot).oldest
    extra = [oldest.focus_url] if oldest is not None and oldest.focus_url else []
    reports, health = await check_servers(
        checker, _server_names(list(members.joined)), deadline, progress, extra
    )
    return analyse_room(snapshot, reports, health, members)


class RoomLocks:
    """At most one room check per room at a time (so a busy room is not checked twice over)."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def try_acquire(self, room_id: str) -> bool:
        if room_id in self._busy:
            return False
        self._busy.add(room_id)
        return True

    def release(self, room_id: str) -> None:
        self._busy.discard(room_id)

    def busy(self, room_id: str) -> bool:
        return room_id in self._busy
