"""The engine as every shell sets it up: one place for the HTTP settings and the deadline policy."""

from __future__ import annotations

from foci_bot.config import ChecksConfig, Config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.urls import hostport


def http_options(checks: ChecksConfig, trusted: frozenset[tuple[str, int]] = frozenset()) -> HttpOptions:
    """The ``[checks]`` settings (or the CLI's network flags, which give the same settings)."""
    return HttpOptions(
        timeout=checks.timeout,
        concurrency=checks.concurrency,
        allow_private=checks.allow_private,
        allowed_addresses=checks.allow_addresses,
        connect_to=checks.connect_to,
        cacert=checks.cacert,
        trusted=trusted,
    )


def bot_http_options(config: Config) -> HttpOptions:
    """The bot's settings; the configured homeserver is trusted past the address guard."""
    own = hostport(config.matrix.homeserver)
    return http_options(config.checks, frozenset({own}) if own else frozenset())


def per_server_deadline(deadline: float) -> float:
    """The deadline policy for an answer that covers many servers (a room check, ``compare``, a
    chat command): each server stops a little before the whole answer, so a slow server is
    reported with what it did answer rather than cut off blank."""
    return max(deadline * 0.5, deadline - 1.0)


def answer_options(checks: ChecksConfig) -> CheckOptions:
    """Check options for answers that must arrive within ``checks.deadline`` (bot, room, compare)."""
    return CheckOptions(
        deadline=per_server_deadline(checks.deadline),
        cache_ttl=checks.cache_ttl,
        concurrency=checks.concurrency,
    )


def own_checker(config: Config, http: HttpClient, options: CheckOptions, token: str) -> Checker:
    """A Checker that reads our own homeserver's transports with our token, at the configured URL."""
    server = config.matrix.server_name
    return Checker(http, options, tokens={server: token}, homeservers={server: config.matrix.homeserver})
