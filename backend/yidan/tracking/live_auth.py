"""Who may go on listening: an open live stream keeps checking its caller and the waybill.

A stream is authorised when it opens, and that is not enough: it may live for hours, longer than the
access token that opened it, than an API key that gets revoked, or than the caller's sight of the
waybill. So a ``StreamGuard`` goes with every stream:

- a stream opened with a Bearer access token ends when that token expires (no database needed);
- every ``live_recheck_s`` seconds (settings; tests set ``app.state.live_recheck_s``) the caller is
  resolved again from the same credentials, as a request would be, and the waybill must still be visible
  to it. Each re-check uses a short-lived session of its own: a stream never holds a pooled connection.

A stream that may not go on ends with ``StreamEnded`` and one of the codes in ``END_CODES``; the SSE
endpoint sends it as a final ``event: reauthenticate`` frame, the GraphQL subscription as its last error.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.errors import NotFound, Unauthorized
from yidan.core.security import TokenConfig, decode_access_token
from yidan.identity import service as identity
from yidan.identity.principal import Principal
from yidan.waybills import service as waybills
from yidan.waybills.models import Waybill

log = logging.getLogger("yidan.tracking.live_auth")

TOKEN_EXPIRED = "token_expired"
KEY_REVOKED = "key_revoked"
NOT_AUTHORISED = "not_authorised"
NOT_FOUND = "not_found"
END_CODES = {
    TOKEN_EXPIRED: "the access token expired: get a fresh one (POST /api/v1/auth/refresh) and reconnect",
    KEY_REVOKED: "the API key was revoked",
    NOT_AUTHORISED: "the credentials are no longer accepted (the user was deactivated or removed)",
    NOT_FOUND: "the waybill is no longer visible to the caller",
}
# what the identity service's refusals mean for a stream that is already open
_REFUSALS = {"token_expired": TOKEN_EXPIRED, "api_key_revoked": KEY_REVOKED, "invalid_api_key": KEY_REVOKED}

RECHECK_S = 60.0
# a re-check the database could not answer is tried again this soon (token expiry is enforced regardless)
RETRY_S = 5.0


class StreamEnded(Exception):
    """The stream may not go on; `code` is one of END_CODES."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail or END_CODES[code])
        self.code = code
        self.detail = detail or END_CODES[code]

    def as_dict(self) -> dict[str, str]:
        """What the client is told."""
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a stream was opened with: a Bearer access token or an API key, and where it came from."""

    bearer: str | None = None
    api_key: str | None = None
    ip: str | None = None
    user_agent: str | None = None


async def resolve(session: AsyncSession, cfg: TokenConfig, credentials: Credentials) -> Principal:
    """The caller the credentials stand for, resolved by the identity service; Unauthorized otherwise."""
    ip, agent = credentials.ip, credentials.user_agent
    if credentials.bearer:
        return await identity.principal_from_token(session, cfg, credentials.bearer, ip=ip, user_agent=agent)
    if credentials.api_key:
        return await identity.principal_from_api_key(session, credentials.api_key, ip=ip, user_agent=agent)
    raise Unauthorized("log in (Bearer token) or send an X-API-Key", code="not_authenticated")


async def visible_waybill_id(session: AsyncSession, principal: Principal, number: str) -> uuid.UUID:
    """The id of a waybill the caller may see, decided as for reading the waybill itself; else NotFound."""
    found = await session.scalar(
        select(Waybill.id).where(Waybill.number == number.strip().upper(), waybills.visible_clause(principal))
    )
    if found is None:
        raise NotFound(f"waybill {number} not found")
    return found


async def still_visible(session: AsyncSession, principal: Principal, waybill_id: uuid.UUID) -> bool:
    """True while the caller may see the waybill, decided as for reading the waybill itself."""
    found = await session.scalar(
        select(Waybill.id).where(Waybill.id == waybill_id, waybills.visible_clause(principal))
    )
    return found is not None


def recheck_interval(app: Any) -> float:
    """How often the app's streams re-check their caller (app.state.live_recheck_s wins over the settings)."""
    state = app.state
    configured: Any = getattr(state, "live_recheck_s", None)
    if configured is None:
        configured = getattr(getattr(state, "settings", None), "live_recheck_s", RECHECK_S)
    return float(configured)


class StreamGuard:
    """Decides, while a stream is open, whether it may go on; see the module's description."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        cfg: TokenConfig,
        credentials: Credentials,
        waybill_id: uuid.UUID,
        *,
        recheck_s: float = RECHECK_S,
    ) -> None:
        self._maker = sessionmaker
        self._cfg = cfg
        self.credentials = credentials
        self.waybill_id = waybill_id
        self.recheck_s = max(recheck_s, 0.05)
        self._next_check = time.monotonic() + self.recheck_s
        # the token was verified when the stream opened; its expiry (wall clock, as in the JWT) ends it
        self.expires_at: float | None = None
        if credentials.bearer:
            self.expires_at = float(decode_access_token(cfg, credentials.bearer)["exp"])

    @classmethod
    async def open(
        cls,
        session: AsyncSession,
        sessionmaker: async_sessionmaker[AsyncSession],
        cfg: TokenConfig,
        credentials: Credentials,
        number: str,
        *,
        recheck_s: float = RECHECK_S,
    ) -> StreamGuard:
        """Authorise a new stream of a waybill (Unauthorized, NotFound) and the guard that keeps it so."""
        principal = await resolve(session, cfg, credentials)
        waybill_id = await visible_waybill_id(session, principal, number)
        return cls(sessionmaker, cfg, credentials, waybill_id, recheck_s=recheck_s)

    def wait_s(self) -> float:
        """Seconds until the guard next needs to look (0 when it is due now)."""
        due = self._next_check - time.monotonic()
        if self.expires_at is not None:
            due = min(due, self.expires_at - time.time())
        return max(due, 0.0)

    async def check(self) -> None:
        """Return when the stream may go on; StreamEnded when the token expired or a due re-check failed."""
        if self.expires_at is not None and time.time() >= self.expires_at:
            raise StreamEnded(TOKEN_EXPIRED)
        if time.monotonic() < self._next_check:
            return
        try:
            async with self._maker() as session:
                principal = await resolve(session, self._cfg, self.credentials)
                visible = await still_visible(session, principal, self.waybill_id)
                # an API key streaming for hours is in use: the service notes it (at most once a minute)
                await session.commit()
        except Unauthorized as exc:
            raise StreamEnded(_REFUSALS.get(exc.code, NOT_AUTHORISED)) from exc
        except (SQLAlchemyError, OSError) as exc:
            # the database being away is no reason to cut every stream; the token's expiry still holds
            log.warning("live stream re-check failed, trying again in %.0f s: %r", RETRY_S, exc)
            self._next_check = time.monotonic() + min(RETRY_S, self.recheck_s)
            return
        if not visible:
            raise StreamEnded(NOT_FOUND)
        self._next_check = time.monotonic() + self.recheck_s
