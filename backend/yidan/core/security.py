"""Password hashing (argon2), JWT access tokens (RFC 8725 rules), opaque refresh tokens and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yidan.core.clock import utcnow
from yidan.core.errors import Unauthorized

_hasher = PasswordHasher()
# A hash to verify against when the user is unknown, so timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

ACCESS_TYP = "at+jwt"
ALGORITHMS = ["HS256"]


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """True when password matches; spends the same time when there is no hash."""
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hashed: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(hashed)


@dataclass(frozen=True)
class TokenConfig:
    """What access tokens are signed and checked with."""

    secret: str
    issuer: str
    audience: str
    ttl_s: int


def issue_access_token(cfg: TokenConfig, *, subject: str, claims: dict[str, Any]) -> tuple[str, int]:
    """A signed short-lived access token and its lifetime in seconds."""
    now = utcnow()
    payload = {
        **claims,
        "sub": subject,
        "iss": cfg.issuer,
        "aud": cfg.audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=cfg.ttl_s)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(payload, cfg.secret, algorithm=ALGORITHMS[0], headers={"typ": ACCESS_TYP})
    return token, cfg.ttl_s


def decode_access_token(cfg: TokenConfig, token: str) -> dict[str, Any]:
    """Verify an access token: allowed algorithm, signature, typ, iss, aud, exp; else Unauthorized."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("the access token is malformed", code="invalid_token") from exc
    if header.get("alg") not in ALGORITHMS:
        raise Unauthorized(f"token algorithm {header.get('alg')!r} is not allowed", code="invalid_token")
    if header.get("typ") != ACCESS_TYP:
        raise Unauthorized("this token is not an access token", code="invalid_token")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            cfg.secret,
            algorithms=ALGORITHMS,
            audience=cfg.audience,
            issuer=cfg.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired", code="token_expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("the access token is for another audience", code="invalid_token") from exc
    except jwt.InvalidIssuerError as exc:
        raise Unauthorized("the access token has an unknown issuer", code="invalid_token") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the access token is invalid: {exc}", code="invalid_token") from exc
    return claims


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (refresh tokens, API keys): fast to check, useless if leaked."""
    return hashlib.sha256(secret.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    """Compare two strings without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())


def sign(secret: str, message: str, length: int = 16) -> str:
    """A short HMAC-SHA256 tag over message (e.g. the public tracking link key)."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:length]


def expires_at(ttl_s: int) -> datetime:
    """The time ttl_s seconds from now."""
    return utcnow() + timedelta(seconds=ttl_s)
