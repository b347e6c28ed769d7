"""Real Synapse homeservers on loopback, for foci-bot's tests.

Synapse runs from its own virtualenv, never the project's: its python comes from
``$FOCI_TEST_SYNAPSE_PYTHON`` or from ``<repo>/.cache/synapse-venv``, built on first
use (``python -m tests.support.synapse_harness --build`` does just that and prints it).

Everything here is stdlib; ``trustme`` is imported only when a ``Federation`` has to
make its own CA.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    import trustme

SYNAPSE_VERSION = "1.163.2"
PYTHON_ENV_VAR = "FOCI_TEST_SYNAPSE_PYTHON"
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_VENV = REPO_ROOT / ".cache" / "synapse-venv"
RTC_TRANSPORTS_PATH = "/_matrix/client/unstable/org.matrix.msc4143/rtc/transports"
RTC_FOCI_KEY = "org.matrix.msc4143.rtc_foci"

JSON = dict[str, Any]
T = TypeVar("T")

_UNLIMITED = {"per_second": 100000, "burst_count": 100000}
_FLAT_RATE_LIMITS = (
    "rc_message", "rc_registration", "rc_registration_token_validity", "rc_admin_redaction",
    "rc_joins_per_room", "rc_key_requests", "rc_3pid_validation", "rc_third_party_invite",
    "rc_media_create", "rc_delayed_event_mgmt", "rc_room_creation", "rc_reports",
    "rc_user_directory", "rc_profile",
)  # fmt: skip
_RATE_LIMITS: JSON = {
    **dict.fromkeys(_FLAT_RATE_LIMITS, _UNLIMITED),
    "rc_login": dict.fromkeys(("address", "account", "failed_attempts"), _UNLIMITED),
    "rc_joins": dict.fromkeys(("local", "remote"), _UNLIMITED),
    "rc_invites": dict.fromkeys(("per_room", "per_user", "per_issuer"), _UNLIMITED),
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_federation": dict(window_size=1000, sleep_limit=10**5, sleep_delay=1, reject_limit=10**5),
}


def livekit_focus(url: str) -> JSON:
    """One LiveKit focus/transport entry, as used in the well-known and transports."""
    return {"type": "livekit", "livekit_service_url": url}


# --- the Synapse virtualenv --------------------------------------------------------


def ensure_synapse_venv(venv: Path = DEFAULT_VENV, version: str = SYNAPSE_VERSION) -> Path:
    """Build (once, under a file lock) a venv with matrix-synapse; return its python."""
    python = venv / "bin" / "python"
    marker = venv / ".foci-synapse-version"

    def ready() -> bool:
        return python.exists() and marker.is_file() and marker.read_text().strip() == version

    if ready():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    build_log = venv.parent / f"{venv.name}-build.log"
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready():  # built by someone else while we waited for the lock
            return python
        print(f"building Synapse {version} venv in {venv} ...", file=sys.stderr, flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        with open(build_log, "w") as log:
            for cmd in (
                [sys.executable, "-m", "venv", str(venv)],
                [str(python), "-m", "pip", "install", "-q", f"matrix-synapse=={version}"],
                [str(python), "-c", "import synapse.app.homeserver"],
            ):
                if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode:
                    raise RuntimeError(f"{cmd} failed:\n{_tail(build_log)}")
        marker.write_text(version + "\n")
    return python


def synapse_python() -> str:
    """The python that runs Synapse: $FOCI_TEST_SYNAPSE_PYTHON or the cached venv's."""
    return os.environ.get(PYTHON_ENV_VAR) or str(ensure_synapse_venv())


# --- small helpers -----------------------------------------------------------------

_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port on ``host`` (never the same one twice per process)."""
    while True:
        with socket.socket() as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(
    predicate: Callable[[], T | None],
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Poll ``predicate`` until it returns something truthy (returned) or time is up."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ignore as err:
            last_error = err
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}; last error: {last_error!r}")
        time.sleep(interval)


@dataclass
class Response:
    status: int
    headers: Message
    body: Any  # parsed JSON, or text when the body is not JSON


class MatrixHTTPError(RuntimeError):
    def __init__(self, method: str, url: str, response: Response) -> None:
        super().__init__(f"{method} {url} -> {response.status}: {response.body!r}")
        self.response = response


def http_request(
    method: str,
    url: str,
    body: Any = None,
    *,
    token: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 30.0,
) -> Response:
    """One HTTP request, never through a proxy; non-2xx statuses are returned too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if ssl_context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=ssl_context))
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, err.headers, err.read()
    try:
        parsed: Any = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Response(status, headers, parsed)


def _merge(base: JSON, extra: Mapping[str, Any]) -> JSON:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _room(room_id: str, *rest: str) -> str:
    parts = [room_id, *rest]
    return "/_matrix/client/v3/rooms/" + "/".join(urllib.parse.quote(p, safe="") for p in parts)


def _listener(host: str, port: int, tls: bool, *resources: str) -> JSON:
    names = {"names": list(resources), "compress": False}
    return {
        "port": port,
        "bind_addresses": [host],
        "type": "http",
        "tls": tls,
        "resources": [names],
    }


# --- one homeserver ----------------------------------------------------------------

_running: set[Synapse] = set()


class User(NamedTuple):
    user_id: str
    access_token: str
    password: str


class Synapse:
    """One Synapse process with a plain-HTTP client listener at ``client_url``.

    With ``federation=True`` it also has a TLS listener ``[client, federation]`` at
    ``tls_url``, on the port inside its server name (``<host>:<tls port>``), with a
    certificate from ``tls_ca``; its peers are trusted through the same CA.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        server_name: str | None = None,
        host: str = "127.0.0.1",
        federation: bool = False,
        tls_ca: trustme.CA | None = None,
        extra_well_known_client_content: Mapping[str, Any] | None = None,
        rtc_transports: Sequence[Mapping[str, Any]] | None = None,
        public_baseurl: str | None = None,
        extra_config: Mapping[str, Any] | None = None,
        python: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        if federation and tls_ca is None:
            raise ValueError("federation=True needs tls_ca (a trustme.CA)")
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = free_port(host)
        self.client_url = f"http://{host}:{self.port}"
        self.tls_port = free_port(host) if federation else None
        self.tls_url = f"https://{host}:{self.tls_port}" if federation else None
        self.server_name = server_name or f"{host}:{self.tls_port or self.port}"
        self.tls_ca = tls_ca
        self.extra_well_known_client_content = extra_well_known_client_content
        self.rtc_transports = rtc_transports
        self.public_baseurl = public_baseurl or f"{self.tls_url or self.client_url}/"
        self.extra_config = extra_config or {}
        self.python = python or synapse_python()
        self.startup_timeout = startup_timeout
        self.log_path = self.data_dir / "synapse.log"
        self.config_path = self.data_dir / "homeserver.yaml"
        self.shared_secret = secrets.token_hex(16)
        self._proc: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<Synapse {self.server_name} at {self.client_url}>"

    # --- configuration ---

    def _tls_files(self) -> JSON:
        assert self.tls_ca is not None
        cert = self.tls_ca.issue_cert(self.host)
        files = {name: self.data_dir / f"{name}.pem" for name in ("ca", "cert", "key")}
        self.tls_ca.cert_pem.write_to_path(str(files["ca"]))
        cert.private_key_pem.write_to_path(str(files["key"]))
        with open(files["cert"], "wb") as chain:
            chain.write(b"".join(pem.bytes() for pem in cert.cert_chain_pems))
        return {
            "tls_certificate_path": str(files["cert"]),
            "tls_private_key_path": str(files["key"]),
            "federation_custom_ca_list": [str(files["ca"])],
        }

    def build_config(self) -> JSON:
        """The homeserver config (as a dict); written as JSON, which is valid YAML."""
        d = self.data_dir
        key_file = d / "signing.key"
        if not key_file.exists():
            raw = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            key_file.write_text(f"ed25519 a_test {raw}\n")
        listeners = [_listener(self.host, self.port, False, "client")]
        config: JSON = {
            "server_name": self.server_name,
            "pid_file": str(d / "homeserver.pid"),
            "signing_key_path": str(key_file),
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "media_store_path": str(d / "media"),
            "listeners": listeners,
            "registration_shared_secret": self.shared_secret,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "report_stats": False,
            "enable_metrics": False,
            "url_preview_enabled": False,
            # Loopback peers (and foci) must be reachable: an IP-literal server name
            # is checked against this blacklist only.
            "ip_range_blacklist": [],
            # Heal quickly when a peer was down (milliseconds as plain integers).
            "federation": {
                "destination_min_retry_interval": 200,
                "destination_max_retry_interval": 2000,
                "max_short_retry_delay": 500,
            },
            **_RATE_LIMITS,
        }
        if self.tls_port is not None:
            listeners.append(_listener(self.host, self.tls_port, True, "client", "federation"))
            config.update(self._tls_files())
        if self.extra_well_known_client_content is not None:
            config["public_baseurl"] = self.public_baseurl
            config["serve_client_wellknown"] = True
            config["extra_well_known_client_content"] = dict(self.extra_well_known_client_content)
        if self.rtc_transports is not None:
            config["experimental_features"] = {"msc4143_enabled": True}
            config["matrix_rtc"] = {"transports": [dict(t) for t in self.rtc_transports]}
        return _merge(config, self.extra_config)

    # --- process ---

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def launch(self) -> None:
        """Start the process without waiting for it (see ``wait_ready``)."""
        if self.running:
            raise RuntimeError(f"{self} is already running")
        self.config_path.write_text(json.dumps(self.build_config(), indent=1))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        with open(self.log_path, "ab") as log:
            log.write(f"--- starting {self.server_name} ---\n".encode())
            log.flush()
            cmd = [self.python, "-m", "synapse.app.homeserver", "-c", str(self.config_path)]
            self._proc = subprocess.Popen(
                cmd, cwd=self.data_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        _running.add(self)

    def _answers(self) -> bool:
        if not self.running:
            raise RuntimeError(f"{self} exited with {self._proc and self._proc.returncode}")
        ctx = self.ssl_context()
        for url in [self.client_url] + ([self.tls_url] if self.tls_url else []):
            try:
                response = http_request("GET", f"{url}/_matrix/client/versions", ssl_context=ctx)
            except OSError:
                return False
            if response.status != 200:
                return False
        return True

    def wait_ready(self, timeout: float | None = None) -> None:
        try:
            wait_until(self._answers, timeout or self.startup_timeout, what=f"{self} to start")
        except (TimeoutError, RuntimeError) as err:
            self.stop()
            raise RuntimeError(f"{err}\n--- {self.log_path} (tail) ---\n{_tail(self.log_path)}") from None

    def start(self) -> Synapse:
        self.launch()
        self.wait_ready()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the process we started, wait with a deadline, then SIGKILL."""
        proc, self._proc = self._proc, None
        _running.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSL context trusting this server's test CA."""
        ctx = ssl.create_default_context()
        if self.tls_ca is not None:
            self.tls_ca.configure_trust(ctx)
        return ctx

    @property
    def well_known_url(self) -> str:
        """Where the client well-known is served over TLS (federation servers only)."""
        if self.tls_url is None:
            raise ValueError(f"{self} has no TLS listener")
        return f"{self.tls_url}/.well-known/matrix/client"

    # --- client API ---

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """Call the plain-HTTP client listener; raise MatrixHTTPError on non-2xx."""
        url = self.client_url + path
        response = http_request(method, url, body, token=token)
        if not 200 <= response.status < 300:
            raise MatrixHTTPError(method, url, response)
        return response.body

    def register(self, localpart: str, password: str, admin: bool = False) -> str:
        return self.new_user(localpart, password, admin).user_id

    def new_user(self, localpart: str, password: str = "test-password", admin: bool = False) -> User:
        """Register via the shared-secret admin API; return id, token and password."""
        path = "/_synapse/admin/v1/register"
        nonce: str = self.api("GET", path)["nonce"]
        parts = (nonce, localpart, password, "admin" if admin else "notadmin")
        mac = hmac.new(self.shared_secret.encode(), "\0".join(parts).encode(), hashlib.sha1)
        body = dict(nonce=nonce, username=localpart, password=password, admin=admin, mac=mac.hexdigest())
        result = self.api("POST", path, body)
        return User(result["user_id"], result["access_token"], password)

    def login(self, user_id: str, password: str, device_id: str | None = None) -> str:
        body: JSON = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
        }
        if device_id:
            body["device_id"] = device_id
        token: str = self.api("POST", "/_matrix/client/v3/login", body)["access_token"]
        return token

    def create_room(self, token: str, **body: Any) -> str:
        return str(self.api("POST", "/_matrix/client/v3/createRoom", body, token)["room_id"])

    def join(self, token: str, room: str, via: Sequence[str] = ()) -> str:
        """Join a room id or alias; ``via`` lists server names to join through."""
        query = urllib.parse.urlencode([("server_name", server) for server in via])
        path = "/_matrix/client/v3/join/" + urllib.parse.quote(room, safe="")
        return str(self.api("POST", path + (f"?{query}" if query else ""), {}, token)["room_id"])

    def invite(self, token: str, room_id: str, user_id: str) -> None:
        self.api("POST", _room(room_id, "invite"), {"user_id": user_id}, token)

    def send_state(self, token: str, room_id: str, event_type: str, state_key: str, content: JSON) -> str:
        path = _room(room_id, "state", event_type, state_key)
        return str(self.api("PUT", path, content, token)["event_id"])

    def send_message(self, token: str, room_id: str, body: str, **extra: Any) -> str:
        """Send an ``m.room.message`` (``msgtype`` defaults to ``m.text``)."""
        content = {"msgtype": "m.text", "body": body, **extra}
        path = _room(room_id, "send", "m.room.message", secrets.token_hex(8))
        return str(self.api("PUT", path, content, token)["event_id"])

    def get_state(self, token: str, room_id: str, event_type: str, state_key: str = "") -> JSON:
        content: JSON = self.api("GET", _room(room_id, "state", event_type, state_key), token=token)
        return content

    def joined_members(self, token: str, room_id: str) -> set[str]:
        return set(self.api("GET", _room(room_id, "joined_members"), token=token)["joined"])

    def messages(self, token: str, room_id: str, limit: int = 50) -> list[JSON]:
        """The room's latest ``m.room.message`` events, oldest first."""
        path = _room(room_id, "messages") + f"?dir=b&limit={limit}"
        chunk: list[JSON] = self.api("GET", path, token=token)["chunk"]
        return [e for e in reversed(chunk) if e.get("type") == "m.room.message"]


# --- a small federation ------------------------------------------------------------


class Federation:
    """Servers named ``127.0.0.1:P1``, ``127.0.0.2:P2``, ... federating over TLS.

    ``servers`` holds one mapping of ``Synapse`` keyword options per server
    (``extra_well_known_client_content``, ``rtc_transports``, ``extra_config``, ...).
    """

    def __init__(
        self,
        base_dir: Path,
        servers: Sequence[Mapping[str, Any]] = ({}, {}),
        *,
        ca: trustme.CA | None = None,
        python: str | None = None,
    ) -> None:
        if ca is None:
            import trustme

            ca = trustme.CA()
        self.ca = ca
        base_dir = Path(base_dir)
        base_dir.mkdir(parents=True, exist_ok=True)
        self.ca_pem = base_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_pem))
        python = python or synapse_python()
        self.servers = [
            Synapse(
                base_dir / f"hs{i}",
                host=f"127.0.0.{i}",
                federation=True,
                tls_ca=ca,
                python=python,
                **opts,
            )
            for i, opts in enumerate(servers, start=1)
        ]

    def start(self) -> Federation:
        """Launch every server at once, then wait for each to answer."""
        try:
            for server in self.servers:
                server.launch()
            for server in self.servers:
                server.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))

    def __getitem__(self, index: int) -> Synapse:
        return self.servers[index]

    def __iter__(self) -> Iterator[Synapse]:
        return iter(self.servers)

    def __len__(self) -> int:
        return len(self.servers)


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_running):
        server.stop(timeout=5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.synapse_harness", description=__doc__)
    parser.add_argument(
        "--build", action="store_true", help="build or reuse the Synapse venv; print its python"
    )
    args = parser.parse_args(argv)
    if not args.build:
        parser.print_help()
        return 2
    python = synapse_python()
    check = subprocess.run([python, "-c", "import synapse.app.homeserver"], capture_output=True, text=True)
    if check.returncode:
        print(f"{python} cannot import synapse:\n{check.stderr}", file=sys.stderr)
        return 1
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
