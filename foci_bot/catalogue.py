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
    "no-rtc-transport": Entry(
        "error",
        "No client finds a call backend: calls fail with MISSING_MATRIX_RTC_TRANSPORT.",
        f"Publish a transport: {_S}, and the `org.matrix.msc4143.rtc_foci` key in {_WK}.",
        "MSC4143; element-call `RtcTransportAutoDiscovery.ts`; synapse#18331",
    ),
    "some-clients-no-transport": Entry(
        "error",
        "A current client (Element Call ≥ 0.24, Element Web, Element X) finds no call backend: its users get MISSING_MATRIX_RTC_TRANSPORT.",
        f"Serve the transports endpoint ({_S}) and keep the well-known `org.matrix.msc4143.rtc_foci` key with CORS; see each client's reason.",
        "MSC4143; element-call `RtcTransportAutoDiscovery.ts` (v0.24+); element-web PR #34581; matrix-org/matrix-rust-sdk `discover_rtc_transports` (PR #6845); ruma-client-api `rtc/transports.rs`",
    ),
    "server-unreachable": Entry(
        "error",
        "Neither the client well-known nor the client API answered (DNS, connection, timeout or refused address): the server could not be judged.",
        "Check that the server name resolves and that port 443 answers; a dead server's members are counted as unknown in room checks.",
        "spec: Server Discovery",
    ),
    "legacy-client-no-transport": Entry(
        "warning",
        "Element Call 0.19-0.23, embedded in Element Web ≤ 1.12.26 (still in the field), finds no usable well-known entry [0]: its users get MISSING_MATRIX_RTC_TRANSPORT. Typical of endpoint-only setups.",
        f"Put a `livekit` focus first under `org.matrix.msc4143.rtc_foci` in {_WK}.",
        "element-call v0.19.1-v0.23 (PR #3828: widgets skip the endpoint); matrix-docker-ansible-deploy CHANGELOG 2026-08-20",
    ),
    "transport-needs-auth": Entry(
        "info",
        "What current clients use depends on the authenticated transports endpoint, which foci-bot cannot read for a remote server.",
        "Run foci-bot with an account on that server (the bot reads its own homeserver), or compare with the server's `matrix_rtc` config.",
        "MSC4143 (the endpoint requires authentication); synapse PR #18967",
    ),
    "focus-in-use-broken": Entry(
        "error",
        "A call backend that clients will use does not work (Element Call shows OPEN_ID_ERROR). Error when a current client uses it, warning when only Element Call 0.19-0.23 does.",
        "Fix the lk-jwt-service behind that URL (see the livekit-* findings), or advertise a working one first.",
        "element-call `src/livekit/openIDSFU.ts` (OPEN_ID_ERROR)",
    ),
    "check-deadline": Entry(
        "error",
        "The server's checks did not finish before the per-server deadline; the report is partial.",
        "Make the server answer faster; `--deadline` sets the limit.",
        "foci-bot's own limit (README: Safety)",
    ),
    "address-blocked": Entry(
        "error",
        "A URL resolves to a loopback, private, link-local or otherwise non-public address; foci-bot refused to connect.",
        "Publish public addresses in DNS and in the well-known. For lab use, run with `--allow-private`.",
        "foci-bot's own limit (README: Safety)",
    ),
    "wellknown-unreachable": Entry(
        "warning",
        "The client well-known could not be fetched (DNS, connection or timeout).",
        "Serve `https://SERVER/.well-known/matrix/client` on port 443 of the server name's host.",
        "spec: Server Discovery",
    ),
    "wellknown-tls-error": Entry(
        "error",
        "TLS failed for the client well-known (expired, self-signed or wrong-name certificate).",
        "Install a valid certificate for the server name's host.",
        "spec: Server Discovery",
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
        "foci-bot's own limit (README: Safety)",
    ),
    "wellknown-content-type": Entry(
        "warning",
        "The client well-known is not served as `application/json`.",
        "Set `Content-Type: application/json` (nginx: `default_type application/json;`).",
        "spec: Server Discovery (clients do not check it)",
    ),
    "wellknown-bom": Entry(
        "warning",
        "The client well-known starts with a UTF-8 byte order mark. Browsers skip it; serde_json, and with it Element X's well-known fallback, rejects it (inference).",
        "Save the file without a BOM.",
        "matrix-js-sdk `fetchWellKnownObject` (`Response.json()`); ruma `discover_homeserver.rs` (serde_json)",
    ),
    "wellknown-no-cors": Entry(
        "warning",
        "The client well-known does not allow a browser's origin (`Access-Control-Allow-Origin` missing, another single origin, or several values): Element Web and Element Call cannot read it.",
        "Send `Access-Control-Allow-Origin: *` (or echo the request's `Origin`) exactly once.",
        "spec: Server Discovery (CORS); Fetch standard (CORS check); element-docker-demo#12, element-web#20227",
    ),
    "wellknown-redirect-no-cors": Entry(
        "warning",
        "A redirect hop on the way to the client well-known does not allow a browser's origin, so browsers stop there.",
        "Add `Access-Control-Allow-Origin: *` to every redirect answer, or serve the file without redirecting.",
        "spec v1.20 (MSC4402); Fetch standard (CORS check on every redirect)",
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
        "spec: Server Discovery; matrix-docker-ansible-deploy#4224",
    ),
    "wellknown-identity-server-invalid": Entry(
        "warning",
        "`m.identity_server` is present but has no valid `base_url`; matrix-js-sdk judges it apart, so the homeserver outcome is unaffected.",
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
        "`m.homeserver.base_url` is not an http(s) URL a browser's URL parser accepts (FAIL_ERROR).",
        "Set it to the homeserver's public client API URL, e.g. `https://matrix.example.org`.",
        "spec: Server Discovery; matrix-js-sdk `AutoDiscovery.sanitizeWellKnownUrl`",
    ),
    "base-url-lenient": Entry(
        "warning",
        "`m.homeserver.base_url` is accepted by the browser URL parser only after it drops or fixes something (spaces, userinfo, query, fragment, backslashes); other clients may read it differently.",
        "Write the plain URL, e.g. `https://matrix.example.org`.",
        "matrix-js-sdk `AutoDiscovery.sanitizeWellKnownUrl`; WHATWG URL Standard",
    ),
    "base-url-versions-failed": Entry(
        "error",
        "`GET {base_url}/_matrix/client/versions` failed, has no `versions` list, or lists none of v1.1-v1.13 (FAIL_ERROR).",
        "Point `base_url` at the homeserver's client API, and route `/_matrix` to it.",
        "spec: Server Discovery; matrix-js-sdk `version-support.js`",
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
        "synapse PR #19646 (Synapse ≥ 1.156)",
    ),
    "foci-not-a-list": Entry(
        "warning",
        "A foci key's value is not a list; clients ignore it.",
        "Make it a JSON list of focus objects.",
        "MSC4143",
    ),
    "foci-empty": Entry(
        "info",
        "A foci key holds an empty list.",
        "Add a `livekit` focus or remove the key.",
        "MSC4143",
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
        "MSC4143; matrix-js-sdk `isLivekitTransportConfig`",
    ),
    "focus-unknown-type": Entry(
        "info",
        "A foci entry has a type clients do not know; they skip it.",
        "Nothing to do if intended; current clients only use `livekit`.",
        "matrix-js-sdk `isLivekitTransportConfig`; MSC4195 (`m.livekit`) is a proposal",
    ),
    "focus-missing-url": Entry(
        "warning",
        "A `livekit` entry has no `livekit_service_url`; clients skip it.",
        "Add `livekit_service_url` with the lk-jwt-service base URL.",
        "matrix-js-sdk `isLivekitTransportConfig`; ruma-client-api `rtc.rs` (inference)",
    ),
    "focus-misnamed-field": Entry(
        "warning",
        "A `livekit` entry carries a field that looks like a misspelt `livekit_service_url`.",
        "Rename it to `livekit_service_url`.",
        "synapse `synapse/config/matrixrtc.py` (entries not validated); synapse#19621",
    ),
    "focus-url-invalid": Entry(
        "warning",
        "`livekit_service_url` is not a valid absolute URL, or has a query or fragment that swallows the route clients append.",
        "Use the lk-jwt-service base URL, e.g. `https://rtc.example.org/livekit/jwt`.",
        "synapse#19621; element-call `openIDSFU.ts`",
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
        "Fetch standard (mixed content)",
    ),
    "focus-url-is-sfu": Entry(
        "warning",
        "`livekit_service_url` looks like the LiveKit SFU (ws/wss or an SFU path), not the authorization service.",
        "Point it at lk-jwt-service (e.g. `https://rtc.example.org/livekit/jwt`), not at LiveKit itself.",
        "element-call `src/livekit/openIDSFU.ts`; synapse#19621",
    ),
    "foci-both-keys": Entry(
        "warning",
        "Both `m.rtc_foci` and `org.matrix.msc4143.rtc_foci` are published; ruma treats them as one field, so Element X probably fails to parse the well-known (inference).",
        "Keep only `org.matrix.msc4143.rtc_foci`.",
        "ruma-client-api `discover_homeserver.rs` (`m.rtc_foci` alias; inference); element-call#3933",
    ),
    "foci-unread-keys-only": Entry(
        "warning",
        "Foci are published only under keys current clients ignore (`org.matrix.msc4158.rtc_foci`, or `m.rtc_foci` which only Element X reads).",
        "Publish them under `org.matrix.msc4143.rtc_foci`.",
        "matrix-js-sdk, element-call, element-web read only `org.matrix.msc4143.rtc_foci`; ruma reads `m.rtc_foci` as an alias",
    ),
    "foci-msc4158-key": Entry(
        "info",
        "`org.matrix.msc4158.rtc_foci` is published; no known client reads it.",
        "Remove it, or move its entries to `org.matrix.msc4143.rtc_foci`.",
        "no client reads it (element-call, matrix-js-sdk, matrix-rust-sdk, ruma)",
    ),
    "legacy-first-not-livekit": Entry(
        "warning",
        "Entry [0] under `org.matrix.msc4143.rtc_foci` is not a usable `livekit` focus; Element Call ≤ 0.23 takes [0] without checking.",
        "Put the `livekit` focus first.",
        "element-call v0.19.1-v0.23 (entry [0] without a type check)",
    ),
    "transports-endpoint-auth": Entry(
        "info",
        "The transports endpoint is implemented and requires an access token (401).",
        "Nothing to fix: clients call it with their token.",
        "MSC4143; synapse PR #18967",
    ),
    "transports-endpoint-open": Entry(
        "info",
        "The transports endpoint answers without an access token.",
        "Nothing to fix (Tuwunel allows it).",
        "tuwunel commit a1776c368 (answers without a token)",
    ),
    "transports-endpoint-missing": Entry(
        "warning",
        "The transports endpoint is not implemented (404 `M_UNRECOGNIZED`): Element Call ≥ 0.24 standalone finds no transport; Element Web and Element X fall back to the well-known.",
        f"{_S} (Synapse ≥ 1.140).",
        "synapse PR #18967; matrix-org/matrix-rust-sdk `discover_rtc_transports` (PR #6845); ruma-client-api `rtc/transports.rs` (`is_endpoint_not_implemented`)",
    ),
    "transports-endpoint-404": Entry(
        "warning",
        "The transports endpoint answers 404 without `M_UNRECOGNIZED` (`M_NOT_FOUND`, or HTML/plain text from a proxy): Element X does not fall back and gets no transport.",
        "Route all of `/_matrix` to the homeserver.",
        "matrix-org/matrix-rust-sdk `discover_rtc_transports` (PR #6845); ruma-client-api `rtc/transports.rs` (`is_endpoint_not_implemented` is only 404 `M_UNRECOGNIZED`)",
    ),
    "transports-endpoint-empty": Entry(
        "warning",
        "The transports endpoint answers 200 with no transports (`{}` or an empty list): Element X gets none and does not fall back; Element Call standalone falls to its `config.json`.",
        f"List transports in `matrix_rtc.transports`, or turn `msc4143_enabled` off. {_S}.",
        "element-x-android#7659; matrix-org/matrix-rust-sdk `discover_rtc_transports` (PR #6845); ruma-client-api `rtc/transports.rs`; matrix-docker-ansible-deploy#5522",
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
    "transports-endpoint-no-cors": Entry(
        "warning",
        "The transports endpoint cannot be read by a browser: its CORS preflight (which must allow `Authorization`) or its answer does not allow the origin. Element Web then falls back to the well-known, Element Call standalone to its `config.json`.",
        "Let `OPTIONS` through to the homeserver and keep its CORS headers (Synapse sends them on every client API path).",
        "Fetch standard (CORS preflight; `*` does not cover `Authorization`); matrix-js-sdk `_unstable_getRTCTransports`",
    ),
    "transports-differ": Entry(
        "info",
        "The transports endpoint and the well-known advertise different backends.",
        "Advertise the same transport in both places.",
        "MSC4143",
    ),
    "livekit-unreachable": Entry(
        "error",
        "The lk-jwt-service URL could not be reached (DNS, connection or timeout).",
        "Check DNS, the reverse proxy and that lk-jwt-service runs.",
        "element-call `src/livekit/openIDSFU.ts`",
    ),
    "livekit-tls-error": Entry(
        "error",
        "TLS failed for the lk-jwt-service URL.",
        "Install a valid certificate for its host.",
        "element-call `src/livekit/openIDSFU.ts`",
    ),
    "livekit-redirect": Entry(
        "error",
        "A request to `livekit_service_url + /sfu/get` is redirected. Browsers fail a redirected preflight and a 301 turns the POST into a GET, so calls fail with OPEN_ID_ERROR. A trailing `/` in the URL (`…//sfu/get`, which Go's `ServeMux` answers with 301) is the usual cause.",
        "Publish the exact URL of lk-jwt-service, without a trailing `/` and without a redirect.",
        "element-call `src/livekit/openIDSFU.ts` (string concatenation); Fetch standard (redirected preflight); matrix-docker-ansible-deploy docs",
    ),
    "livekit-prefix-not-stripped": Entry(
        "error",
        "Every lk-jwt-service route answers a plain 404: the reverse proxy probably does not strip the path prefix.",
        "Strip the prefix, e.g. nginx `location /livekit/jwt/ { proxy_pass http://lk-jwt:8080/; }` (trailing slash).",
        "lk-jwt-service#117",
    ),
    "livekit-outdated": Entry(
        "warning",
        "`POST /get_token` does not reach lk-jwt-service while `/sfu/get` does: only `matrix_2_0` mode fails (NO_MATRIX_2_0_AUTHORIZATION_SERVICE); the default mode works.",
        "Route `/get_token` to lk-jwt-service as well (ESS and the Element Call docs' proxy snippets differ here), or upgrade it.",
        "element-call `docs/matrix_rtc_modes.md`, `src/livekit/openIDSFU.ts` (NoMatrix2AuthorizationService)",
    ),
    "livekit-healthz-failed": Entry(
        "info",
        "`GET /healthz` did not answer 200. Supporting evidence only: ESS routes `/healthz` to LiveKit by design.",
        "Nothing to fix when `/sfu/get` reaches lk-jwt-service; otherwise check the proxy route.",
        "element-hq/lk-jwt-service `main.go` (`prepareMux`); element-hq/ess-helm `templates/matrix-rtc/ingress.yaml`",
    ),
    "livekit-not-jwt-service": Entry(
        "error",
        "`POST {}` to `/sfu/get` is not answered with lk-jwt-service's JSON `400 M_BAD_JSON`: the URL reaches something else (LiveKit, the Element Call web app or another server, named in the message).",
        "Route `livekit_service_url + /sfu/get` and `/get_token` to lk-jwt-service.",
        "element-hq/lk-jwt-service `main.go` (`prepareMux`) (`POST {}` → 400 `M_BAD_JSON`)",
    ),
    "livekit-backend-error": Entry(
        "error",
        "lk-jwt-service routes answer 5xx: the service behind the proxy is down or failing.",
        "Start or fix lk-jwt-service; check the proxy's upstream.",
        "element-hq/lk-jwt-service `main.go` (`prepareMux`)",
    ),
    "livekit-cors-preflight-failed": Entry(
        "error",
        "The CORS preflight `OPTIONS /sfu/get` fails, is redirected, or does not allow the browser's origin or `Content-Type`: browsers cannot get a token (OPEN_ID_ERROR).",
        "Let OPTIONS through to lk-jwt-service (it sends CORS itself), or add the CORS headers at the proxy.",
        "element-hq/lk-jwt-service `main.go` (`prepareMux`) (CORS headers); element-call#3864",
    ),
    # -- the call token flow, verified (issue #10): rows kept in their own module
    **{code: Entry(*row) for code, row in (FLOW_ROWS | E2E_ROWS).items()},
}


def finding(code: str, message: str, severity: Severity | None = None) -> Finding:
    """A finding with its catalogue hint; ``severity`` overrides the default where context matters."""
    entry = CATALOGUE[code]
    return Finding(code, severity or entry.severity, message, entry.hint)
