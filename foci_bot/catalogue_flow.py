"""Catalogue rows for the verified call token flow: (severity, meaning, fix, public source).

Kept apart from :mod:`foci_bot.catalogue` (which merges them into ``CATALOGUE``) so the token-flow
checks can grow without touching the discovery catalogue.
"""

from __future__ import annotations

from foci_bot.model import Severity

_EC = "element-call `src/livekit/openIDSFU.ts`, `Connection.ts`"
_FED = (
    "Serve the federation API (or at least Synapse's `openid` listener resource) where federation "
    "resolution finds it: `/.well-known/matrix/server` with `m.server` host:port, or port 8448; "
    "tunnels that block federation (e.g. Cloudflare) break it."
)
_KEYS = "Give lk-jwt-service the same `LIVEKIT_KEY`/`LIVEKIT_SECRET` as one of LiveKit's `keys`"

FLOW_ROWS: dict[str, tuple[Severity, str, str, str]] = {
    "federation-openid-unreachable": (
        "error",
        "The server's federation `openid/userinfo` cannot be reached: call backends cannot verify its users' "
        "OpenID tokens, so they get OPEN_ID_ERROR on every backend, their own or anyone's.",
        _FED,
        "spec server-server API `GET /_matrix/federation/v1/openid/userinfo`; element-call#3713; tuwunel#240",
    ),
    "federation-openid-unexpected": (
        "warning",
        "The federation `openid/userinfo` answered a random token with something other than 401 "
        "`M_UNKNOWN_TOKEN`: OpenID validation may fail.",
        "Check what answers on the federation port (a proxy, another service) and its logs.",
        "spec server-server API `GET /_matrix/federation/v1/openid/userinfo`",
    ),
    "federation-srv-only": (
        "warning",
        "Federation is found only through an SRV record; the Rust rewrite of lk-jwt-service reads only "
        "`/.well-known/matrix/server` and port 8448, so its OpenID check fails for this server.",
        "Publish `/.well-known/matrix/server` with `m.server` naming host and port, or serve federation on 8448.",
        'spec server-server API "Resolving server names"; lk-jwt-service branch `johannes/rust`',
    ),
}

#: The end-to-end token flow's verdicts (each non-ok verdict is one code).
E2E_ROWS: dict[str, tuple[Severity, str, str, str]] = {
    "e2e-openid-failed": (
        "error",
        "Getting a call token failed at OpenID: the homeserver refused `openid/request_token`, or "
        "lk-jwt-service could not verify the token (401, or 500 `M_LOOKUP_FAILED`). Element Call shows OPEN_ID_ERROR.",
        _FED + " Check lk-jwt-service's logs for the lookup error.",
        f"{_EC}; lk-jwt-service `main.go`; element-call#3713",
    ),
    "e2e-room-create-failed": (
        "error",
        'lk-jwt-service answered 500 "Unable to create room on SFU": it cannot reach LiveKit\'s API or its '
        "keys are wrong. Element Call shows OPEN_ID_ERROR (any failed `/sfu/get`, `openIDSFU.ts`).",
        f"Point `LIVEKIT_URL` at an address the service can reach (proxy `/twirp` to LiveKit); {_KEYS}.",
        "lk-jwt-service#137, #177",
    ),
    "e2e-service-error": (
        "error",
        "lk-jwt-service did not hand out a token (an unexpected status or body). Element Call cannot join.",
        "Check lk-jwt-service's logs and the reverse proxy in front of it.",
        f"{_EC}; lk-jwt-service `main.go`",
    ),
    "e2e-sfu-url-not-public": (
        "error",
        "The SFU URL lk-jwt-service hands out is not a public `wss://` URL (`ws://`, localhost or a private "
        "address): browsers cannot connect. Element Call shows SFU_ERROR.",
        "Set lk-jwt-service's `LIVEKIT_URL` to the public `wss://` address of LiveKit.",
        "lk-jwt-service README (`LIVEKIT_URL`)",
    ),
    "e2e-sfu-unreachable": (
        "error",
        "The SFU named by lk-jwt-service does not answer `/rtc/validate`. Element Call shows SFU_ERROR "
        '"Connection timeout".',
        "Proxy the SFU's HTTPS/WebSocket port (`/rtc`) to LiveKit with a valid certificate.",
        _EC,
    ),
    "e2e-sfu-rejected-token": (
        "error",
        "The SFU refused the token lk-jwt-service minted (401): their API keys differ. Element Call shows SFU_ERROR.",
        f"{_KEYS}.",
        "LiveKit `/rtc/validate`; lk-jwt-service#177",
    ),
    "e2e-room-restricted": (
        "error",
        "The SFU has no room for the call and may not create one (404: `room.auto_create: false` and the "
        'requester is not full-access). Element Call shows SFU_ERROR "call creation might be restricted".',
        "List the server in lk-jwt-service's `LIVEKIT_FULL_ACCESS_HOMESERVERS`, or allow `auto_create` in LiveKit.",
        f"{_EC}; lk-jwt-service PR #222",
    ),
    "e2e-sfu-capacity": (
        "error",
        "The SFU refuses more participants (503/429). Element Call shows INSUFFICIENT_CAPACITY_ERROR.",
        "Raise LiveKit's limits or add capacity.",
        _EC,
    ),
}
