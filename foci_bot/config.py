"""The bot's config file (TOML, stdlib ``tomllib``) -> a typed, frozen :class:`Config`.

Loading has no side effects: it reads one file and returns values or raises
:class:`ConfigError` with one line naming the offending key. Every key and its default is
documented in ``config.sample.toml``.
"""

from __future__ import annotations

import difflib
import ipaddress
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from foci_bot.addrguard import ConnectTo, ConnectToError, parse_dns_server
from foci_bot.servername import TargetError, parse_server_name, split_sigil_id
from foci_bot.watchconfig import MetricsConfig, WatchConfig, metrics_config, watch_config

ACK_MODES = ("reaction", "notice", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

T = TypeVar("T")
WATCH_TABLES = ("watch", "metrics")  # parsed in watchconfig.py


class ConfigError(ValueError):
    """A one-line problem with the config file, naming the key."""


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str | None
    access_token: str | None
    device_name: str
    store_dir: Path

    def __repr__(self) -> str:  # never show secrets, not even in a traceback
        return f"MatrixConfig(homeserver={self.homeserver!r}, user_id={self.user_id!r}, store_dir={self.store_dir!r})"

    @property
    def server_name(self) -> str:
        """The part of the bot's user ID after the first colon."""
        return split_sigil_id(self.user_id)[1] or ""


@dataclass(frozen=True, slots=True)
class BotConfig:
    command_prefix: str
    allowed_users: tuple[str, ...]
    accept_invites_from: tuple[str, ...]
    room_allowed_users: tuple[str, ...]
    rate_limit: int
    rate_limit_window: float
    max_targets: int
    ack: str
    log_level: str


@dataclass(frozen=True, slots=True)
class ChecksConfig:
    timeout: float
    deadline: float
    concurrency: int
    cache_ttl: float
    allow_private: bool
    allow_addresses: frozenset[str]
    connect_to: tuple[ConnectTo, ...]
    cacert: str | None
    dns_server: tuple[str, int] | None = None  # lab hook: resolve names at this DNS server


@dataclass(frozen=True, slots=True)
class Config:
    matrix: MatrixConfig
    bot: BotConfig
    checks: ChecksConfig
    # [watch] and [metrics]: parsed in watchconfig.py
    watch: WatchConfig = field(default_factory=WatchConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)


class _Table:
    """One TOML table; every read is checked and remembered so unknown keys can be named."""

    def __init__(self, name: str, data: object) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"[{name}] must be a table")
        self.name, self.data, self.read = name, data, set[str]()

    def _get(self, key: str, kind: type | tuple[type, ...], what: str, default: object) -> Any:
        self.read.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise ConfigError(f"[{self.name}] {key} is required")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise ConfigError(f"[{self.name}] {key} must be {what}, not {type(value).__name__}")
        return value

    def text(self, key: str, default: object = None) -> Any:
        value = self._get(key, str, "a string", default)
        if isinstance(value, str) and not value.strip() and default is _REQUIRED:
            raise ConfigError(f"[{self.name}] {key} must not be empty")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = float(self._get(key, (int, float), "a number", default))
        if not low < value <= high:
            raise ConfigError(f"[{self.name}] {key} must be above {low:g} and at most {high:g}")
        return value

    def non_negative(self, key: str, default: float, high: float) -> float:
        value = float(self._get(key, (int, float), "a number", default))
        if not 0 <= value <= high:
            raise ConfigError(f"[{self.name}] {key} must be between 0 and {high:g}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value: int = self._get(key, int, "an integer", default)
        if not low <= value <= high:
            raise ConfigError(f"[{self.name}] {key} must be between {low} and {high}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return bool(self._get(key, bool, "true or false", default))

    def strings(self, key: str, check: Callable[[str], object] | None = None) -> tuple[str, ...] | None:
        value = self._get(key, list, "a list of strings", None)
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[{self.name}] {key} must be a list of strings")
        for item in value:
            if check is not None:
                try:
                    check(item)
                except (ValueError, ConfigError) as exc:
                    raise ConfigError(f"[{self.name}] {key}: {exc}") from None
        return tuple(value)

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value: str = self.text(key, default)
        if value not in choices:
            raise ConfigError(f"[{self.name}] {key} must be one of {', '.join(choices)}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise ConfigError(unknown_key(self.name, unknown[0], self.read))


_REQUIRED = object()

# Spellings earlier versions accepted, with the one spelling that replaces each.
_OLD_SPELLINGS = {
    "accept_invites": "accept_invites_from (a list of user patterns)",
    "rate_limit_per_minute": "rate_limit (with rate_limit_window = 60)",
    "cache_lifetime": "cache_ttl",
    "cache_seconds": "cache_ttl",
}


def unknown_key(table: str, key: str, known: Collection[str]) -> str:
    """One line for a key that is not known, naming the right spelling when there is one."""
    if key in _OLD_SPELLINGS:
        return f"[{table}] {key} is an old spelling: use {_OLD_SPELLINGS[key]}"
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"[{table}] {key} is not a known key{hint}"


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _user_pattern(pattern: str) -> None:
    if not pattern.startswith("@") or ":" not in pattern:
        raise ConfigError(f"{pattern!r} is not a user pattern like @*:example.org")


def _user_id(value: str) -> None:
    localpart, server = split_sigil_id(value)
    if not value.startswith("@") or not localpart or not server:
        raise ConfigError(f"[matrix] user_id {value!r} is not a user ID like @bot:example.org")
    try:
        parse_server_name(server)
    except TargetError as exc:
        raise ConfigError(f"[matrix] user_id: {exc}") from None


def load_config(path: str | Path) -> Config:
    """Read and validate the config file; raise ConfigError with one line on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"matrix", "bot", "checks", *WATCH_TABLES})
    if unknown:
        raise ConfigError(f"[{unknown[0]}] is not a known table")
    if "matrix" not in data:
        raise ConfigError("[matrix] is required (homeserver, user_id, password or access_token)")
    matrix = _matrix(_Table("matrix", data["matrix"]), path.parent)
    own = f"@*:{matrix.server_name}"
    return Config(
        matrix,
        _bot(_Table("bot", data.get("bot", {})), own),
        _checks(_Table("checks", data.get("checks", {})), path.parent),
        **_watch_tables(data),
    )


# -- [watch] and [metrics]: parsed in watchconfig.py, which raises plain ValueErrors


def _watch_tables(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return {
            "watch": watch_config(_Table("watch", data.get("watch", {}))),
            "metrics": metrics_config(_Table("metrics", data.get("metrics", {}))),
        }
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _matrix(t: _Table, base: Path) -> MatrixConfig:
    homeserver = t.text("homeserver", _REQUIRED).rstrip("/")
    if not homeserver.startswith(("https://", "http://")):
        raise ConfigError("[matrix] homeserver must be an http:// or https:// URL")
    user_id = t.text("user_id", _REQUIRED)
    _user_id(user_id)
    password = t.text("password") or None
    access_token = t.text("access_token") or None
    if not password and not access_token:
        raise ConfigError("[matrix] password or access_token is required")
    store_dir = Path(t.text("store_dir", "foci-bot-store")).expanduser()
    config = MatrixConfig(
        homeserver=homeserver,
        user_id=user_id,
        password=password,
        access_token=access_token,
        device_name=t.text("device_name", "foci-bot"),
        store_dir=store_dir if store_dir.is_absolute() else base / store_dir,
    )
    t.done()
    return config


def _bot(t: _Table, own_server: str) -> BotConfig:
    prefix = t.text("command_prefix", "!foci")
    if not prefix.strip() or any(c.isspace() for c in prefix):
        raise ConfigError("[bot] command_prefix must be one word")
    allowed = t.strings("allowed_users", _user_pattern)
    allowed = (own_server,) if allowed is None else allowed
    invites = t.strings("accept_invites_from", _user_pattern)
    room_users = t.strings("room_allowed_users", _user_pattern)
    config = BotConfig(
        command_prefix=prefix,
        allowed_users=allowed,
        accept_invites_from=allowed if invites is None else invites,
        room_allowed_users=allowed if room_users is None else room_users,
        rate_limit=t.integer("rate_limit", 30, 1, 10_000),
        rate_limit_window=t.number("rate_limit_window", 60.0, 0, 86_400),
        max_targets=t.integer("max_targets", 10, 1, 100),
        ack=t.choice("ack", "reaction", ACK_MODES),
        log_level=t.choice("log_level", "INFO", LOG_LEVELS),
    )
    t.done()
    return config


def _checks(t: _Table, base: Path) -> ChecksConfig:
    rules = t.strings("connect_to", _connect_to) or ()
    cacert = t.text("cacert") or None
    if cacert is not None:
        cacert_path = Path(cacert).expanduser()
        cacert = str(cacert_path if cacert_path.is_absolute() else base / cacert_path)
        if not Path(cacert).is_file():
            raise ConfigError(f"[checks] cacert {cacert!r} is not a readable file")
    timeout = t.number("timeout", 5.0, 0, 300)
    # Unset, the deadline is three timeouts: a check has up to three dependent request phases
    # (well-known, then version/discovery, then the focus itself), each bounded by the timeout.
    deadline = t.number("deadline", 3 * timeout, 0, 600) if "deadline" in t.data else 3 * timeout
    t.read.add("deadline")
    config = ChecksConfig(
        timeout=timeout,
        deadline=deadline,
        concurrency=t.integer("concurrency", 64, 1, 1000),
        cache_ttl=t.non_negative("cache_ttl", 300.0, 86_400),
        allow_private=t.boolean("allow_private", False),
        allow_addresses=frozenset(_ip(a) for a in t.strings("allow_addresses", _ip) or ()),
        connect_to=tuple(ConnectTo.parse(r) for r in rules),
        cacert=cacert,
        dns_server=_dns_server(t.text("dns_server")),
    )
    t.done()
    return config


def _dns_server(text: str | None) -> tuple[str, int] | None:
    if not text:
        return None
    try:
        return parse_dns_server(text)
    except ValueError:
        raise ConfigError(f"[checks] dns_server wants ADDR:PORT, got {text!r}") from None


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise ConfigError(f"{text!r} is not an IP address") from None


def _connect_to(rule: str) -> None:
    try:
        ConnectTo.parse(rule)
    except ConnectToError as exc:
        raise ConfigError(str(exc).replace("--connect-to", "rule")) from None
