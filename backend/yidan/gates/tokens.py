"""Gate-pass tokens: compact JWS (EdDSA over Ed25519) that a lane can verify offline with the published key.

A token is ``header.claims.signature`` in base64url, as in RFC 7515 compact serialisation, so any JOSE
library verifies it with the JWK from ``GET /api/v1/gates/pass-keys``. The claims are kept short because
the token is what the QR code carries: ``jti`` (pass id, 16 bytes base64url), ``gt`` (gate code), ``dr``
(directions: in, out or inout), ``nbf``/``exp`` (validity window, Unix seconds), ``pl`` (plate) and ``cn``
(container number).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from yidan.gates.models import PassScope

ALGORITHM = "EdDSA"
MAX_TOKEN_LENGTH = 2000


class TokenError(Exception):
    """A token that is not one of ours: malformed, or its signature does not verify."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PassClaims:
    """What a gate pass says about itself."""

    pass_id: uuid.UUID
    gate: str
    scope: PassScope
    valid_from: datetime
    valid_to: datetime
    plate: str
    container: str
    kid: str = ""


def b64encode(raw: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """Unpadded base64url to bytes; ValueError when it is not."""
    if not text or any(c not in _B64_ALPHABET for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _json(obj: dict[str, Any]) -> bytes:
    # UTF-8 rather than \u escapes: a Chinese plate costs 3 bytes instead of 6 in the QR code
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class KeyRing:
    """The signing key and the public keys a token may name (today one; older ones stay after a rotation)."""

    private: Ed25519PrivateKey
    kid: str
    public: dict[str, Ed25519PublicKey]

    def sign(self, claims: PassClaims) -> str:
        """The compact signed token for claims."""
        header = b64encode(_json({"alg": ALGORITHM, "kid": self.kid}))
        body = b64encode(
            _json(
                {
                    "jti": b64encode(claims.pass_id.bytes),
                    "gt": claims.gate,
                    "dr": claims.scope.value,
                    "nbf": _epoch(claims.valid_from),
                    "exp": _epoch(claims.valid_to),
                    "pl": claims.plate,
                    "cn": claims.container,
                }
            )
        )
        signing_input = f"{header}.{body}".encode("ascii")
        return f"{header}.{body}.{b64encode(self.private.sign(signing_input))}"

    def verify(self, token: str) -> PassClaims:
        """The claims of a token whose signature verifies; TokenError otherwise."""
        token = token.strip()
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenError("malformed_token", "the token is too long to be a gate pass")
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("malformed_token", "a gate pass token has three dot-separated parts")
        try:
            header = json.loads(b64decode(parts[0]))
            signature = b64decode(parts[2])
        except ValueError as exc:
            raise TokenError("malformed_token", "the token is not base64url JSON") from exc
        if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
            raise TokenError("malformed_token", "the token is not signed with EdDSA")
        key = self.public.get(str(header.get("kid")))
        if key is None:
            raise TokenError("invalid_signature", "the token names a signing key that is not ours")
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
        except (InvalidSignature, UnicodeEncodeError) as exc:
            raise TokenError("invalid_signature", "the signature does not match the token") from exc
        try:
            body = json.loads(b64decode(parts[1]))
            return PassClaims(
                pass_id=uuid.UUID(bytes=b64decode(str(body["jti"]))),
                gate=str(body["gt"]),
                scope=PassScope(body["dr"]),
                valid_from=datetime.fromtimestamp(int(body["nbf"]), UTC),
                valid_to=datetime.fromtimestamp(int(body["exp"]), UTC),
                plate=str(body["pl"]),
                container=str(body["cn"]),
                kid=str(header["kid"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            # signed by us but unreadable: only a bug or a retired format gets here
            raise TokenError("malformed_token", "the token's claims cannot be read") from exc

    def jwks(self) -> list[dict[str, str]]:
        """The public keys as JWKs (RFC 8037 OKP), for lanes that verify offline."""
        return [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": ALGORITHM,
                "use": "sig",
                "kid": kid,
                "x": b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)),
            }
            for kid, key in self.public.items()
        ]


def key_id(public: Ed25519PublicKey) -> str:
    """A short stable name for a public key (the first 8 bytes of its SHA-256, base64url)."""
    return b64encode(hashlib.sha256(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).digest()[:8])


@functools.lru_cache(maxsize=8)
def keyring(seed: str) -> KeyRing:
    """The key ring for a base64url Ed25519 seed of 32 bytes."""
    try:
        raw = b64decode(seed.strip())
    except ValueError as exc:
        raise ValueError("the gate-pass signing key must be 32 bytes in base64url") from exc
    if len(raw) != 32:
        raise ValueError(f"the gate-pass signing key must be 32 bytes, got {len(raw)}")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public = private.public_key()
    kid = key_id(public)
    return KeyRing(private=private, kid=kid, public={kid: public})


def token_digest(token: str) -> str:
    """The SHA-256 of a scanned token, to find repeated scans without storing the token."""
    return hashlib.sha256(token.strip().encode("utf-8", "replace")).hexdigest()
