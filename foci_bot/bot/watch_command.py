"""``watch``, ``unwatch``, ``watching`` and ``history`` in chat.

Wired in as the dispatcher's ``watch_handler`` (``Dispatcher.on_watch_command`` checks
``room_allowed_users`` first for commands about the room itself). A new watch is checked at
once, so the answer shows the verdict every later alert is measured against.
"""

from __future__ import annotations

import asyncio

from foci_bot.bot import watchcommands as wc
from foci_bot.bot.alerts import WatchLine, history_markdown, target_name, watching_markdown
from foci_bot.bot.incoming import Incoming
from foci_bot.bot.watch import Watcher, target_key
from foci_bot.bot.watchstate import ROOM
from foci_bot.render.server import ICON


async def handle_watch(watcher: Watcher, msg: Incoming, command: wc.WatchCommand) -> str:
    """The markdown answer to one watch command in ``msg``'s room."""
    room_id = msg.room_id
    store, cap = watcher.store, watcher.w.max_per_room
    match command:
        case wc.Watch(targets):
            added = store.add(room_id, list(targets), msg.sender, "chat", cap)
            if added is None:
                have = len(store.watches(room_id))
                return (
                    f"This room already watches {have} targets; at most {cap} are allowed. "
                    "Remove some with `unwatch` first.\n"
                )
            return await _started(watcher, room_id, targets, added)
        case wc.Unwatch(target):
            if not store.remove(room_id, target):
                return f"{target_name(target)} is not watched in this room.\n"
            watcher.wake(target_key(room_id, target))  # its loop ends when no room needs it
            return f"Stopped watching {target_name(target)}.\n"
        case wc.Watching():
            lines = []
            for watch in store.watches(room_id):
                state = store.state(room_id, watch.target)
                since = state.since_ms if state.baseline is not None else watch.added_ms
                lines.append(WatchLine(watch.target, state.baseline, since, state.pending is not None))
            return watching_markdown(lines, cap)
        case wc.History(target):
            first = next((w.added_ms for w in store.watches(room_id) if w.target == target), None)
            return history_markdown(target, store.history(room_id, target), first)


async def _started(watcher: Watcher, room_id: str, targets: tuple[str, ...], added: list[str]) -> str:
    """Check the new targets now, store what they show as the baseline, start their loops."""
    keys = [target_key(room_id, t) for t in added]
    summaries = await asyncio.gather(*(watcher.check(k) for k in keys))
    lines = []
    for target, key, summary in zip(added, keys, summaries, strict=True):
        if summary is None:
            watcher.ensure_loop(key, 0)
            lines.append(f"- {target_name(target)}: not checked yet, trying again")
            continue
        watcher.apply(room_id, target, summary)
        watcher.ensure_loop(key, watcher.next_delay())
        lines.append(f"- {ICON[summary.status]} {target_name(target)}: {summary.status}. {summary.users}")
    already = [t for t in targets if t not in added]
    head = f"Now watching {len(added)} more target{'s' if len(added) != 1 else ''}" if added else ""
    out = [head + ":", "", *lines] if added else []
    if already:
        out += ["", "Already watched: " + wc.describe(tuple(already)) + "."]
    out += [
        "",
        f"Checks every {watcher.w.interval:g} s; a change is confirmed after {watcher.w.confirm_after:g} s "
        "and announced here once.",
    ]
    if ROOM in added:
        out.append("For the room: alerts when fewer members can speak or join a call, and when they recover.")
    return "\n".join(out) + "\n"
