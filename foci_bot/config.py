"""The bot's config file (TOML, stdlib ``tomllib``) -> a typed, frozen :class:`Config`.

Loading has no side effects: it reads one file and returns values or raises
:class:`ConfigError` with one line naming the offending key. Every key and its default is
documented in ``config.sample.toml``.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from foci_bot.addrguard import ConnectTo, ConnectToError, parse_dns_server
from foci_bot.servername import TargetError, parse_server_name

ACK_MODES = ("reaction", "notice", "none")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

T = TypeVar("T")


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
        return self.user_id.partition(":")[2]


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

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value: int = self._get(key, int, "an integer", default)
        if not low <= value <= high:
            raise ConfigError(f"[{self.name}] {key} must be between {low} and {high}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return bool(self._get(key, bool, "true or false", default))

    def strings(self, key: str, check: Callable[[str], object] | None = None) -> tuple[str, ...] | None:
        value = self._get(key, (list, str), "a list of strings", None)
        if value is None:
            return None
        if isinstance(value, str):  # a single string stands for a one-item list
            value = [value]
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
            raise ConfigError(f"[{self.name}] {unknown[0]} is not a known key")


_REQUIRED = object()


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _user_pattern(pattern: str) -> None:
    if not pattern.startswith("@") or ":" not in pattern:
        raise ConfigError(f"{pattern!r} is not a user pattern like @*:example.org")


def _user_id(value: str) -> None:
    localpart, _, server = value[1:].partition(":")
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
    unknown = sorted(set(data) - {"matrix", "bot", "checks"})
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
    )


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
    invites = _accept_invites(t, allowed)
    room_users = t.strings("room_allowed_users", _user_pattern)
    rate_limit, window = _rate_limit(t)
    config = BotConfig(
        command_prefix=prefix,
        allowed_users=allowed,
        accept_invites_from=invites,
        room_allowed_users=allowed if room_users is None else room_users,
        rate_limit=rate_limit,
        rate_limit_window=window,
        max_targets=t.integer("max_targets", 10, 1, 100),
        ack=t.choice("ack", "reaction", ACK_MODES),
        log_level=t.choice("log_level", "INFO", LOG_LEVELS),
    )
    t.done()
    return config


def _only_one(t: _Table, keys: tuple[str, ...]) -> str | None:
    """The one of ``keys`` (spellings of one setting) that is given, if any; two at once is an error."""
    given = [k for k in keys if k in t.data]
    t.read.update(keys)
    if len(given) > 1:
        raise ConfigError(f"[{t.name}] give only one of {' and '.join(given)}")
    return given[0] if given else None


_INVITE_WORDS = {"allowed": None, "all": ("@*:*",), "none": ()}


def _accept_invites(t: _Table, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """accept_invites_from (or accept_invites): patterns, true/"allowed", false/"none" or "all"."""
    key = _only_one(t, ("accept_invites_from", "accept_invites"))
    if key is None:
        return allowed
    value = t.data[key]
    if isinstance(value, bool):
        return allowed if value else ()
    if isinstance(value, str) and value.strip().lower() in _INVITE_WORDS:
        words = _INVITE_WORDS[value.strip().lower()]
        return allowed if words is None else words
    if not isinstance(value, (str, list)):
        raise ConfigError(
            f'[bot] {key} must be true, false, "all", "none" or a list of user patterns, not {type(value).__name__}'
        )
    return t.strings(key, _user_pattern) or ()


_WINDOW_WORDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86_400,
    "day": 86_400,
}
_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d+(?:\.\d+)?)?\s*([a-z]+?)s?\s*", re.IGNORECASE)


def _rate_limit(t: _Table) -> tuple[int, float]:
    """rate_limit = N (with rate_limit_window), a table {count = N, window = S}, a string "N/60s" or
    "N/minute", or rate_limit_per_minute = N."""
    key = _only_one(t, ("rate_limit", "rate_limit_per_minute"))
    if key == "rate_limit_per_minute":
        if "rate_limit_window" in t.data:
            raise ConfigError("[bot] give only one of rate_limit_per_minute and rate_limit_window")
        return t.integer(key, 30, 1, 10_000), 60.0
    value = t.data.get("rate_limit") if key else None
    if isinstance(value, Mapping):
        if "rate_limit_window" in t.data:
            raise ConfigError("[bot] rate_limit as a table takes its window inside; drop rate_limit_window")
        sub = _Table("bot.rate_limit", value)
        count_key = _only_one(sub, ("count", "commands")) or "count"
        window_key = _only_one(sub, ("window", "seconds", "per")) or "window"
        count = sub.integer(count_key, 30, 1, 10_000)
        window = sub.number(window_key, 60.0, 0, 86_400)
        sub.done()
        return count, window
    if isinstance(value, str):
        if "rate_limit_window" in t.data:
            raise ConfigError("[bot] rate_limit as a string takes its window inside; drop rate_limit_window")
        return _rate_text(value)
    return t.integer("rate_limit", 30, 1, 10_000), t.number("rate_limit_window", 60.0, 0, 86_400)


def _rate_text(text: str) -> tuple[int, float]:
    match = _RATE.fullmatch(text)
    unit = _WINDOW_WORDS.get(match.group(3).lower()) if match else None
    if match is None or unit is None:
        raise ConfigError(f'[bot] rate_limit {text!r} is not like "30/60s" or "30/minute"')
    count, window = int(match.group(1)), float(match.group(2) or 1) * unit
    if not 1 <= count <= 10_000:
        raise ConfigError("[bot] rate_limit must be between 1 and 10000")
    if not 0 < window <= 86_400:
        raise ConfigError("[bot] rate_limit window must be above 0 and at most 86400 seconds")
    return count, window


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
        cache_ttl=_cache_ttl(t),
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


def _cache_ttl(t: _Table) -> float:
    # "cache_lifetime" and "cache_seconds" are accepted as other spellings.
    key = _only_one(t, ("cache_ttl", "cache_lifetime", "cache_seconds")) or "cache_ttl"
    value = float(t._get(key, (int, float), "a number", 300.0))
    if not 0 <= value <= 86_400:
        raise ConfigError(f"[checks] {key} must be between 0 and 86400 (0 turns the cache off)")
    return value


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
