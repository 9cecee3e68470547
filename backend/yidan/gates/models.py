"""Gate lanes, time slots, truck appointments, signed gate passes and the gate transactions of lane scans."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from yidan.core.db import Base, created_at, pg_enum, updated_at, uuid_pk


class Direction(StrEnum):
    """Which way a truck passes a gate."""

    IN = "in"
    OUT = "out"


class LaneDirection(StrEnum):
    """Which way a lane lets trucks through."""

    IN = "in"
    OUT = "out"
    BOTH = "both"


class PassScope(StrEnum):
    """The directions a pass is good for, each once."""

    IN = "in"
    OUT = "out"
    IN_OUT = "inout"

    def covers(self, direction: Direction) -> bool:
        """True when the pass may be used in this direction."""
        return self is PassScope.IN_OUT or self.value == direction.value


class AppointmentKind(StrEnum):
    """Why the truck comes: to pick a container up at the terminal or to drop one off there."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"


class AppointmentStatus(StrEnum):
    """Where an appointment is."""

    CONFIRMED = "confirmed"
    ARRIVED = "arrived"  # gated in
    COMPLETED = "completed"  # gated out
    CANCELLED = "cancelled"


class ScanResult(StrEnum):
    """The answer a lane gets for a scan."""

    ADMIT = "admit"
    DENY = "deny"
    MANUAL_INSPECTION = "manual_inspection"


appointment_serial = Sequence("gate_appointment_serial_seq", start=1)


class GateLane(Base):
    """A lane of a gate as its terminal publishes it: which way it runs and whether it is open."""

    __tablename__ = "gate_lanes"
    __table_args__ = (UniqueConstraint("gate_code", "code", name="uq_gate_lanes_gate_code"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    gate_code: Mapped[str] = mapped_column(ForeignKey("gates.code"))
    code: Mapped[str] = mapped_column(String(10))
    direction: Mapped[LaneDirection] = mapped_column(pg_enum(LaneDirection, "gate_lane_direction"))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = updated_at()


class GateSlot(Base):
    """A time window at a gate with a number of truck places; `booked` never passes `capacity`."""

    __tablename__ = "gate_slots"
    __table_args__ = (
        UniqueConstraint("gate_code", "starts_at", name="uq_gate_slots_gate_start"),
        # the database, not the code, is what keeps a full slot full when bookings race
        CheckConstraint("booked >= 0 AND booked <= capacity", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="window"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    gate_code: Mapped[str] = mapped_column(ForeignKey("gates.code"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()


class GateAppointment(Base):
    """A truck booked into a slot to pick up or drop off one container of a waybill's TRUCK leg."""

    __tablename__ = "gate_appointments"
    __table_args__ = (
        Index("ix_gate_appointments_gate_status", "gate_code", "status"),
        # one live appointment per container movement, so a double-submitted booking is not doubled
        Index(
            "uq_gate_appointments_live",
            "leg_id",
            "kind",
            "container_number",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    slot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gate_slots.id"), index=True)
    gate_code: Mapped[str] = mapped_column(ForeignKey("gates.code"))
    terminal_code: Mapped[str] = mapped_column(ForeignKey("terminals.code"), index=True)
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"))
    kind: Mapped[AppointmentKind] = mapped_column(pg_enum(AppointmentKind, "gate_appointment_kind"))
    status: Mapped[AppointmentStatus] = mapped_column(pg_enum(AppointmentStatus, "gate_appointment_status"))
    truck_plate: Mapped[str] = mapped_column(String(12))
    driver_name: Mapped[str] = mapped_column(String(100))
    driver_phone: Mapped[str] = mapped_column(String(20))
    driver_licence: Mapped[str] = mapped_column(String(30))
    container_number: Mapped[str] = mapped_column(String(11))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    gated_in_at: Mapped[datetime | None]
    gated_out_at: Mapped[datetime | None]


class GatePass(Base):
    """A signed pass for one appointment; the token is re-derived from this row (Ed25519 is deterministic)."""

    __tablename__ = "gate_passes"
    __table_args__ = (
        # at most one usable pass per appointment: a new one is issued only after the old one is revoked
        Index(
            "uq_gate_passes_active",
            "appointment_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("gate_appointments.id", ondelete="CASCADE"), index=True
    )
    gate_code: Mapped[str] = mapped_column(ForeignKey("gates.code"))
    scope: Mapped[PassScope] = mapped_column(pg_enum(PassScope, "gate_pass_scope"))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime]
    truck_plate: Mapped[str] = mapped_column(String(12))
    container_number: Mapped[str] = mapped_column(String(11))
    key_id: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = created_at()
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))


class GateTransaction(Base):
    """One lane scan or manual override: who, which lane, when, the answer and every reason; never edited."""

    __tablename__ = "gate_transactions"
    __table_args__ = (
        Index("ix_gate_transactions_gate_time", "gate_code", "scanned_at"),
        # a pass admits once per direction, also when two lanes scan it at the same instant
        Index(
            "uq_gate_transactions_admit",
            "pass_id",
            "direction",
            unique=True,
            postgresql_where=text("result = 'admit'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    gate_code: Mapped[str] = mapped_column(ForeignKey("gates.code"))
    terminal_code: Mapped[str] = mapped_column(ForeignKey("terminals.code"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    lane: Mapped[str] = mapped_column(String(10))
    direction: Mapped[Direction] = mapped_column(pg_enum(Direction, "gate_direction"))
    result: Mapped[ScanResult] = mapped_column(pg_enum(ScanResult, "gate_scan_result"))
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    checks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pass_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gate_passes.id"), index=True)
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("gate_appointments.id", ondelete="SET NULL"), index=True
    )
    waybill_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("waybills.id", ondelete="SET NULL"))
    plate_read: Mapped[str] = mapped_column(String(20))
    container_read: Mapped[str | None] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), index=True)
    scanned_at: Mapped[datetime] = created_at()
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    override_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gate_transactions.id"), unique=True)
    override_reason: Mapped[str | None] = mapped_column(Text)
    event_ids: Mapped[list[str]] = mapped_column(JSONB, default=list)
