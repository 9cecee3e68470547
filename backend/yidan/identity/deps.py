"""Request dependencies that resolve the caller: `PrincipalDep` and role-checked variants."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from yidan.core.db import SessionDep
from yidan.core.errors import Forbidden, Unauthorized
from yidan.core.security import TokenConfig
from yidan.identity import service
from yidan.identity.principal import Principal, Role

bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/token")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Partner API key")


def token_config(request: Request) -> TokenConfig:
    """The app's token configuration."""
    cfg: TokenConfig = request.app.state.token_config
    return cfg


def client_ip(request: Request) -> str | None:
    """The caller's address as seen by this process."""
    return request.client.host if request.client else None


async def resolve_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> Principal:
    """The caller from a Bearer token or an X-API-Key; 401 when neither is valid."""
    ua = request.headers.get("user-agent")
    if credentials is not None and credentials.credentials:
        return await service.principal_from_token(
            session, token_config(request), credentials.credentials, ip=client_ip(request), user_agent=ua
        )
    if api_key:
        return await service.principal_from_api_key(session, api_key, ip=client_ip(request), user_agent=ua)
    raise Unauthorized("log in (Bearer token) or send an X-API-Key", code="not_authenticated")


PrincipalDep = Annotated[Principal, Depends(resolve_principal)]


def require_roles(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that lets through only users with one of roles (or an org admin)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(*roles):
            wanted = ", ".join(r.value for r in roles)
            raise Forbidden(
                f"this needs the role {wanted}; you are {principal.role.value}", code="role_required"
            )
        return principal

    return Depends(check)


UserPrincipalDep = Annotated[Principal, require_roles(*Role)]
PartnerAdminDep = Annotated[Principal, require_roles(Role.PARTNER_ADMIN)]
