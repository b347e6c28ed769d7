"""Which sync events are commands, the bot's own joins and its inviters (pure)."""

from __future__ import annotations

import pytest

ME = "@foci:example.org"


def message(
    body: str, ts: int = 2000, sender: str = "@alice:example.org", extra: dict[str, object] | None = None
) -> dict[str, object]:
    return {
        "type": "m.room.message",
        "event_id": "$e",
        "sender": sender,
        "origin_server_ts": ts,
        "content": {"msgtype": "m.text", "body": body, **(extra or {})},
    }


def test_incoming_messages() -> None:
    """Text messages after the join are candidates; the thread root is kept."""
    from foci_bot.bot.timeline import incoming

    got = incoming("!r", message("!foci help"), ME, 1000)
    assert got is not None and (got.body, got.sender, got.thread_root) == (
        "!foci help",
        "@alice:example.org",
        None,
    )
    threaded = message("!foci help", extra={"m.relates_to": {"rel_type": "m.thread", "event_id": "$root"}})
    assert (t := incoming("!r", threaded, ME, 1000)) is not None and t.thread_root == "$root"


@pytest.mark.parametrize(
    "event",
    [
        message("!foci help", ts=999),  # before the join
        message("!foci help", sender=ME),  # our own
        message("!foci help", extra={"msgtype": "m.notice"}),  # another bot's notice
        message(
            "* !foci help", extra={"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}
        ),  # an edit
        {"type": "m.room.encrypted", "event_id": "$e", "sender": "@a:b.c", "content": {}},  # undecryptable
    ],
)
def test_ignored_events(event: dict[str, object]) -> None:
    """Old, own, notice, edited and undecryptable events are never commands."""
    from foci_bot.bot.timeline import incoming

    assert incoming("!r", event, ME, 1000) is None


def test_own_join_and_inviter() -> None:
    """The join time is the latest change to join; the inviter comes from our stripped member event."""
    from foci_bot.bot.timeline import inviter, own_join_ms

    def member(membership: str, ts: int, prev: str | None = None) -> dict[str, object]:
        unsigned = {"prev_content": {"membership": prev}} if prev else {}
        return {
            "type": "m.room.member",
            "state_key": ME,
            "origin_server_ts": ts,
            "content": {"membership": membership},
            "unsigned": unsigned,
        }

    events = [
        member("join", 10, "invite"),
        member("join", 20, "join"),
        member("leave", 30, "join"),
        member("join", 40, "leave"),
    ]
    assert own_join_ms(events, ME, known=True) == 40
    assert own_join_ms([member("join", 20, "join")], ME, known=True) is None  # a profile change
    assert own_join_ms([member("join", 20, "join")], ME, known=False) == 20
    invite = [{"type": "m.room.name", "state_key": "", "sender": "@x:y.z", "content": {}},
              {"type": "m.room.member", "state_key": ME, "sender": "@alice:example.org", "content": {"membership": "invite"}}]  # fmt: skip
    assert inviter(invite, ME) == "@alice:example.org"
    assert inviter(invite[:1], ME) is None
