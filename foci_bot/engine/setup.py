"""The engine as the bot and ``foci-bot room`` set it up from the config: one place, both users."""

from __future__ import annotations

from foci_bot.config import Config
from foci_bot.engine.discover import Checker, CheckOptions
from foci_bot.engine.http import HttpClient, HttpOptions
from foci_bot.urls import hostport


def http_options(config: Config) -> HttpOptions:
    """The [checks] settings; the configured homeserver is trusted past the address guard."""
    c = config.checks
    own = hostport(config.matrix.homeserver)
    return HttpOptions(
        timeout=c.timeout,
        concurrency=c.concurrency,
        allow_private=c.allow_private,
        allowed_addresses=c.allow_addresses,
        connect_to=c.connect_to,
        cacert=c.cacert,
        dns_server=c.dns_server,
        trusted=frozenset({own}) if own else frozenset(),
    )


def own_checker(config: Config, http: HttpClient, options: CheckOptions, token: str) -> Checker:
    """A Checker that reads our own homeserver's transports with our token, at the configured URL."""
    server = config.matrix.server_name
    return Checker(http, options, tokens={server: token}, homeservers={server: config.matrix.homeserver})
