"""The engine as every shell sets it up: one place for the HTTP settings and the deadline policy."""

from __future__ import annotations

from foci_bot.config import ChecksConfig, Config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions


def http_options(checks: ChecksConfig) -> HttpOptions:
    """The ``[checks]`` settings (or the CLI's network flags, which give the same settings)."""
    return HttpOptions(
        timeout=checks.timeout,
        concurrency=checks.concurrency,
        allow_private=checks.allow_private,
        allowed_addresses=checks.allow_addresses,
        connect_to=checks.connect_to,
        cacert=checks.cacert,
        dns_server=checks.dns_server,
    )


def bot_http_options(config: Config) -> HttpOptions:
    """The bot's settings. Its configured homeserver is not exempt from the address guard here:
    only the bot's own reads of it are, request by request (``fetch(own_server=True)``, see
    :func:`own_checker`), never a URL that a server's answer named."""
    return http_options(config.checks)


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
