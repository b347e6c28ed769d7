"""Prometheus metrics for the admins' monitoring, served by ``prometheus-client``.

Off unless ``[metrics] listen`` is set; then a small HTTP server (the library's own, in a
thread) serves the text format on ``/metrics``. Its own registry holds only the metrics below,
so the endpoint says nothing about the machine beyond what the bot watches.
"""

from __future__ import annotations

import contextlib
import logging
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from foci_bot.bot.watchstate import Summary
from foci_bot.watchconfig import MetricsConfig

log = logging.getLogger("foci_bot.bot.metrics")

STATUS_VALUE = {"ok": 0, "warning": 1, "error": 2}


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.commands = Counter("foci_commands", "Commands the bot acted on", registry=registry)
        self.replies = Counter(
            "foci_replies", "Messages the bot sent (answers and alerts)", registry=registry
        )
        self.errors = Counter(
            "foci_errors",
            "Failures: a message that could not be sent, a command that failed",
            registry=registry,
        )
        self.checks = Counter("foci_checks", "Watch checks run", ["kind"], registry=registry)
        self.alerts = Counter("foci_watch_alerts", "Watch alert messages sent", registry=registry)
        self.status = Gauge(
            "foci_watch_status", "Last verdict of a watched target: 0 ok, 1 warning, 2 error", ["target"],
            registry=registry,
        )  # fmt: skip
        self.transport = Gauge(
            "foci_watch_transport_working",
            "1 when the watched server's users can publish in a call (their transport works), else 0",
            ["target"],
            registry=registry,
        )
        self.verified = Gauge(
            "foci_watch_transport_verified",
            "1 when the call token flow worked end to end (OpenID token, lk-jwt-service, SFU), 0 when it "
            "failed; only for the bot's own server, where it holds a token",
            ["target"],
            registry=registry,
        )
        self.duration = Gauge(
            "foci_watch_check_duration_seconds", "How long the last check of a target took", ["target"],
            registry=registry,
        )  # fmt: skip
        self.last_check = Gauge(
            "foci_watch_last_check_timestamp_seconds", "When a target was last checked (Unix time)", ["target"],
            registry=registry,
        )  # fmt: skip
        self.room_members = Gauge(
            "foci_watch_room_members",
            "A watched room's joined members by what they can do (total, can_speak, can_join)",
            ["room", "kind"],
            registry=registry,
        )
        self._server: WSGIServer | None = None

    def observe(self, target: str, summary: Summary, seconds: float, at: float) -> None:
        """Record one finished watch check (``target`` is a server name or ``room:!id``)."""
        kind = "room" if summary.room is not None else "server"
        self.checks.labels(kind).inc()
        self.status.labels(target).set(STATUS_VALUE[summary.status])
        self.duration.labels(target).set(seconds)
        self.last_check.labels(target).set(at)
        if summary.room is None:
            self.transport.labels(target).set(1 if summary.transport == "working" else 0)
            if summary.verified is not None:
                self.verified.labels(target).set(1 if summary.verified else 0)
            return
        room = target.removeprefix("room:")
        self.room_members.labels(room, "total").set(summary.room.members)
        self.room_members.labels(room, "can_speak").set(summary.room.can_speak)
        self.room_members.labels(room, "can_join").set(summary.room.can_join)

    def forget(self, target: str) -> None:
        """A target no room watches any more leaves the endpoint."""
        for gauge in (self.status, self.duration, self.last_check, self.transport, self.verified):
            with contextlib.suppress(KeyError):
                gauge.remove(target)
        if target.startswith("room:"):
            for kind in ("total", "can_speak", "can_join"):
                with contextlib.suppress(KeyError):
                    self.room_members.remove(target.removeprefix("room:"), kind)

    def serve(self, config: MetricsConfig) -> None:
        if config.host is None:
            return
        try:
            self._server, _thread = start_http_server(config.port, addr=config.host, registry=self.registry)
        except OSError as exc:  # the bot's alerts matter more than its metrics: keep running
            log.error("cannot serve metrics on %s port %d: %s", config.host, config.port, exc)
            return
        log.info("serving metrics on %s port %d", config.host, config.port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
