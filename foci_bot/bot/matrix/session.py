"""The bot's session: reuse the configured or stored access token, else log in with the password.

Only a token the homeserver refuses (401 ``M_UNKNOWN_TOKEN``) drops a stored session; a homeserver
that is down or answers 5xx is retried with :class:`~foci_bot.bot.backoff.Backoff`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import nio

from foci_bot.bot.backoff import Backoff
from foci_bot.bot.dispatch import Dispatcher
from foci_bot.bot.matrix.responses import LoginError, TokenRefused, retryable, token_refused, why
from foci_bot.bot.store import Session, Store, restrict_files
from foci_bot.config import Config
from foci_bot.engine.http import NETWORK_ERRORS
from foci_bot.engine.setup import own_checker

log = logging.getLogger("foci_bot.bot.matrix")


class SessionMixin:
    """Logging in and keeping the session; mixed into :class:`~foci_bot.bot.matrix.client.MatrixBot`."""

    config: Config
    store: Store
    client: nio.AsyncClient
    dispatcher: Dispatcher | None
    max_attempts: int | None
    retry_delay: float

    async def login(self) -> None:
        """Reuse the configured token, else the stored session, else log in with the password.

        Only a token the homeserver refuses (401 ``M_UNKNOWN_TOKEN``) drops the stored session;
        a homeserver that is down or answers 5xx is retried with backoff until it answers.
        """
        m = self.config.matrix
        if m.access_token:
            await self._restore(m.access_token, None)
            return
        stored = self.store.session(m.user_id, m.homeserver)
        if stored is not None:
            try:
                await self._restore(stored.access_token, stored.device_id)
                log.info("reusing the stored session (device %s)", stored.device_id)
                return
            except TokenRefused as exc:
                log.warning("stored session no longer works (%s); logging in again", exc)
                self.store.drop_session(m.user_id)
        await self._password_login()

    async def _password_login(self) -> None:
        m = self.config.matrix
        backoff, attempt = Backoff(self.retry_delay, 60.0), 0
        while True:
            attempt += 1
            try:
                response: Any = await self.client.login(password=m.password, device_name=m.device_name)
            except NETWORK_ERRORS as exc:
                response = exc
            if isinstance(response, nio.LoginResponse):
                break
            if not retryable(response):
                raise LoginError(f"login as {m.user_id} failed: {getattr(response, 'message', response)}")
            if self.max_attempts is not None and attempt >= self.max_attempts:
                raise LoginError(f"login as {m.user_id} failed: {why(response)}")
            delay = backoff.next()
            log.warning("login failed (%s); retrying in %.0f s", why(response), delay)
            await asyncio.sleep(delay)
        self.store.save_session(Session(m.user_id, response.device_id, response.access_token, m.homeserver))
        restrict_files(self.config.matrix.store_dir / "nio")
        log.info("logged in as %s, new device %s", m.user_id, response.device_id)

    async def relogin(self) -> None:
        """The homeserver forgot our token mid-run: log in again with the password (new device)."""
        m = self.config.matrix
        self.store.drop_session(m.user_id)
        self.client.access_token = ""
        # The next login loads the new device's keys; the old device's account must not be reused.
        self.client.store = None
        self.client.olm = None
        await self._password_login()
        if self.dispatcher is not None:  # the checker sends our token to our own homeserver
            old = self.dispatcher.checker
            self.dispatcher.checker = own_checker(
                self.config, old.http, old.options, self.client.access_token
            )

    async def _restore(self, token: str, device_id: str | None) -> None:
        whoami = await self._whoami(token)
        if whoami.user_id != self.config.matrix.user_id:
            self.client.access_token = ""
            raise TokenRefused(
                f"the access token belongs to {whoami.user_id}, not {self.config.matrix.user_id}"
            )
        device = device_id or whoami.device_id
        if not device:
            raise LoginError("the homeserver did not say which device the access token belongs to")
        self.client.restore_login(self.config.matrix.user_id, device, token)
        restrict_files(self.config.matrix.store_dir / "nio")

    async def _whoami(self, token: str) -> Any:
        """``whoami`` for the token; TokenRefused only for M_UNKNOWN_TOKEN, else retried."""
        backoff, attempt = Backoff(self.retry_delay, 60.0), 0
        while True:
            attempt += 1
            self.client.access_token = token
            try:
                response: Any = await self.client.whoami()
            except NETWORK_ERRORS as exc:
                response = exc
            if isinstance(response, nio.WhoamiResponse):
                return response
            self.client.access_token = ""
            if token_refused(response):
                raise TokenRefused(f"the access token was refused: {getattr(response, 'status_code', '?')}")
            if not retryable(response) or (self.max_attempts is not None and attempt >= self.max_attempts):
                raise LoginError(f"checking the access token failed: {why(response)}")
            delay = backoff.next()
            log.warning("checking the access token failed (%s); retrying in %.0f s", why(response), delay)
            await asyncio.sleep(delay)
