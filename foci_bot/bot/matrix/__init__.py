"""The Matrix adapter: the only package that imports nio. ``client`` runs the bot (sync loop,
invites, sending); ``session`` logs in; ``rooms`` reads room state; ``responses`` reads nio's answers."""

from foci_bot.bot.matrix.client import MatrixBot
from foci_bot.bot.matrix.responses import LoginError, TokenRefused

__all__ = ["LoginError", "MatrixBot", "TokenRefused"]
