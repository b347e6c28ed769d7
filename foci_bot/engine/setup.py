"""The engine as the bot and ``foci-bot room`` set it up from the config: one place, both users."""

from __future__ import annotations

from foci_bot.config import Config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions


def http_options(config: Config) -> HttpOptions:
    """The [checks] settings. The configured homeserver is not exempt from the address guard
    here: only the bot's own reads of it are, request by request (``fetch(own_server=True)``)."""
    c = config.checks
    return HttpOptions(
        timeout=c.timeout,
        concurrency=c.concurrency,
        allow_private=c.allow_private,
        allowed_addresses=c.allow_addresses,
        connect_to=c.connect_to,
        cacert=c.cacert,
    )


def own_checker(config: Config, http: HttpClient, options: CheckOptions, token: str) -> Checker:
    """A Checker that reads our own homeserver's transports with our token, at the configured URL."""
    server = config.matrix.server_name
    return Checker(http, options, tokens={server: token}, homeservers={server: config.matrix.homeserver})
