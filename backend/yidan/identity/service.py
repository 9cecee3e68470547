"""Identity rules: log-in, token rotation, API keys, principals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, Forbidden, NotFound, Unauthorized, field_error
from yidan.core.security import (
    TokenConfig,
    decode_access_token,
    digest,
    expires_at,
    hash_password,
    issue_access_token,
    new_secret,
    password_needs_rehash,
    verify_password,
)
from yidan.identity.models import ApiKey, Organisation, RefreshToken, User
from yidan.identity.principal import OrgKind, Principal, Role, Scope

API_KEY_PREFIX = "yd_"


@dataclass(frozen=True)
class TokenPair:
    """What the token endpoints return."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class CreatedApiKey:
    """A new API key: the secret is in `key` and is never shown again."""

    api_key: ApiKey
    key: str


async def create_organisation(
    session: AsyncSession, *, name: str, kind: OrgKind, name_zh: str | None = None, uscc: str | None = None
) -> Organisation:
    """Create a tenant."""
    existing = await session.scalar(select(Organisation).where(Organisation.name == name))
    if existing:
        raise Conflict(f"an organisation named {name!r} exists", code="organisation_exists")
    org = Organisation(name=name, kind=kind, name_zh=name_zh, uscc=uscc)
    session.add(org)
    await session.flush()
    return org


async def create_user(
    session: AsyncSession, *, org_id: uuid.UUID, email: str, name: str, role: Role, password: str
) -> User:
    """Create a user in an organisation with a hashed password."""
    email = email.strip().lower()
    if len(password) < 8:
        raise field_error("password", "must be at least 8 characters")
    if await session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with e-mail {email} exists", code="user_exists")
    user = User(org_id=org_id, email=email, name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    await session.flush()
    return user


async def _issue_pair(
    session: AsyncSession,
    cfg: TokenConfig,
    user: User,
    org: Organisation,
    family_id: uuid.UUID,
    refresh_ttl_s: int,
) -> TokenPair:
    access, ttl = issue_access_token(
        cfg, subject=str(user.id), claims={"org": str(org.id), "okd": org.kind.value, "role": user.role.value}
    )
    refresh = new_secret(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_digest=digest(refresh),
            expires_at=expires_at(refresh_ttl_s),
        )
    )
    await session.flush()
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl)


async def login(
    session: AsyncSession,
    cfg: TokenConfig,
    *,
    email: str,
    password: str,
    refresh_ttl_s: int,
    ip: str | None = None,
) -> TokenPair:
    """Check e-mail and password and start a new refresh-token family."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if (
        not verify_password(password, user.password_hash if user else None)
        or user is None
        or not user.is_active
    ):
        raise Unauthorized("wrong e-mail or password", code="invalid_credentials")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    org = await session.get_one(Organisation, user.org_id)
    principal = principal_for_user(user, org, ip=ip)
    await audit.record(session, principal, action="login", object_type="user", object_id=str(user.id))
    return await _issue_pair(session, cfg, user, org, uuid.uuid4(), refresh_ttl_s)


async def refresh(
    session: AsyncSession, cfg: TokenConfig, *, refresh_token: str, refresh_ttl_s: int
) -> TokenPair:
    """Rotate a refresh token; reuse of a spent one revokes its whole family (it was stolen or replayed)."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_digest == digest(refresh_token)).with_for_update()
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("the refresh token is invalid or expired", code="invalid_refresh_token")
    if row.used_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await session.commit()  # the revocation must stand although the request fails
        raise Unauthorized(
            "the refresh token was already used; please log in again", code="refresh_token_reused"
        )
    row.used_at = now
    user = await session.get_one(User, row.user_id)
    if not user.is_active:
        raise Unauthorized("the account is disabled", code="account_disabled")
    org = await session.get_one(Organisation, user.org_id)
    return await _issue_pair(session, cfg, user, org, row.family_id, refresh_ttl_s)


def principal_for_user(
    user: User, org: Organisation, *, ip: str | None = None, user_agent: str | None = None
) -> Principal:
    """The principal of a logged-in user."""
    return Principal(
        org_id=org.id,
        org_kind=org.kind,
        role=user.role,
        user_id=user.id,
        label=user.email,
        ip=ip,
        user_agent=user_agent,
    )


async def principal_from_token(
    session: AsyncSession, cfg: TokenConfig, token: str, *, ip: str | None, user_agent: str | None
) -> Principal:
    """Resolve a bearer access token to its principal (the user must still be active)."""
    claims = decode_access_token(cfg, token)
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise Unauthorized("the access token has a bad subject", code="invalid_token") from exc
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized("the account no longer exists or is disabled", code="invalid_token")
    org = await session.get_one(Organisation, user.org_id)
    return principal_for_user(user, org, ip=ip, user_agent=user_agent)


async def create_api_key(
    session: AsyncSession, principal: Principal, *, name: str, scopes: list[Scope]
) -> CreatedApiKey:
    """Create a scoped API key for the caller's organisation; only partner admins and admins may."""
    if principal.is_api_key or not principal.has_role(Role.PARTNER_ADMIN):
        raise Forbidden("only partner admins may create API keys", code="role_required")
    if not scopes:
        raise field_error("scopes", "give at least one scope")
    prefix = new_secret(6)[:8].replace("-", "x").replace("_", "x")
    secret = new_secret(32)
    key = ApiKey(
        org_id=principal.org_id,
        name=name,
        prefix=prefix,
        key_digest=digest(secret),
        scopes=sorted({s.value for s in scopes}),
        created_by=principal.user_id,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="api_key.create",
        object_type="api_key",
        object_id=str(key.id),
        changes={"name": name, "scopes": key.scopes},
    )
    return CreatedApiKey(api_key=key, key=f"{API_KEY_PREFIX}{prefix}_{secret}")


async def list_api_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    """The API keys of the caller's organisation (never their secrets)."""
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.org_id == principal.org_id).order_by(ApiKey.created_at.desc())
    )
    return list(rows)


async def revoke_api_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of the organisation's keys; it stops working at once."""
    if principal.is_api_key or not principal.has_role(Role.PARTNER_ADMIN):
        raise Forbidden("only partner admins may revoke API keys", code="role_required")
    key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.org_id == principal.org_id))
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await audit.record(
            session, principal, action="api_key.revoke", object_type="api_key", object_id=str(key.id)
        )
    return key


async def principal_from_api_key(
    session: AsyncSession, presented: str, *, ip: str | None, user_agent: str | None
) -> Principal:
    """Resolve an X-API-Key to its principal and note when it was last used."""
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or f"{parts[0]}_" != API_KEY_PREFIX:
        raise Unauthorized("the API key is malformed", code="invalid_api_key")
    key = await session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.key_digest != digest(parts[2]):
        raise Unauthorized("the API key is not valid", code="invalid_api_key")
    if key.revoked_at is not None:
        raise Unauthorized("the API key has been revoked", code="api_key_revoked")
    org = await session.get_one(Organisation, key.org_id)
    now = utcnow()
    # a minute's precision is enough, and spares a write on every call of a busy partner
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        key.last_used_at = now
    return Principal(
        org_id=org.id,
        org_kind=org.kind,
        role=Role.PARTNER_ADMIN,
        api_key_id=key.id,
        label=f"api-key:{key.name}",
        scopes=frozenset(key.scopes),
        ip=ip,
        user_agent=user_agent,
    )


async def get_me(session: AsyncSession, principal: Principal) -> tuple[User | None, Organisation]:
    """The caller's user (None for an API key) and organisation."""
    org = await session.get_one(Organisation, principal.org_id)
    user = await session.get(User, principal.user_id) if principal.user_id else None
    return user, org


async def list_organisations(session: AsyncSession, *, kind: OrgKind | None = None) -> list[Organisation]:
    """The directory of organisations (names and kinds are shared so shippers can choose carriers)."""
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(await session.scalars(query))
