"""Identity API input and output."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from yidan.identity.principal import OrgKind, Role, Scope


class StrictModel(BaseModel):
    """Input model that rejects unknown fields, so typos are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenOut(BaseModel):
    """An access token and its rotating refresh token."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="access token lifetime in seconds")


class RefreshIn(StrictModel):
    """A refresh token to rotate."""

    refresh_token: str = Field(min_length=10, max_length=4096)


class OrganisationOut(BaseModel):
    """A tenant as others see it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    name_zh: str | None = None
    kind: OrgKind


class MeOut(BaseModel):
    """The caller."""

    id: uuid.UUID | None
    email: str | None
    name: str
    role: Role
    organisation: OrganisationOut
    scopes: list[str] = []


class ApiKeyIn(StrictModel):
    """A new API key's name and scopes."""

    name: str = Field(min_length=1, max_length=120)
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyOut(BaseModel):
    """An API key without its secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    """A new API key with its secret, shown this once."""

    key: str = Field(description="send as X-API-Key; it is shown only now")
