"""The real-homeserver harness itself: servers start, talk, restart and federate."""

from __future__ import annotations

import ssl
import urllib.error

import pytest

from tests.support.fixtures_synapse import FederationFoci, SynapseFactory, unique_localpart
from tests.support.synapse_harness import (
    RTC_FOCI_KEY,
    RTC_TRANSPORTS_PATH,
    Federation,
    Synapse,
    http_request,
    livekit_focus,
    wait_until,
)


def test_two_users_share_a_room(synapse: Synapse) -> None:
    alice = synapse.register(unique_localpart("alice"), "alice-pw")
    bob = synapse.register(unique_localpart("bob"), "bob-pw")
    assert alice.startswith("@alice-") and alice.endswith(f":{synapse.server_name}")
    alice_token = synapse.login(alice, "alice-pw")
    bob_token = synapse.login(bob, "bob-pw")

    room_id = synapse.create_room(alice_token, preset="public_chat", name="harness")
    assert synapse.join(bob_token, room_id) == room_id
    synapse.send_message(alice_token, room_id, "hello bob")

    assert synapse.joined_members(bob_token, room_id) == {alice, bob}
    seen = [(e["sender"], e["content"]["body"]) for e in synapse.messages(bob_token, room_id)]
    assert seen == [(alice, "hello bob")]


def test_restart_keeps_data(synapse_factory: SynapseFactory) -> None:
    server = synapse_factory()
    user = server.new_user("carol", "carol-pw")
    room_id = server.create_room(user.access_token, name="before restart")
    first_pid = server.pid

    server.restart()

    assert server.running and server.pid != first_pid
    token = server.login(user.user_id, "carol-pw")
    assert server.get_state(token, room_id, "m.room.name") == {"name": "before restart"}
    server.stop()
    assert not server.running and server.pid is None
    with pytest.raises(OSError):  # nothing listens any more
        http_request("GET", f"{server.client_url}/_matrix/client/versions", timeout=2)


def test_remote_user_joins_a_room(federation: Federation) -> None:
    hs1, hs2 = federation[0], federation[1]
    alice = hs1.new_user(unique_localpart("alice"))
    bob = hs2.new_user(unique_localpart("bob"))
    assert bob.user_id.endswith(f":{hs2.server_name}") and hs2.server_name.startswith("127.0.0.2:")

    room_id = hs1.create_room(alice.access_token, preset="public_chat")
    hs2.join(bob.access_token, room_id, via=[hs1.server_name])

    everyone = {alice.user_id, bob.user_id}
    wait_until(
        lambda: hs1.joined_members(alice.access_token, room_id) == everyone,
        what="both members on hs1",
    )
    hs2.send_message(bob.access_token, room_id, "hi from afar")

    def alice_sees_it() -> bool:
        bodies = [e["content"]["body"] for e in hs1.messages(alice.access_token, room_id)]
        return "hi from afar" in bodies

    wait_until(alice_sees_it, what="hs2's message on hs1")


def test_client_well_known_is_served_over_https(
    federation: Federation, federation_foci: FederationFoci
) -> None:
    healthy = federation[2]
    response = http_request("GET", healthy.well_known_url, ssl_context=federation.ssl_context())

    assert response.status == 200
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    assert response.body == {
        "m.homeserver": {"base_url": f"{healthy.tls_url}/"},
        RTC_FOCI_KEY: [livekit_focus(federation_foci.healthy)],
    }
    plain = http_request("GET", federation[0].well_known_url, ssl_context=federation.ssl_context())
    assert plain.status == 200 and RTC_FOCI_KEY not in plain.body
    # The certificate is real: without the test CA it is refused.
    with pytest.raises(urllib.error.URLError) as refused:
        http_request("GET", healthy.well_known_url, ssl_context=ssl.create_default_context())
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)


def test_rtc_transports_endpoint(
    federation: Federation, federation_foci: FederationFoci, synapse_factory: SynapseFactory
) -> None:
    broken, without_foci = federation[1], federation[0]
    token = broken.new_user(unique_localpart("dave")).access_token

    anonymous = http_request("GET", broken.client_url + RTC_TRANSPORTS_PATH)
    assert anonymous.status == 401 and anonymous.body["errcode"] == "M_MISSING_TOKEN"
    answer = http_request("GET", broken.client_url + RTC_TRANSPORTS_PATH, token=token)
    assert answer.status == 200
    assert answer.body == {"rtc_transports": [livekit_focus(federation_foci.broken)]}

    other_token = without_foci.new_user(unique_localpart("erin")).access_token
    off = http_request("GET", without_foci.client_url + RTC_TRANSPORTS_PATH, token=other_token)
    assert off.status == 404

    empty = synapse_factory(rtc_transports=[])
    empty_token = empty.new_user("frank").access_token
    assert http_request("GET", empty.client_url + RTC_TRANSPORTS_PATH, token=empty_token).body == {}
