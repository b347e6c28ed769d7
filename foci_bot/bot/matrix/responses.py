"""What nio answered, read as plain values: failures worth retrying, refused tokens, errors."""

from __future__ import annotations

import time

from foci_bot.bot.incoming import SnapshotError


class LoginError(RuntimeError):
    """The bot cannot log in (wrong password, revoked token); the message names no secret."""


class TokenRefused(LoginError):
    """The homeserver does not know the access token (401 ``M_UNKNOWN_TOKEN``)."""


def status(response: object) -> int:
    transport = getattr(response, "transport_response", None)
    status = getattr(transport, "status", 0)
    return status if isinstance(status, int) else 0


def token_refused(response: object) -> bool:
    return getattr(response, "status_code", None) in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN")


def retryable(response: object) -> bool:
    """A failure worth retrying: no answer at all, 429, or a 5xx."""
    if isinstance(response, BaseException):
        return True
    code = status(response)
    return code == 0 or code == 429 or code >= 500


def why(response: object) -> str:
    if isinstance(response, BaseException):
        return f"{type(response).__name__}: {response}"
    return f"{status(response) or '?'} {getattr(response, 'message', '') or getattr(response, 'status_code', '')}".strip()


def now_ms() -> int:
    return int(time.time() * 1000)


def unreachable(homeserver: str, exc: BaseException) -> SnapshotError:
    """A connection failure as a value: nio lets aiohttp's errors through, callers see none."""
    return SnapshotError(f"cannot reach {homeserver}: {str(exc) or type(exc).__name__}", unreachable=True)
