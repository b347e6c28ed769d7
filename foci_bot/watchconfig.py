"""The ``[watch]`` and ``[metrics]`` tables of the config file (issue 11).

Kept apart from ``config.py`` so the watch settings stay in one place; ``config.load_config``
calls :func:`watch_config` and :func:`metrics_config` with its strict ``_Table`` reader, so the
same rules hold: one spelling per key, and an unknown key is an error naming it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from foci_bot.servername import TargetError, parse_target

if TYPE_CHECKING:
    from foci_bot.config import _Table

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


def _error(message: str) -> Exception:
    from foci_bot.config import ConfigError  # config imports this module: import when needed

    return ConfigError(message)


def _server(text: str) -> None:
    try:
        parse_target(text)
    except TargetError as exc:
        raise _error(str(exc)) from None


def watch_config(t: _Table) -> WatchConfig:
    servers = t.strings("servers", _server) or ()
    alert_room = t.text("alert_room") or None
    if alert_room is not None and not (alert_room.startswith("!") and ":" in alert_room):
        raise _error("[watch] alert_room must be a room ID like !abc:example.org")
    if servers and alert_room is None:
        raise _error("[watch] servers needs alert_room: the room the alerts go to")
    config = WatchConfig(
        interval=t.number("interval", 900.0, 0, 7 * 86_400),
        confirm_after=_seconds(t, "confirm_after", 60.0),  # 0 announces at once
        max_per_room=t.integer("max_per_room", 50, 1, 1000),
        alert_gap=_seconds(t, "alert_gap", 30.0),
        history_days=t.number("history_days", 90.0, 0, 3650),
        servers=tuple(str(parse_target(s)) for s in servers),
        alert_room=alert_room,
    )
    t.done()
    return config


def _seconds(t: _Table, key: str, default: float) -> float:
    """Zero or more seconds, at most a day."""
    value = t.number(key, default, -1, 86_400)
    if value < 0:
        raise _error(f"[watch] {key} must be between 0 and 86400")
    return value


def metrics_config(t: _Table) -> MetricsConfig:
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
