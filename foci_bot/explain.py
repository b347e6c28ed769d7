"""Error codes users report, what causes them, and which foci-bot findings detect each cause.

Admins usually start from a screenshot of an Element Call error or an lk-jwt-service log line.
This table maps each code to its causes; ``foci-bot explain CODE`` and ``!foci explain CODE``
render it. It is pure data: adding a cause or a finding code is editing one entry here (a test
checks that every finding code named exists in :mod:`foci_bot.catalogue`).

Element Call's codes are its ``ErrorCode`` enum (element-call ``src/utils/errors.ts``, 0.26.1);
lk-jwt-service's are the ``errcode`` values of its Matrix-style error answers (lk-jwt-service
``main.go``/``handler.go``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["element-call", "lk-jwt-service", "homeserver"]

ORIGIN_LABEL: dict[Origin, str] = {
    "element-call": "Element Call error code",
    "lk-jwt-service": "lk-jwt-service `errcode`",
    "homeserver": "homeserver `errcode`",
}


@dataclass(frozen=True, slots=True)
class Cause:
    text: str
    source: str
    # Finding codes that detect this cause; empty when nothing outside the client can see it.
    findings: tuple[str, ...] = ()
    # Other foci-bot commands that show it (e.g. the room check), for causes findings cannot.
    see_also: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    code: str
    origin: Origin
    summary: str
    causes: tuple[Cause, ...]
    aliases: tuple[str, ...] = ()


_EC = "element-call `src/utils/errors.ts`"
_OPENID = "element-call `src/livekit/openIDSFU.ts` (`getSFUConfigWithOpenID`)"
_CONNECTION = "element-call `src/state/CallViewModel/remoteMembers/Connection.ts`"
# The e2e-* findings come from the token flow, which foci-bot runs only where it holds a token.
_VERIFY = "the `e2e-*` findings come from `!foci verify` (the bot's own server)"
_LK_ROUTE_FINDINGS = (
    "focus-in-use-broken",
    "livekit-unreachable",
    "livekit-tls-error",
    "livekit-prefix-not-stripped",
    "livekit-not-jwt-service",
    "livekit-backend-error",
    "focus-url-invalid",
    "focus-url-not-https",
    "focus-url-is-sfu",
)
_OPENID_LOOKUP = Cause(
    "lk-jwt-service could not check the user's OpenID token with the user's homeserver: it finds that "
    "server by federation discovery (`/.well-known/matrix/server`, SRV, else port 8448) and asks "
    "`/_matrix/federation/v1/openid/userinfo`; a homeserver whose federation API it cannot reach fails here",
    "lk-jwt-service `main.go` (`exchangeOpenIdUserInfo`); element-call#3713; tuwunel#240",
    (
        "federation-openid-unreachable",
        "federation-openid-unexpected",
        "federation-srv-only",
        "e2e-openid-failed",
    ),
    see_also=_VERIFY,
)
_ROOM_ON_SFU = Cause(
    "`Unable to create room on SFU`: lk-jwt-service cannot reach LiveKit's API at its `LIVEKIT_URL`, or its "
    "`LIVEKIT_KEY`/`LIVEKIT_SECRET` do not match LiveKit's keys",
    "lk-jwt-service `main.go` (`processLegacySFURequest`, `processSFURequest`); lk-jwt-service#137, #177",
    ("e2e-room-create-failed",),
    see_also=_VERIFY,
)

EXPLANATIONS: tuple[Explanation, ...] = (
    Explanation(
        "MISSING_MATRIX_RTC_TRANSPORT",
        "element-call",
        'Element Call found no call backend ("Call is not supported"): the homeserver offered no usable '
        "`livekit` transport and Element Call's own `config.json` has none.",
        (
            Cause(
                "The server publishes no transport at all: no transports endpoint and no "
                "`org.matrix.msc4143.rtc_foci` in the client well-known",
                "synapse#18331; MSC4143",
                ("no-rtc-transport", "some-clients-no-transport"),
            ),
            Cause(
                "The transports endpoint is not enabled (404 `M_UNRECOGNIZED`): Element Call ≥ 0.24 on its own "
                "never reads the well-known",
                "element-call `src/state/CallViewModel/localMember/RtcTransportAutoDiscovery.ts`",
                ("transports-endpoint-missing",),
            ),
            Cause(
                "The transports endpoint fails: the reverse proxy does not route it (another 404), it errors, or "
                "it answers 200 with no transports",
                "element-call `RtcTransportAutoDiscovery.ts` (any failure falls through to `config.json`); "
                "matrix-docker-ansible-deploy#5522",
                ("transports-endpoint-404", "transports-endpoint-error", "transports-endpoint-empty"),
            ),
            Cause(
                "A browser cannot read the transports endpoint: its CORS preflight does not allow "
                "`Authorization`, or the answer lacks `Access-Control-Allow-Origin` for the page's origin",
                "matrix-js-sdk `_unstable_getRTCTransports` (sends the token); Fetch standard (CORS preflight)",
                ("transports-endpoint-no-cors",),
            ),
            Cause(
                "No entry passes the `livekit` check (`type: livekit` and a `livekit_service_url` key); a `null` "
                "entry makes Element Call drop the whole list",
                "matrix-js-sdk `src/matrixrtc/LivekitTransport.ts` (`isLivekitTransportConfig`)",
                ("focus-missing-type", "focus-unknown-type", "focus-missing-url", "focus-not-an-object"),
            ),
            Cause(
                "Element Call 0.19.1–0.23 embedded (Element Web ≤ 1.12.26) skips the endpoint and reads only "
                "entry `[0]` of the well-known's `org.matrix.msc4143.rtc_foci`, as a browser (CORS on every hop)",
                "element-call 0.22.0 `RtcTransportAutoDiscovery.ts` (`tryWellKnownTransports`); "
                "matrix-docker-ansible-deploy CHANGELOG 2026-08-20",
                (
                    "legacy-client-no-transport",
                    "legacy-first-not-livekit",
                    "wellknown-no-cors",
                    "wellknown-redirect-no-cors",
                ),
            ),
            Cause(
                "Embedded in a host (Element Web, Element X) that does not answer the widget action for "
                "transports (MSC4515): the action throws and Element Call falls back to `config.json`",
                "matrix-js-sdk `src/embedded.ts` (`RoomWidgetClient._unstable_getRTCTransports`)",
            ),
        ),
        aliases=("MISSING_MATRIX_RTC_FOCUS",),
    ),
    Explanation(
        "OPEN_ID_ERROR",
        "element-call",
        "Element Call could not get a LiveKit token: either the homeserver refused an OpenID token, or "
        "lk-jwt-service's `/sfu/get` did not answer with a token.",
        (
            Cause(
                "The URL does not reach lk-jwt-service: unreachable, TLS failure, a proxy prefix not stripped, "
                "another server behind it, or the service down",
                f"{_OPENID} (any non-2xx answer throws)",
                (*_LK_ROUTE_FINDINGS, "e2e-service-error"),
            ),
            Cause(
                "The browser's CORS preflight `OPTIONS …/sfu/get` fails or is redirected (e.g. a trailing slash in "
                "`livekit_service_url` gives `…//sfu/get`, answered with a 301)",
                "lk-jwt-service `main.go` (`handle_legacy` CORS headers); element-call#3864",
                ("livekit-cors-preflight-failed", "livekit-redirect"),
            ),
            _OPENID_LOOKUP,
            _ROOM_ON_SFU,
            Cause(
                "The homeserver refused `POST /_matrix/client/v3/user/{userId}/openid/request_token`",
                _OPENID,
                ("e2e-openid-failed",),
                see_also=_VERIFY,
            ),
        ),
    ),
    Explanation(
        "NO_MATRIX_2_0_AUTHORIZATION_SERVICE",
        "element-call",
        "In `matrix_2_0` mode Element Call needs lk-jwt-service's `/get_token` route, and it failed.",
        (
            Cause(
                "`/get_token` is not routed to lk-jwt-service (older service, or a proxy that routes only "
                "`/sfu/get`); only `matrix_2_0` mode needs it",
                f"{_OPENID} (`forceMatrix2Jwt`); element-call `docs/matrix_rtc_modes.md`",
                ("livekit-outdated",),
            ),
            _OPENID_LOOKUP,
        ),
    ),
    Explanation(
        "SFU_ERROR",
        "element-call",
        "Element Call got a token but could not connect to the LiveKit SFU.",
        (
            Cause(
                "The SFU answered 404: the room does not exist, LiveKit has `auto_create: false`, and the user's "
                "homeserver is not in lk-jwt-service's `LIVEKIT_FULL_ACCESS_HOMESERVERS`, so nobody created it",
                f"{_CONNECTION} (`SFURoomCreationRestrictedError`); lk-jwt-service README",
                ("e2e-room-restricted",),
                see_also=_VERIFY,
            ),
            Cause(
                "The media connection timed out: LiveKit's UDP range or TCP 7881 is closed, or it runs behind NAT "
                "without its external IP",
                f"{_CONNECTION} (`PeerConnectionTimeoutError`); element-call#3925",
                ("e2e-sfu-unreachable",),
                see_also=_VERIFY + "; it reaches the SFU over HTTPS only, so closed UDP ports stay unseen",
            ),
            Cause(
                "LiveKit refused the token (lk-jwt-service and LiveKit have different keys), or the `url` "
                "lk-jwt-service hands out (`LIVEKIT_URL`) is `ws://`, localhost or private",
                f"{_CONNECTION} (`LivekitConnectionError`)",
                ("e2e-sfu-rejected-token", "e2e-sfu-url-not-public"),
                see_also=_VERIFY,
            ),
        ),
    ),
    Explanation(
        "INSUFFICIENT_CAPACITY_ERROR",
        "element-call",
        "LiveKit refused the connection for capacity: it answered 503, 429 or (for room participant "
        "limits) 200 when connecting.",
        (
            Cause(
                "The SFU hit its room, participant or track limits (LiveKit `limit` settings), or LiveKit Cloud's "
                "connection limits",
                f"{_CONNECTION} (`InsufficientCapacityError`)",
                ("e2e-sfu-capacity",),
                see_also=_VERIFY,
            ),
        ),
    ),
    Explanation(
        "STICKY_EVENTS_NOT_SUPPORTED",
        "element-call",
        "This Element Call deployment is pinned to `matrix_2_0` mode, which sends memberships as sticky events "
        "(MSC4354), and the homeserver does not support them.",
        (
            Cause(
                "`matrix_rtc_mode: matrix_2_0` in Element Call's `config.json` with a homeserver that does not "
                "advertise `org.matrix.msc4354`",
                f"{_EC} (`StickyEventsRequiredError`); element-call `src/room/CallView.tsx`",
            ),
        ),
    ),
    Explanation(
        "INTERNAL_MEMBERSHIP_MANAGER",
        "element-call",
        "Joining the call's MatrixRTC session failed: Element Call could not send or keep up the call "
        "membership event.",
        (
            Cause(
                "The user may not send `org.matrix.msc3401.call.member` state events: the room's power levels "
                "require more than the user has",
                "element-call `src/state/CallViewModel/localMember/LocalMember.ts` (`MembershipManagerError`); "
                "element-call#3409",
                see_also="`!foci room` says who lacks permission and the power-levels change that fixes it",
            ),
            Cause(
                "The homeserver refused the membership or its delayed leave event (delayed events, MSC4140)",
                "element-call `LocalMember.ts`; matrix-js-sdk `src/matrixrtc/MembershipManager.ts`",
            ),
        ),
        aliases=("MEMBERSHIP_MANAGER_UNRECOVERABLE",),
    ),
    Explanation(
        "FAILED_TO_START_LIVEKIT",
        "element-call",
        "Element Call connected to LiveKit but could not start publishing its media.",
        (
            Cause(
                "Publishing was refused or failed: the token does not allow publishing (a homeserver without full "
                "access on that lk-jwt-service), or the browser could not open the camera or microphone",
                "element-call `src/state/CallViewModel/localMember/LocalMember.ts` "
                "(`FailToStartLivekitConnection`); lk-jwt-service PR #222",
            ),
        ),
    ),
    Explanation(
        "CONNECTION_LOST_ERROR",
        "element-call",
        "The connection to the call was lost and could not be re-established.",
        (
            Cause(
                "The network dropped, or the SFU restarted or closed the connection",
                f"{_EC} (`ConnectionLostError`); element-call `src/room/InCallView.tsx`",
            ),
        ),
    ),
    Explanation(
        "E2EE_NOT_SUPPORTED",
        "element-call",
        "The browser cannot do the end-to-end encryption this call uses.",
        (
            Cause(
                "The browser lacks the encoded-media APIs Element Call's encryption needs",
                f"{_EC} (`E2EENotSupportedError`); element-call `src/room/CallView.tsx`",
            ),
        ),
    ),
    Explanation(
        "UNKNOWN_ERROR",
        "element-call",
        "An error Element Call has no code for; the cause is in the browser console or Element Call's logs.",
        (Cause("Anything not covered by another code", f"{_EC} (`UnknownCallError`)"),),
    ),
    Explanation(
        "M_BAD_JSON",
        "lk-jwt-service",
        "lk-jwt-service (400) got JSON without the fields it needs (`room` and `openid_token` for `/sfu/get`; "
        "`room_id`, `slot_id`, `member`, `openid_token` for `/get_token`).",
        (
            Cause(
                "Element Call and lk-jwt-service versions do not match (Element Call retries `/sfu/get` without "
                "the delayed-leave fields on this answer); a request with no fields, as foci-bot's probe sends, "
                "gets it too, which shows the route reaches lk-jwt-service",
                f"lk-jwt-service `main.go` (`Validate`); {_OPENID}",
            ),
        ),
    ),
    Explanation(
        "M_NOT_JSON",
        "lk-jwt-service",
        "lk-jwt-service (400) could not read the request body.",
        (
            Cause(
                "A proxy altered or cut the request body, or the client sent no JSON",
                "lk-jwt-service `main.go` (`handle_legacy`, `handle`)",
            ),
        ),
    ),
    Explanation(
        "M_LOOKUP_FAILED",
        "lk-jwt-service",
        "lk-jwt-service v0.3–v0.5.0 (500 on `/sfu/get`) could not verify the user's OpenID token; Element Call "
        "shows OPEN_ID_ERROR.",
        (_OPENID_LOOKUP,),
    ),
    Explanation(
        "M_UNAUTHORIZED",
        "lk-jwt-service",
        "lk-jwt-service (401) did not accept the user's OpenID token; Element Call shows OPEN_ID_ERROR.",
        (
            _OPENID_LOOKUP,
            Cause(
                "The token's user is not the `claimed_user_id` the client sent to `/get_token`",
                "lk-jwt-service `main.go` (`processSFURequest`)",
            ),
        ),
    ),
    Explanation(
        "M_FORBIDDEN",
        "lk-jwt-service",
        "lk-jwt-service (403) refused to take over the delayed leave event.",
        (
            Cause(
                "`/delegate_delayed_leave` is only for homeservers in `LIVEKIT_FULL_ACCESS_HOMESERVERS`",
                "lk-jwt-service `handler.go` (`processDelegateDelayedLeave`)",
            ),
        ),
    ),
    Explanation(
        "M_UNKNOWN",
        "lk-jwt-service",
        "lk-jwt-service failed internally (500), or is shutting down (503).",
        (
            _ROOM_ON_SFU,
            Cause("Signing the LiveKit token failed (`Internal Server Error`)", "lk-jwt-service `main.go`"),
        ),
    ),
    Explanation(
        "M_UNKNOWN_TOKEN",
        "homeserver",
        "The homeserver did not accept a token: in lk-jwt-service's logs, its "
        "`/_matrix/federation/v1/openid/userinfo` rejected the user's OpenID token.",
        (
            Cause(
                "The OpenID token expired, was already used (they are single-use), or was issued by another "
                "server than the one asked",
                "Matrix spec: Server-Server API, OpenID (`GET /_matrix/federation/v1/openid/userinfo`)",
            ),
        ),
    ),
)

_BY_CODE: dict[str, Explanation] = {}
for _entry in EXPLANATIONS:
    for _name in (_entry.code, *_entry.aliases):
        _BY_CODE[_name] = _entry


def normalise(text: str) -> str:
    """What the user typed, as a code: surrounding quotes and backticks dropped, upper case."""
    return text.strip().strip("`'\"").strip().upper()


def lookup(text: str) -> Explanation | None:
    """The explanation for a code (case-insensitive; older names accepted), or None."""
    return _BY_CODE.get(normalise(text))


def known_codes() -> tuple[str, ...]:
    return tuple(e.code for e in EXPLANATIONS)
