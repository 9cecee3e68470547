"""REST routes for log-in, tokens, the caller, organisations and API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from yidan.core.db import SessionDep
from yidan.identity import service
from yidan.identity.deps import PartnerAdminDep, PrincipalDep, client_ip, token_config
from yidan.identity.principal import OrgKind
from yidan.identity.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    MeOut,
    OrganisationOut,
    RefreshIn,
    TokenOut,
)

router = APIRouter(prefix="/api/v1", tags=["identity"])


def _refresh_ttl(request: Request) -> int:
    return int(request.app.state.settings.refresh_token_ttl_s)


@router.post("/auth/token", response_model=TokenOut, summary="Log in with e-mail and password")
async def token(
    request: Request, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """OAuth2 password grant: an access token (15 min) and a rotating refresh token."""
    pair = await service.login(
        session,
        token_config(request),
        email=form.username,
        password=form.password,
        refresh_ttl_s=_refresh_ttl(request),
        ip=client_ip(request),
    )
    return TokenOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post("/auth/refresh", response_model=TokenOut, summary="Rotate a refresh token")
async def refresh(request: Request, session: SessionDep, body: RefreshIn) -> TokenOut:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    pair = await service.refresh(
        session, token_config(request), refresh_token=body.refresh_token, refresh_ttl_s=_refresh_ttl(request)
    )
    return TokenOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.get("/me", response_model=MeOut, summary="The caller")
async def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    """Who is calling, in which organisation, with which role."""
    user, org = await service.get_me(session, principal)
    return MeOut(
        id=user.id if user else None,
        email=user.email if user else None,
        name=user.name if user else principal.label,
        role=principal.role,
        organisation=OrganisationOut.model_validate(org),
        scopes=sorted(principal.scopes),
    )


@router.get("/organisations", response_model=list[OrganisationOut], summary="Organisation directory")
async def organisations(
    session: SessionDep, _: PrincipalDep, kind: OrgKind | None = None
) -> list[OrganisationOut]:
    """Organisations by kind (e.g. carriers to choose for a leg)."""
    return [OrganisationOut.model_validate(o) for o in await service.list_organisations(session, kind=kind)]


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="The organisation's API keys")
async def api_keys(session: SessionDep, principal: PartnerAdminDep) -> list[ApiKeyOut]:
    """API keys of the caller's organisation, without secrets."""
    return [ApiKeyOut.model_validate(k) for k in await service.list_api_keys(session, principal)]


@router.post(
    "/api-keys",
    response_model=ApiKeyCreatedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
)
async def create_api_key(session: SessionDep, principal: PartnerAdminDep, body: ApiKeyIn) -> ApiKeyCreatedOut:
    """Create a scoped key; its secret is in the answer and never shown again."""
    created = await service.create_api_key(session, principal, name=body.name, scopes=body.scopes)
    return ApiKeyCreatedOut(**ApiKeyOut.model_validate(created.api_key).model_dump(), key=created.key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, summary="Revoke an API key")
async def revoke_api_key(session: SessionDep, principal: PartnerAdminDep, key_id: uuid.UUID) -> ApiKeyOut:
    """Revoke a key; calls with it fail from now on."""
    return ApiKeyOut.model_validate(await service.revoke_api_key(session, principal, key_id))
