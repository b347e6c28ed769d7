"""Every finding code foci-bot can emit: meaning, default severity, fix hint and source.

The README's finding catalogue is checked against this table by the test suite, so the two
cannot drift apart. Codes are stable: tests and users rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from foci_bot.catalogue_flow import E2E_ROWS, FLOW_ROWS
from foci_bot.model import Finding, Severity


@dataclass(frozen=True, slots=True)
class Entry:
    severity: Severity
    meaning: str
    hint: str
    source: str


_S = "Synapse: `experimental_features: {msc4143_enabled: true}` plus `matrix_rtc: {transports: [{type: livekit, livekit_service_url: …}]}`"
_WK = "`extra_well_known_client_content` (Synapse) or the file served at `/.well-known/matrix/client`"

CATALOGUE: dict[str, Entry] = {
    # -- verdicts over all clients
    "no-rtc-transport": Entry(
        "error",
        "No client family finds a call backend: calls fail with MISSING_MATRIX_RTC_TRANSPORT.",
        f"Publish a transport: {_S}, and the `org.matrix.msc4143.rtc_foci` key in {_WK}.",
        "domain.md §1, §5.1; synapse#18331",
    ),
    "some-clients-no-transport": Entry(
        "warning",
        "Some current client families find no call backend.",
        f"Enable the transports endpoint ({_S}) and keep the well-known `org.matrix.msc4143.rtc_foci` key.",
        "domain.md §1",
    ),
    "server-unreachable": Entry(
        "error",
        "Neither the client well-known nor the client API answered (DNS, connection, timeout or refused address): the server could not be judged.",
        "Check that the server name resolves and that port 443 answers; a dead server's members are counted as unknown in room checks.",
        "issue #4 §1a (slow or dead servers)",
    ),
    "legacy-client-no-transport": Entry(
        "info",
        "Element Call ≤ 0.23 finds no usable entry [0] under `org.matrix.msc4143.rtc_foci`.",
        f"Put a `livekit` focus first under `org.matrix.msc4143.rtc_foci` in {_WK}.",
        "domain.md §1, §3",
    ),
    "transport-needs-auth": Entry(
        "info",
        "What current clients use depends on the authenticated transports endpoint, which foci-bot cannot read for a remote server.",
        "Run foci-bot with an account on that server (the bot reads its own homeserver), or compare with the server's `matrix_rtc` config.",
        "domain.md §1",
    ),
    "focus-in-use-broken": Entry(
        "error",
        "The call backend that clients will use failed its probes.",
        "Fix the lk-jwt-service behind that URL (see the livekit-* findings), or advertise a working one first.",
        "domain.md §3, §5",
    ),
    "check-deadline": Entry(
        "error",
        "The server's checks did not finish before the per-server deadline; the report is partial.",
        "Make the server answer faster; `--deadline` sets the limit.",
        "issue #2 §7 (limits)",
    ),
    # -- the client well-known
    "address-blocked": Entry(
        "error",
        "A URL resolves to a loopback, private, link-local or otherwise non-public address; foci-bot refused to connect.",
        "Publish public addresses in DNS and in the well-known. For lab use, run with `--allow-private`.",
        "issue #2 §7 (address guard)",
    ),
    "wellknown-unreachable": Entry(
        "warning",
        "The client well-known could not be fetched (DNS, connection or timeout).",
        "Serve `https://SERVER/.well-known/matrix/client` on port 443 of the server name's host.",
        "spec: Server Discovery; domain.md §2",
    ),
    "wellknown-tls-error": Entry(
        "error",
        "TLS failed for the client well-known (expired, self-signed or wrong-name certificate).",
        "Install a valid certificate for the server name's host.",
        "domain.md §5.16",
    ),
    "wellknown-not-found": Entry(
        "warning",
        "The client well-known answers 404 (spec outcome IGNORE): clients cannot discover the homeserver or its foci.",
        f"Serve it, e.g. Synapse `serve_client_wellknown: true` with `public_baseurl`, or {_WK}.",
        "spec: Server Discovery",
    ),
    "wellknown-http-error": Entry(
        "warning",
        "The client well-known answers a status other than 200 or 404 (FAIL_PROMPT).",
        "Make the web server answer 200 with the JSON document.",
        "spec: Server Discovery",
    ),
    "wellknown-invalid-json": Entry(
        "warning",
        "The client well-known is empty, not JSON, or not a JSON object (FAIL_PROMPT).",
        "Serve a JSON object; check for HTML error pages and stray characters.",
        "spec: Server Discovery",
    ),
    "wellknown-too-large": Entry(
        "warning",
        "The client well-known is larger than 64 KiB or nested too deeply; foci-bot refused it.",
        "Serve a small JSON document.",
        "issue #2 §7 (limits)",
    ),
    "wellknown-content-type": Entry(
        "warning",
        "The client well-known is not served as `application/json`.",
        "Set `Content-Type: application/json` (nginx: `default_type application/json;`).",
        "domain.md §2",
    ),
    "wellknown-no-cors": Entry(
        "warning",
        "The client well-known lacks `Access-Control-Allow-Origin: *`: browser clients (Element Web, Element Call) cannot read it.",
        "Add `Access-Control-Allow-Origin: *` to the well-known response.",
        "domain.md §2; element-docker-demo#12",
    ),
    "wellknown-redirect-no-cors": Entry(
        "warning",
        "A redirect hop on the way to the client well-known lacks CORS, so browsers stop there.",
        "Add `Access-Control-Allow-Origin: *` to every redirect answer, or serve the file without redirecting.",
        "spec v1.20 (MSC4402); domain.md §2",
    ),
    "wellknown-redirected": Entry(
        "info",
        "The client well-known is reached through redirects.",
        "Serving it directly saves clients a round trip.",
        "spec v1.20 (MSC4402)",
    ),
    "wellknown-redirect-failed": Entry(
        "warning",
        "The redirects for the client well-known loop, go on for too long, or leave https.",
        "Serve the file directly, with at most a few https redirects.",
        "spec v1.20 (MSC4402)",
    ),
    "wellknown-no-base-url": Entry(
        "warning",
        "The client well-known has no `m.homeserver.base_url` (FAIL_PROMPT).",
        'Add `"m.homeserver": {"base_url": "https://matrix.example.org"}`.',
        "spec: Server Discovery",
    ),
    "wellknown-on-other-host": Entry(
        "warning",
        "No usable well-known on the server name's host, but `matrix.<server>` serves one: it is on the wrong host.",
        "Serve the file on the server name's own host (port 443), not on the `matrix.` subdomain.",
        "domain.md §2; matrix-docker-ansible-deploy#4224",
    ),
    "wellknown-identity-server-invalid": Entry(
        "warning",
        "`m.identity_server` is present but has no valid `base_url` (FAIL_PROMPT).",
        "Fix or remove the `m.identity_server` key.",
        "spec: Server Discovery",
    ),
    "wellknown-key-naming": Entry(
        "info",
        "A well-known key does not use Java-package naming.",
        "Name custom keys like `com.example.key`.",
        "spec: Server Discovery",
    ),
    "base-url-invalid": Entry(
        "error",
        "`m.homeserver.base_url` is not an http(s) URL (FAIL_ERROR).",
        "Set it to the homeserver's public client API URL, e.g. `https://matrix.example.org`.",
        "spec: Server Discovery",
    ),
    "base-url-versions-failed": Entry(
        "error",
        "`GET {base_url}/_matrix/client/versions` failed or has no `versions` list (FAIL_ERROR).",
        "Point `base_url` at the homeserver's client API, and route `/_matrix` to it.",
        "spec: Server Discovery",
    ),
    "base-url-assumed": Entry(
        "info",
        "No usable base_url was discovered; foci-bot assumed `https://SERVER`.",
        "Publish `m.homeserver.base_url` in the client well-known.",
        "spec: Server Discovery",
    ),
    "versions-no-msc4143": Entry(
        "info",
        "`/_matrix/client/versions` does not list `org.matrix.msc4143` in `unstable_features`.",
        "Synapse ≥ 1.156 lists it when `msc4143_enabled` is on.",
        "domain.md §1; synapse#19646",
    ),
    # -- foci in the well-known
    "foci-not-a-list": Entry(
        "warning",
        "A foci key's value is not a list; clients ignore it.",
        "Make it a JSON list of focus objects.",
        "MSC4143",
    ),
    "foci-empty": Entry(
        "info", "A foci key holds an empty list.", "Add a `livekit` focus or remove the key.", "MSC4143"
    ),
    "focus-not-an-object": Entry(
        "warning",
        "A foci entry is not a JSON object; clients skip it.",
        'Each entry must be an object like `{"type": "livekit", "livekit_service_url": "https://…"}`.',
        "MSC4143",
    ),
    "focus-missing-type": Entry(
        "warning",
        "A foci entry has no string `type`; clients skip it.",
        'Add `"type": "livekit"`.',
        "MSC4143; domain.md §3",
    ),
    "focus-unknown-type": Entry(
        "info",
        "A foci entry has a type clients do not know; they skip it.",
        "Nothing to do if intended; current clients only use `livekit`.",
        "domain.md §3",
    ),
    "focus-missing-url": Entry(
        "warning",
        "A `livekit` entry has no `livekit_service_url`; clients skip it.",
        "Add `livekit_service_url` with the lk-jwt-service base URL.",
        "domain.md §3",
    ),
    "focus-misnamed-field": Entry(
        "warning",
        "A `livekit` entry carries a field that looks like a misspelt `livekit_service_url`.",
        "Rename it to `livekit_service_url`.",
        "domain.md §3; synapse#19621",
    ),
    "focus-url-invalid": Entry(
        "warning",
        "`livekit_service_url` is not a valid absolute URL.",
        "Use the lk-jwt-service base URL, e.g. `https://rtc.example.org/livekit/jwt`.",
        "domain.md §3",
    ),
    "focus-url-credentials": Entry(
        "error",
        "`livekit_service_url` carries a user name and password (`user:pass@`): published to anyone, and browsers refuse fetch() to such a URL, so browser clients fail; foci-bot shows it as `***@` and does not probe it.",
        "Remove the `user:pass@` part; lk-jwt-service authenticates callers by their OpenID token, not by URL credentials.",
        "WHATWG Fetch standard, `new Request()`: a URL that includes credentials throws a TypeError",
    ),
    "focus-url-not-https": Entry(
        "warning",
        "`livekit_service_url` is not https; browsers block it from an https page.",
        "Serve lk-jwt-service over https.",
        "domain.md §5.7",
    ),
    "focus-url-is-sfu": Entry(
        "warning",
        "`livekit_service_url` looks like the LiveKit SFU (ws/wss or an SFU path), not the authorization service.",
        "Point it at lk-jwt-service (e.g. `https://rtc.example.org/livekit/jwt`), not at LiveKit itself.",
        "domain.md §3, §5.7; synapse#19621",
    ),
    "foci-both-keys": Entry(
        "warning",
        "Both `m.rtc_foci` and `org.matrix.msc4143.rtc_foci` are published; ruma treats them as one field, so Element X probably fails to parse the well-known (inference).",
        "Keep only `org.matrix.msc4143.rtc_foci`.",
        "domain.md §1 (inference)",
    ),
    "foci-unread-keys-only": Entry(
        "warning",
        "Foci are published only under keys current clients ignore (`org.matrix.msc4158.rtc_foci`, or `m.rtc_foci` which only Element X reads).",
        "Publish them under `org.matrix.msc4143.rtc_foci`.",
        "domain.md §1, §5.4",
    ),
    "foci-msc4158-key": Entry(
        "info",
        "`org.matrix.msc4158.rtc_foci` is published; no known client reads it.",
        "Remove it, or move its entries to `org.matrix.msc4143.rtc_foci`.",
        "domain.md §1",
    ),
    "legacy-first-not-livekit": Entry(
        "warning",
        "Entry [0] under `org.matrix.msc4143.rtc_foci` is not a usable `livekit` focus; Element Call ≤ 0.23 takes [0] without checking.",
        "Put the `livekit` focus first.",
        "domain.md §3",
    ),
    # -- the transports endpoint
    "transports-endpoint-auth": Entry(
        "info",
        "The transports endpoint is implemented and requires an access token (401).",
        "Nothing to fix: clients call it with their token.",
        "MSC4143; domain.md §1",
    ),
    "transports-endpoint-open": Entry(
        "info",
        "The transports endpoint answers without an access token.",
        "Nothing to fix (Tuwunel allows it).",
        "domain.md §1; tuwunel PR #512",
    ),
    "transports-endpoint-missing": Entry(
        "warning",
        "The transports endpoint is not implemented (404 `M_UNRECOGNIZED`): Element Call ≥ 0.24 on its own finds no transport; hosts fall back to the well-known.",
        f"{_S} (Synapse ≥ 1.140).",
        "domain.md §1, §5.6",
    ),
    "transports-endpoint-404": Entry(
        "warning",
        "The transports endpoint answers 404 without `M_UNRECOGNIZED`: probably the reverse proxy does not route it; clients do not fall back.",
        "Route all of `/_matrix` to the homeserver.",
        "domain.md §1",
    ),
    "transports-endpoint-empty": Entry(
        "warning",
        "The transports endpoint answers 200 with no transports: this hides the well-known fallback in Element Web and Element X.",
        f"List transports in `matrix_rtc.transports`, or turn `msc4143_enabled` off. {_S}.",
        "domain.md §1, §5.5; matrix-docker-ansible-deploy#5522",
    ),
    "transports-endpoint-invalid": Entry(
        "warning",
        'The transports endpoint\'s 200 answer is not the expected `{"rtc_transports": [...]}`.',
        "Fix the homeserver's transports configuration.",
        "MSC4143",
    ),
    "transports-endpoint-error": Entry(
        "warning",
        "The transports endpoint failed (other status, TLS, timeout or connection error).",
        "Check the homeserver and the reverse proxy for `/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`.",
        "MSC4143",
    ),
    "transports-v1-missing": Entry(
        "info",
        "The stable `/_matrix/client/v1/rtc/transports` path is not served; clients use the unstable one today.",
        "Nothing to fix yet (synapse#19652).",
        "domain.md §1; synapse#19652",
    ),
    "transports-only-v1": Entry(
        "warning",
        "Only the stable v1 transports path works; clients call the unstable path.",
        "Also serve `/_matrix/client/unstable/org.matrix.msc4143/rtc/transports`.",
        "domain.md §1, §5.6",
    ),
    "transports-differ": Entry(
        "info",
        "The transports endpoint and the well-known advertise different backends.",
        "Advertise the same transport in both places.",
        "domain.md §1",
    ),
    # -- lk-jwt-service probes
    "livekit-unreachable": Entry(
        "error",
        "The lk-jwt-service URL could not be reached (DNS, connection or timeout).",
        "Check DNS, the reverse proxy and that lk-jwt-service runs.",
        "domain.md §3",
    ),
    "livekit-tls-error": Entry(
        "error",
        "TLS failed for the lk-jwt-service URL.",
        "Install a valid certificate for its host.",
        "domain.md §5.16",
    ),
    "livekit-prefix-not-stripped": Entry(
        "error",
        "Every lk-jwt-service route answers 404: the reverse proxy probably does not strip the path prefix.",
        "Strip the prefix, e.g. nginx `location /livekit/jwt/ { proxy_pass http://lk-jwt:8080/; }` (trailing slash).",
        "domain.md §3, §5.8; lk-jwt-service#117",
    ),
    "livekit-outdated": Entry(
        "warning",
        "`/get_token` answers 404 while `/sfu/get` works: the lk-jwt-service is outdated.",
        "Upgrade lk-jwt-service (Element Call reports NO_MATRIX_2_0_AUTHORIZATION_SERVICE).",
        "domain.md §3, §5.9",
    ),
    "livekit-healthz-failed": Entry(
        "warning",
        "`GET /healthz` did not answer 200.",
        "Check lk-jwt-service's health and the proxy route for `/healthz`.",
        "domain.md §3",
    ),
    "livekit-not-jwt-service": Entry(
        "error",
        "The URL does not answer like lk-jwt-service (`GET /sfu/get` should be 405).",
        "Point `livekit_service_url` at lk-jwt-service and check what the proxy serves there.",
        "domain.md §3",
    ),
    "livekit-backend-error": Entry(
        "error",
        "lk-jwt-service routes answer 5xx: the service behind the proxy is down or failing.",
        "Start or fix lk-jwt-service; check the proxy's upstream.",
        "domain.md §3",
    ),
    "livekit-cors-preflight-failed": Entry(
        "error",
        "The CORS preflight `OPTIONS /sfu/get` fails or lacks `Access-Control-Allow-Origin`: browsers fail with MISSING_MATRIX_RTC_TRANSPORT.",
        "Let OPTIONS through to lk-jwt-service (it sends CORS itself), or add the CORS headers at the proxy.",
        "domain.md §3, §5.10; element-call#3864",
    ),
    # -- the call token flow, verified (issue #10): rows kept in their own module
    **{code: Entry(*row) for code, row in (FLOW_ROWS | E2E_ROWS).items()},
}


def finding(code: str, message: str, severity: Severity | None = None) -> Finding:
    """A finding with its catalogue hint; ``severity`` overrides the default where context matters."""
    entry = CATALOGUE[code]
    return Finding(code, severity or entry.severity, message, entry.hint)
