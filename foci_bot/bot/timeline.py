"""Reading sync results as raw event dicts (pure): commands, the bot's own joins, invites.

The adapter hands over each event's JSON (``event.source`` in nio, already decrypted for
encrypted rooms), so these rules are tested with plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from foci_bot.bot.incoming import Incoming

Raw = Mapping[str, Any]


def _ts(event: Raw) -> int:
    value = event.get("origin_server_ts")
    return value if isinstance(value, int) else 0


def incoming(room_id: str, event: Raw, me: str, joined_at_ms: int | None) -> Incoming | None:
    """A text message that may be a command, or None.

    Ignored: the bot's own events, notices (other bots), edits (the original already was the
    command), undecryptable events, and anything older than the bot's join of the room.
    """
    content = event.get("content")
    if event.get("type") != "m.room.message" or not isinstance(content, Mapping):
        return None
    body, sender, event_id = content.get("body"), event.get("sender"), event.get("event_id")
    if content.get("msgtype") != "m.text" or not isinstance(body, str):
        return None
    if not isinstance(sender, str) or not isinstance(event_id, str) or sender == me:
        return None
    relation = content.get("m.relates_to") or {}
    if not isinstance(relation, Mapping) or relation.get("rel_type") == "m.replace":
        return None
    if joined_at_ms is None or _ts(event) < joined_at_ms:
        return None
    root = relation.get("event_id") if relation.get("rel_type") == "m.thread" else None
    return Incoming(room_id, event_id, sender, body, _ts(event), root if isinstance(root, str) else None)


def own_join_ms(events: Iterable[Raw], me: str, known: bool) -> int | None:
    """When the bot (re)joined, from its membership events: the latest change *to* join.

    A join following a join is a profile change, not a join, unless no join time is ``known``.
    """
    found = None
    for event in events:
        content = event.get("content")
        if (
            event.get("type") != "m.room.member"
            or event.get("state_key") != me
            or not isinstance(content, Mapping)
        ):
            continue
        if content.get("membership") != "join":
            continue
        unsigned = event.get("unsigned")
        prev = unsigned.get("prev_content") if isinstance(unsigned, Mapping) else None
        was_joined = isinstance(prev, Mapping) and prev.get("membership") == "join"
        if not was_joined or (found is None and not known):
            found = _ts(event)
    return found


def inviter(invite_state: Iterable[Raw], me: str) -> str | None:
    """Who invited the bot, from a room's stripped invite state."""
    for event in invite_state:
        content = event.get("content")
        if (
            event.get("type") == "m.room.member"
            and event.get("state_key") == me
            and isinstance(content, Mapping)
            and content.get("membership") == "invite"
            and isinstance(event.get("sender"), str)
        ):
            return str(event["sender"])
    return None
