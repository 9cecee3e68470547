"""Opaque keyset cursors (created_at, id) for REST pages and Relay connections."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

from yidan.core.errors import field_error


def encode_cursor(created: datetime, ident: uuid.UUID) -> str:
    """An opaque cursor that points just after (created, ident)."""
    raw = json.dumps([created.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "cursor") -> tuple[datetime, uuid.UUID]:
    """The position a cursor points at; a clear error names the field when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created), uuid.UUID(ident)
    except (ValueError, TypeError) as exc:
        raise field_error(field, "not a valid cursor (use the value returned by the previous page)") from exc
