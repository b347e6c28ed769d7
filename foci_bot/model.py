"""The data foci-bot works on: frozen values, no I/O.

Everything the network returns is turned into these values by the shells (``http.py``,
``discover.py``), and every check is a pure function over them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from foci_bot.callflow import E2eStep, Federation

Severity = Literal["error", "warning", "info"]
Status = Literal["ok", "warning", "error"]
#: Can a server's users publish in a call today ("unknown": hidden behind the token).
TransportState = Literal["working", "broken", "none", "unknown"]
#: A probed lk-jwt-service URL.
Health = Literal["healthy", "broken", "unreachable", "blocked"]
#: The transports endpoint's answer, by what clients do with it (Element X: ruma
#: ``is_endpoint_not_implemented``; matrix-js-sdk ``_unstable_getRTCTransports``).
EndpointState = Literal[
    "listed",
    "empty",
    "empty-object",
    "auth",
    "missing",
    "not-found",
    "proxy-404",
    "invalid",
    "error",
    "not-checked",
]
#: The spec's client well-known outcome ("Server Discovery"), or "unknown" when not fetched.
WellKnownOutcome = Literal["IGNORE", "FAIL_PROMPT", "FAIL_ERROR", "OK", "unknown"]

SEVERITY_RANK: Mapping[str, int] = {"info": 0, "warning": 1, "error": 2}

#: Well-known keys that may carry foci, in the order clients prefer them.
KEY_MSC4143 = "org.matrix.msc4143.rtc_foci"
KEY_STABLE = "m.rtc_foci"
KEY_MSC4158 = "org.matrix.msc4158.rtc_foci"
FOCI_KEYS = (KEY_MSC4143, KEY_STABLE, KEY_MSC4158)

#: The transports endpoint (MSC4143, now MSC4519), unstable path first: it is the one clients call.
TRANSPORTS_UNSTABLE = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"

#: Client families, in the order reports list them (README, "What it checks").
CLIENTS = ("element-call", "element-web", "element-x", "element-call-legacy")
CLIENT_LABELS: Mapping[str, str] = {
    "element-call": "Element Call ≥ 0.24",
    "element-web": "Element Web",
    "element-x": "Element X",
    "element-call-legacy": "Element Call 0.19–0.23 (Element Web ≤ 1.12.26)",
}

UNKNOWN: Final = "unknown"


@dataclass(frozen=True, slots=True)
class ServerName:
    """A Matrix server name (spec appendix "Server name"), already validated."""

    host: str  # lower-case DNS name, dotted IPv4, or IPv6 *without* brackets
    port: int | None = None
    is_ipv6: bool = False

    @property
    def host_for_url(self) -> str:
        return f"[{self.host}]" if self.is_ipv6 else self.host

    def __str__(self) -> str:
        return self.host_for_url + (f":{self.port}" if self.port is not None else "")


@dataclass(frozen=True, slots=True)
class Hop:
    """One answer in a redirect chain."""

    url: str
    status: int
    cors: str | None  # the Access-Control-Allow-Origin value, if any
    origin: str | None = None  # the Origin header sent on this hop


class FetchError(enum.Enum):
    """Why a request produced no usable answer. Values are stable and appear in JSON."""

    BLOCKED = "blocked-address"
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    TOO_LARGE = "too-large"
    REDIRECT_LOOP = "redirect-loop"
    TOO_MANY_REDIRECTS = "too-many-redirects"
    BAD_REDIRECT = "bad-redirect"
    NOT_HTTPS = "not-https"
    BAD_URL = "bad-url"
    PROTOCOL = "protocol"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetch:
    """What one HTTP exchange (redirects followed) showed. Faults are values, not exceptions."""

    url: str
    method: str = "GET"
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    final_url: str | None = None
    hops: tuple[Hop, ...] = ()
    error: FetchError | None = None
    detail: str = ""
    elapsed_ms: float = 0.0
    origin: str | None = None  # the Origin header sent on the last request ("null" once tainted)

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Focus:
    """One advertised focus, valid or not, with where it came from."""

    source: str  # well-known key name or the transports endpoint path
    index: int
    type: str | None
    livekit_service_url: str | None
    raw: object = None

    @property
    def usable(self) -> bool:
        """What matrix-js-sdk accepts: type ``livekit`` with a string URL (matrix-js-sdk ``isLivekitTransportConfig``)."""
        return self.type == "livekit" and isinstance(self.livekit_service_url, str)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    """What a browser's requests to one `livekit_service_url` meet, without credentials.

    Every URL is `livekit_service_url + route` as a string, as Element Call builds it
    (element-call `src/livekit/openIDSFU.ts`), and no redirect is followed.
    """

    url: str
    preflight: Fetch  # OPTIONS /sfu/get with Origin, as before the browser's POST
    sfu_get: Fetch  # POST /sfu/get `{}`: lk-jwt-service answers 400 M_BAD_JSON
    get_token: Fetch  # POST /get_token `{}`: likewise, on services that have the route
    healthz: Fetch  # GET /healthz: supporting evidence only (ESS routes it to LiveKit)
    root: Fetch  # GET / on the URL's host: LiveKit answers `OK`


ClientAnswer = str | None  # a URL, None for "no transport", or UNKNOWN


@dataclass(frozen=True, slots=True)
class ClientVerdict:
    client: str
    url: ClientAnswer
    reason: str
    rule: str = ""  # which step of the client's discovery decided (stable id, in JSON)
    error: str | None = None  # the Element Call error the user sees, when none or broken


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerReport:
    """Everything known about one server's MatrixRTC discovery, ready to render."""

    server: str
    status: Status
    findings: tuple[Finding, ...]
    foci: tuple[Focus, ...]
    clients: tuple[ClientVerdict, ...]
    wellknown_outcome: WellKnownOutcome
    base_url: str | None
    transports_state: EndpointState
    probes: Mapping[str, Health]  # focus URL -> its health
    transport: TransportState = "none"
    transport_url: str | None = None
    facts: Mapping[str, object] = field(default_factory=dict)  # raw observations for --json
    federation: Federation | None = None  # federation OpenID reachability (None: not checked)
    e2e: tuple[E2eStep, ...] | None = None  # the token flow end to end (None: no token to try it)


def worst(findings: tuple[Finding, ...] | list[Finding]) -> Status:
    rank = max((SEVERITY_RANK[f.severity] for f in findings), default=0)
    statuses: tuple[Status, Status, Status] = ("ok", "warning", "error")
    return statuses[rank]


@dataclass(frozen=True, slots=True, kw_only=True)
class Observations:
    """Everything fetched for one server; the pure analysis turns it into a ServerReport."""

    server: ServerName
    wellknown: Fetch
    versions: Fetch | None = None
    transports_unstable: Fetch | None = None
    transports_preflight: Fetch | None = None  # OPTIONS, as a browser sends it before the GET
    probes: Mapping[str, ProbeResult] = field(default_factory=dict)
    other_host_wellknown: Fetch | None = None  # https://matrix.<server>/.well-known/matrix/client
    base_url_assumed: bool = False
    deadline_hit: bool = False
    transports_authenticated: bool = False  # asked with our own access token (our homeserver)
    federation: Federation | None = None
    e2e: tuple[E2eStep, ...] | None = None
