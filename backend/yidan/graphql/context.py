"""One GraphQL context per request: its database session, its caller and its own DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from yidan.core.errors import Unauthorized
from yidan.graphql.loaders import Loaders
from yidan.identity import service as identity
from yidan.identity.deps import api_key_header, bearer
from yidan.identity.principal import Principal
from yidan.settings import Settings


class Context(BaseContext):
    """What every resolver of one request shares; never reused by another request or tenant."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        principal: Principal | None,
        auth_error: Unauthorized | None,
        settings: Settings,
        secret: str,
    ) -> None:
        super().__init__()
        self.session = session
        self.principal = principal
        self.auth_error = auth_error
        self.settings = settings
        self.secret = secret
        # GraphQL resolves sibling fields concurrently, but one AsyncSession allows one statement at a time.
        self.lock = asyncio.Lock()
        self.loaders = Loaders(session, self.lock)

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively while a service uses it."""
        async with self.lock:
            yield self.session


Info: TypeAlias = strawberry.Info[Context, None]


async def authenticate(
    session: AsyncSession, connection: HTTPConnection
) -> tuple[Principal | None, Unauthorized | None]:
    """The caller from a Bearer token or an X-API-Key, as REST resolves it; a refusal is kept, not raised."""
    ip = connection.client.host if connection.client else None
    ua = connection.headers.get("user-agent")
    credentials = await bearer(connection)
    api_key = await api_key_header(connection)
    try:
        if credentials is not None and credentials.credentials:
            cfg = connection.app.state.token_config
            token = credentials.credentials
            return await identity.principal_from_token(session, cfg, token, ip=ip, user_agent=ua), None
        if api_key:
            return await identity.principal_from_api_key(session, api_key, ip=ip, user_agent=ua), None
    except Unauthorized as exc:
        return None, exc
    return None, None


async def get_context(connection: HTTPConnection) -> AsyncIterator[Context]:
    """The request's context; the schema's Transaction extension commits or rolls back its session."""
    maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
    async with maker() as session:
        principal, auth_error = await authenticate(session, connection)
        yield Context(
            session=session,
            principal=principal,
            auth_error=auth_error,
            settings=connection.app.state.settings,
            secret=connection.app.state.secret,
        )
