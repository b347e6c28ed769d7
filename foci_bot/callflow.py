"""Values for what foci-bot verified of the call token flow (no I/O).

Two layers: federation OpenID reachability, which needs no credentials and is checked for every
server, and the end-to-end token flow (OpenID token -> lk-jwt-service -> SFU), which needs an
access token and so runs only for the bot's own server or a CLI target given one.

Neither value ever holds a token: not the probe's random OpenID token, not a real one, not a JWT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Via = Literal["ip-literal", "explicit-port", "well-known", "srv", "default-port"]
OpenIdState = Literal["reachable", "unreachable", "error", "not-checked"]

#: The spec's default federation port (server-server API, "Resolving server names").
FEDERATION_PORT = 8448


@dataclass(frozen=True, slots=True)
class FederationTarget:
    """Where federation requests for a server name go, and what TLS and Host say there.

    For SRV results the connection goes to the SRV target while the certificate must be valid
    for the (delegated) server name, as the spec requires since v1.8.
    """

    connect_host: str  # name or IP literal (IPv6 without brackets) to connect to
    port: int
    tls_name: str  # the name the certificate must be valid for
    host_header: str
    via: Via

    @property
    def server_url(self) -> str:
        host = f"[{self.connect_host}]" if ":" in self.connect_host else self.connect_host
        return f"https://{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Federation:
    """The federation OpenID reachability of one server, as reports and JSON show it."""

    server_url: str | None
    via: Via | None
    openid: OpenIdState
    status: int | None = None
    errcode: str | None = None
    detail: str = ""  # what went wrong, for humans (never a token)
    delegated_to: str | None = None  # m.server from /.well-known/matrix/server, if any


Verdict = Literal[
    "ok",
    "openid-failed",
    "room-create-failed",
    "service-error",
    "sfu-url-not-public",
    "sfu-unreachable",
    "sfu-rejected-token",
    "room-restricted",
    "sfu-capacity",
]
Route = Literal["/sfu/get", "/get_token"]


@dataclass(frozen=True, slots=True)
class E2eStep:
    """One transport's end-to-end result: the lk-jwt-service answer and the SFU's."""

    livekit_service_url: str
    route: Route | None
    status: int | None
    errcode: str | None
    sfu_url: str | None
    sfu_validate_status: int | None
    verdict: Verdict
    detail: str = ""
