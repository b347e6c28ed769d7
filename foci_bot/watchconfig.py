"""The ``[watch]`` and ``[metrics]`` tables of the config file.

Kept apart from ``config.py`` so the watch settings stay in one place; ``config.load_config``
calls :func:`watch_config` and :func:`metrics_config` with its strict table reader (any
:class:`Table`), so the same rules hold: one spelling per key, and an unknown key is an error
naming it. Problems found here are ``ValueError`` with one line naming the key, which
``load_config`` turns into its ``ConfigError``; this module imports nothing of ``config``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from foci_bot.servername import TargetError, parse_target

DEFAULT_METRICS_HOST = "127.0.0.1"
DEFAULT_METRICS_PORT = 9464


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """How often watched targets are checked, and what is watched from the config file."""

    interval: float = 900.0  # seconds between two checks of one target (each jittered ±10 %)
    confirm_after: float = 60.0  # a change is checked once more after this before it is announced
    max_per_room: int = 50
    alert_gap: float = 30.0  # seconds between two alert messages in one room; the rest is a digest
    history_days: float = 90.0  # changes older than this are forgotten
    servers: tuple[str, ...] = ()  # watched from ``alert_room`` without any chat command
    alert_room: str | None = None


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    """Where the Prometheus endpoint listens; ``None``: no endpoint (the default)."""

    host: str | None = None
    port: int = DEFAULT_METRICS_PORT

    @property
    def enabled(self) -> bool:
        return self.host is not None


class Table(Protocol):
    """What this module reads a TOML table with (``config._Table``)."""

    def text(self, key: str, default: object = None) -> Any: ...
    def number(self, key: str, default: float, low: float, high: float) -> float: ...
    def non_negative(self, key: str, default: float, high: float) -> float: ...
    def integer(self, key: str, default: int, low: int, high: int) -> int: ...
    def strings(self, key: str, check: Callable[[str], object] | None = None) -> tuple[str, ...] | None: ...
    def done(self) -> None: ...


def _error(message: str) -> Exception:
    return ValueError(message)


def _server(text: str) -> None:
    try:
        parse_target(text)
    except TargetError as exc:
        raise _error(str(exc)) from None


def watch_config(t: Table) -> WatchConfig:
    servers = t.strings("servers", _server) or ()
    alert_room = t.text("alert_room") or None
    if alert_room is not None and not (alert_room.startswith("!") and ":" in alert_room):
        raise _error("[watch] alert_room must be a room ID like !abc:example.org")
    if servers and alert_room is None:
        raise _error("[watch] servers needs alert_room: the room the alerts go to")
    config = WatchConfig(
        interval=t.number("interval", 900.0, 0, 7 * 86_400),
        confirm_after=t.non_negative("confirm_after", 60.0, 86_400),  # 0 announces at once
        max_per_room=t.integer("max_per_room", 50, 1, 1000),
        alert_gap=t.non_negative("alert_gap", 30.0, 86_400),
        history_days=t.number("history_days", 90.0, 0, 3650),
        servers=tuple(str(parse_target(s)) for s in servers),
        alert_room=alert_room,
    )
    t.done()
    return config


def metrics_config(t: Table) -> MetricsConfig:
    listen = t.text("listen")
    t.done()
    if listen is None:
        return MetricsConfig()
    return parse_listen(listen)


def parse_listen(text: str) -> MetricsConfig:
    """``HOST:PORT``, ``[IPv6]:PORT``, ``:PORT`` or ``PORT``; no host means loopback."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep:
        host, port_text = "", text.strip()
    host = host.strip("[]") or DEFAULT_METRICS_HOST
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _error(f'[metrics] listen {text!r} is not like "127.0.0.1:9464"')
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        if host != "localhost":
            raise _error(f"[metrics] listen: {host!r} is not an IP address") from None
    return MetricsConfig(host=host, port=int(port_text))
