"""``foci-bot run --config config.toml``: load the config, run the bot, exit cleanly on SIGTERM.

Exit status: 0 after SIGTERM/SIGINT, 1 when the bot cannot log in or stops on an error,
2 for a bad config (one line on stderr naming the key).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys

from foci_bot.bot.store import Store
from foci_bot.cli.options import load_config_arg
from foci_bot.config import Config
from foci_bot.text import visible

log = logging.getLogger("foci_bot")


# nio puts ``access_token=`` into request URLs and ``Authorization: Bearer`` into headers; a login
# response carries ``"access_token": "..."``. None of them may reach a log line.
_SECRETS = re.compile(
    r"""(?P<keep>access_token(?:%3D|\\?["']?\s*[:=]\s*\\?["']?)|\bBearer\s+)[^\s&"'\\#;,)\]}]+""",
    re.IGNORECASE,
)
REDACTED = "<redacted>"


def redact(text: str) -> str:
    """``text`` with access token values and bearer tokens replaced by ``<redacted>``."""
    return _SECRETS.sub(lambda m: m.group("keep") + REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then redacts secrets from the whole line: message, arguments, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        # Remote text in a log line (room state, server answers) may hold lone surrogates.
        return visible(redact(super().format(record)))


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), format=LOG_FORMAT, stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    # Libraries stay quiet: their debug output may include request details.
    for name in ("nio", "aiohttp", "peewee", "asyncio", "MARKDOWN"):
        logging.getLogger(name).setLevel(max(logging.WARNING, getattr(logging, level)))


async def run_bot(config: Config) -> int:
    """Run until SIGTERM/SIGINT (0) or a fatal error (1)."""
    from foci_bot.bot.matrix import LoginError, MatrixBot

    store = Store(config.matrix.store_dir)  # a StoreError here is one line and exit 2 (cli/main.py)
    log.info("starting as %s on %s", config.matrix.user_id, config.matrix.homeserver)
    bot = MatrixBot(config, store)
    loop = asyncio.get_running_loop()
    main = asyncio.create_task(bot.run())
    stopping = False

    def stop() -> None:
        nonlocal stopping
        stopping = True
        main.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    try:
        await main
        return 0
    except asyncio.CancelledError:
        if not stopping:
            raise
        log.info("stopped")
        return 0
    except LoginError as exc:
        log.error("%s", exc)
        return 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        store.close()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run the Matrix bot")
    run.add_argument("--config", required=True, help="config.toml (see config.sample.toml)")


def run(args: argparse.Namespace) -> int:
    config = load_config_arg(args.config)
    setup_logging(config.bot.log_level)
    return asyncio.run(run_bot(config))
