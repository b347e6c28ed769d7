// What the real clients' code decides about one server, for foci-bot's differential tests.
//
// A JSON-lines server: one request per stdin line, one answer per stdout line, handled one at a
// time (matrix-js-sdk's AutoDiscovery keeps its fetch function in a static field). Request:
//   {"id", "server", "base_url", "routes": [[host, port, address, port2], ...], "ca": PEM path,
//    "timeout_ms"}
// `routes` are foci-bot's --connect-to entries: a connection for host:port goes to address:port2,
// keeping the name for TLS. Any other name fails as if it had no DNS record, so nothing leaves
// loopback.
//
// Answer: {"id", "wellknown": {state, error, base_url}, "element_call": {url, endpoint},
//          "legacy": {url, error}}

import fs from "node:fs";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { AutoDiscovery, createClient } from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { Bundle } from "./bundled.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PAGE_ORIGIN = "https://app.element.io";

// Element Call 0.26.1 (standalone ≥ 0.24 logic) and 0.22.0 (what Element Web ≤ 1.12.26 embeds),
// each class as shipped in its bundle. `sleep` is the only stand-in: retries keep their count
// but do not wait (doNetworkOperationWithRetry would otherwise wait 2+4+8+16 s on a 5xx).
const noWait = async () => {};
function bundledDiscovery(dir) {
  const assets = here(`node_modules/${dir}/dist/assets/`);
  const entry = fs.readdirSync(assets).find((f) => /^index-.*\.js$/.test(f));
  return new Bundle(`${assets}${entry}`).load("RtcTransportAutoDiscovery", "RtcTransportAutoDiscovery.ts", {
    sleep: noWait,
  });
}
const CurrentDiscovery = bundledDiscovery("@element-hq/element-call-embedded");
const LegacyDiscovery = bundledDiscovery("element-call-embedded-0.22");

const quiet = { getChild: () => quiet, info() {}, debug() {}, warn() {}, error() {}, log() {} };
sdkLogger.setLevel?.("silent");
for (const level of ["trace", "debug", "info", "warn", "error"]) sdkLogger[level] = () => {};

function dispatcher(routes, caPath, timeoutMs) {
  const ca = fs.readFileSync(caPath);
  const connect = buildConnector({ ca, timeout: timeoutMs });
  return new Agent({
    connect(opts, callback) {
      const name = opts.hostname.replace(/^\[|\]$/g, "").toLowerCase();
      const port = Number(opts.port || (opts.protocol === "https:" ? 443 : 80));
      const route = routes.find(([h, p]) => (h === "" || h.toLowerCase() === name) && (p === 0 || p === port));
      if (!route) {
        const err = new Error(`getaddrinfo ENOTFOUND ${name} (test harness: no route)`);
        err.code = "ENOTFOUND";
        callback(err, null);
        return;
      }
      const isIp = /^[0-9.]+$/.test(name) || name.includes(":");
      connect({ ...opts, hostname: route[2], port: String(route[3]), servername: isIp ? undefined : name }, callback);
    },
  });
}

function plainFetch(agent, timeoutMs) {
  return (url, init = {}) => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(init.signal ? [init.signal] : [])];
    return undiciFetch(url, { ...init, dispatcher: agent, signal: AbortSignal.any(signals) });
  };
}

// undici's fetch does not enforce CORS (it is not a browser). This does what the Fetch standard
// does for a `cors`-mode request without credentials from PAGE_ORIGIN:
// - a request with a header that is not CORS-safelisted (js-sdk's `Authorization`) is preceded by a
//   preflight `OPTIONS` (CORS-preflight fetch): it must answer 2xx without redirecting, pass the CORS
//   check, and list each such header in `Access-Control-Allow-Headers` (`*` does not cover
//   `Authorization`);
// - every response, redirect hops included, passes the CORS check: `Access-Control-Allow-Origin` is
//   `*` or exactly the origin sent (a header listed twice is combined into "a, b" and fails);
// - after a redirect to another origin the request's origin is opaque and sent as `null` (the
//   "tainted origin" flag, HTTP-redirect fetch); an https page may not fetch http (mixed content).
const SAFELISTED = new Set(["accept", "accept-language", "content-language"]);

function corsCheck(response, origin, url) {
  const allow = response.headers.get("access-control-allow-origin");
  if (allow !== "*" && allow !== origin) {
    throw new TypeError(`CORS: ${url} answered ${response.status} with Access-Control-Allow-Origin ${allow}`);
  }
}

async function preflight(fetchFn, url, method, unsafe, origin, signal) {
  const response = await fetchFn(url, {
    method: "OPTIONS",
    redirect: "manual",
    signal,
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": method,
      "Access-Control-Request-Headers": unsafe.join(","),
    },
  });
  if (response.status < 200 || response.status > 299) {
    throw new TypeError(`CORS: preflight of ${url} answered ${response.status}`);
  }
  corsCheck(response, origin, url);
  const allowed = (response.headers.get("access-control-allow-headers") ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  for (const name of unsafe) {
    if (!allowed.includes(name) && !(allowed.includes("*") && name !== "authorization")) {
      throw new TypeError(`CORS: preflight of ${url} does not allow the ${name} header`);
    }
  }
}

function browserFetch(fetchFn) {
  return async (url, init = {}) => {
    let current = new URL(url);
    let tainted = false;
    const method = (init.method ?? "GET").toUpperCase();
    const headers = new Headers(init.headers ?? {});
    const unsafe = [...headers.keys()].filter(
      (h) => !SAFELISTED.has(h) && !(h === "content-type" && /^(text\/plain|multipart\/form-data|application\/x-www-form-urlencoded)/.test(headers.get(h))),
    ).sort();
    for (let hop = 0; hop <= 20; hop++) {
      if (current.protocol !== "https:") throw new TypeError(`blocked: mixed content ${current.protocol}`);
      const origin = tainted ? "null" : PAGE_ORIGIN;
      if (unsafe.length || !["GET", "HEAD", "POST"].includes(method)) {
        await preflight(fetchFn, current.href, method, unsafe, origin, init.signal);
      }
      const sent = new Headers(headers);
      sent.set("Origin", origin);
      const response = await fetchFn(current.href, { ...init, headers: sent, redirect: "manual" });
      corsCheck(response, origin, current.href);
      const location = response.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
      const next = new URL(location, current);
      if (next.username || next.password) throw new TypeError("CORS: redirect URL with credentials");
      if (next.origin !== current.origin && current.origin !== PAGE_ORIGIN) tainted = true;
      current = next;
    }
    throw new TypeError("too many redirects");
  };
}

async function decide(req) {
  const timeoutMs = req.timeout_ms ?? 3000;
  const agent = dispatcher(req.routes, req.ca, timeoutMs);
  const fetchFn = plainFetch(agent, timeoutMs);
  try {
    // 1. The well-known as matrix-js-sdk judges it, run in Node (no CORS): the spec's outcome.
    AutoDiscovery.setFetchFn(fetchFn);
    const found = await AutoDiscovery.findClientConfig(req.server);
    const hs = found["m.homeserver"];
    const wellknown = { state: hs.state, error: hs.error ?? null, base_url: hs.base_url ?? null };

    // 2. Element Call 0.26.1 standalone: its RtcTransportAutoDiscovery with a logged-in client
    //    (a token the fake servers do not check) and a config.json without livekit settings.
    // Element Call runs in a browser, so js-sdk's request carries `Authorization` through a
    // preflighted CORS fetch. What the endpoint answered (or why the browser refused) is kept.
    let endpoint = null;
    const inBrowser = browserFetch(fetchFn);
    const recording = async (url, init) => {
      const isEndpoint = String(url).includes("/rtc/transports");
      try {
        const response = await inBrowser(url, init);
        if (isEndpoint) {
          let errcode = null;
          try {
            errcode = (await response.clone().json())?.errcode ?? null;
          } catch {}
          endpoint = { status: response.status, errcode, error: null };
        }
        return response;
      } catch (e) {
        if (isEndpoint) endpoint = { status: null, errcode: null, error: String(e?.message ?? e) };
        throw e;
      }
    };
    const client = createClient({
      baseUrl: req.base_url ?? `https://${req.server}`,
      accessToken: "syt_differential_test",
      userId: `@tester:${req.server}`,
      fetchFn: recording,
      localTimeoutMs: timeoutMs,
    });
    const current = await new CurrentDiscovery({ client, resolvedConfig: {}, logger: quiet }).discoverPreferredTransport();

    // 3. Element Call 0.22.0 embedded (widget: no access token, so it skips the endpoint), reading
    //    the well-known through js-sdk's AutoDiscovery.getRawClientConfig as a browser would.
    AutoDiscovery.setFetchFn(browserFetch(fetchFn));
    const widgetClient = { getDomain: () => req.server, getAccessToken: () => null };
    let legacyError = null;
    const wellKnownFetcher = async (domain) => {
      const raw = await AutoDiscovery.getRawClientConfig(domain);
      return raw;
    };
    const legacy = await new LegacyDiscovery({
      client: widgetClient,
      resolvedConfig: {},
      wellKnownFetcher,
      logger: quiet,
    })
      .discoverPreferredTransport()
      .catch((e) => {
        legacyError = String(e);
        return null;
      });
    return {
      wellknown,
      element_call: { url: urlOf(current), endpoint },
      legacy: { url: urlOf(legacy), error: legacyError },
    };
  } finally {
    AutoDiscovery.setFetchFn(undefined);
    await agent.close();
  }
}

// The URL a client would use: the entry's livekit_service_url as it is (any JSON value), or null.
function urlOf(transport) {
  if (transport === null || transport === undefined) return null;
  if (typeof transport !== "object") return { entry: transport };
  const url = transport.livekit_service_url;
  return typeof url === "string" ? url : { livekit_service_url: url ?? null };
}

const lines = readline.createInterface({ input: process.stdin });
const versionOf = (dir) => JSON.parse(fs.readFileSync(here(`node_modules/${dir}/package.json`), "utf8")).version;
const versions = {
  "matrix-js-sdk": versionOf("matrix-js-sdk"),
  "element-call": versionOf("@element-hq/element-call-embedded"),
  "element-call-legacy": versionOf("element-call-embedded-0.22"),
};
process.stdout.write(JSON.stringify({ ready: true, versions }) + "\n");
for await (const line of lines) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  let answer;
  try {
    answer = { id: req.id, ...(await decide(req)) };
  } catch (e) {
    answer = { id: req.id, crash: String(e?.stack ?? e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
