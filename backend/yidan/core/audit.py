"""The audit trail: who did what to which object, when, and from where."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from yidan.core.db import Base, created_at

if TYPE_CHECKING:
    from yidan.identity.principal import Principal


class AuditEntry(Base):
    """One recorded change; never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id", "at"),)

    # a sequence, not a UUID, so entries written in one transaction keep their order
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = created_at()
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


async def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: str,
    object_type: str,
    object_id: str,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction."""
    entry = AuditEntry(
        org_id=principal.org_id if principal else None,
        actor_user_id=principal.user_id if principal else None,
        actor_api_key_id=principal.api_key_id if principal else None,
        actor=(principal.label if principal else "system")[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=principal.ip if principal else None,
        user_agent=(principal.user_agent or "")[:300] if principal else None,
        changes=_jsonable(changes or {}),
    )
    session.add(entry)
    return entry


async def trail(session: AsyncSession, object_type: str, object_id: str) -> list[AuditEntry]:
    """The audit entries of one object, oldest first."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)
    )
    return list(rows)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
