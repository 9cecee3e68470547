"""The one waybill: parties, cargo lines, equipment, the ordered legs of its route, and its events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yidan.core.db import Base, created_at, pg_enum, updated_at, uuid_pk
from yidan.waybills.lifecycle import Classifier, EventType, LegStatus, Mode, WaybillStatus

waybill_serial = Sequence("waybill_serial_seq", start=1)


class Waybill(Base):
    """One electronic waybill for the whole journey; owned by the shipper's organisation."""

    __tablename__ = "waybills"
    __table_args__ = (
        Index("ix_waybills_org_created", "org_id", "created_at", "id"),
        UniqueConstraint("org_id", "reference", name="uq_waybills_org_reference"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[str] = mapped_column(String(16), unique=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    # the shipper's own booking reference; unique per organisation so a retried booking is not doubled
    reference: Mapped[str | None] = mapped_column(String(40))
    consignee_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[WaybillStatus] = mapped_column(pg_enum(WaybillStatus, "waybill_status"), index=True)
    remarks: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    parties: Mapped[list[Party]] = relationship(
        back_populates="waybill", cascade="all, delete-orphan", order_by="Party.role", lazy="raise"
    )
    cargo_lines: Mapped[list[CargoLine]] = relationship(
        back_populates="waybill", cascade="all, delete-orphan", order_by="CargoLine.seq", lazy="raise"
    )
    equipment: Mapped[list[Equipment]] = relationship(
        back_populates="waybill",
        cascade="all, delete-orphan",
        order_by="Equipment.container_number",
        lazy="raise",
    )
    legs: Mapped[list[Leg]] = relationship(
        back_populates="waybill", cascade="all, delete-orphan", order_by="Leg.seq", lazy="raise"
    )


class Party(Base):
    """Shipper, consignee or notify party of a waybill, optionally a tenant of ours."""

    __tablename__ = "waybill_parties"
    __table_args__ = (UniqueConstraint("waybill_id", "role"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    contact: Mapped[str | None] = mapped_column(String(200))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))

    waybill: Mapped[Waybill] = relationship(back_populates="parties", lazy="raise")


class CargoLine(Base):
    """A line of cargo; dangerous goods carry a UN number, class and packing group."""

    __tablename__ = "cargo_lines"
    __table_args__ = (UniqueConstraint("waybill_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    hs_code: Mapped[str | None] = mapped_column(String(12))
    packages: Mapped[int] = mapped_column(Integer)
    package_type: Mapped[str] = mapped_column(String(10))
    gross_weight_kg: Mapped[float] = mapped_column(Float)
    volume_m3: Mapped[float | None] = mapped_column(Float)
    marks: Mapped[str | None] = mapped_column(String(500))
    un_number: Mapped[str | None] = mapped_column(String(6))
    dg_class: Mapped[str | None] = mapped_column(String(4))
    packing_group: Mapped[str | None] = mapped_column(String(3))

    waybill: Mapped[Waybill] = relationship(back_populates="cargo_lines", lazy="raise")


class Equipment(Base):
    """A container on the waybill (ISO 6346 number, size/type code, seals)."""

    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("waybill_id", "container_number"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    container_number: Mapped[str] = mapped_column(String(11), index=True)
    size_type: Mapped[str] = mapped_column(String(4))
    seals: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)

    waybill: Mapped[Waybill] = relationship(back_populates="equipment", lazy="raise")


class Leg(Base):
    """One leg of the route by one mode and carrier, between two places."""

    __tablename__ = "legs"
    __table_args__ = (UniqueConstraint("waybill_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    mode: Mapped[Mode] = mapped_column(pg_enum(Mode, "transport_mode"))
    status: Mapped[LegStatus] = mapped_column(pg_enum(LegStatus, "leg_status"))
    carrier_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    vessel_name: Mapped[str | None] = mapped_column(String(100))
    imo: Mapped[str | None] = mapped_column(String(7))
    mmsi: Mapped[str | None] = mapped_column(String(9), index=True)
    voyage: Mapped[str | None] = mapped_column(String(20))
    train_number: Mapped[str | None] = mapped_column(String(20))
    truck_plate: Mapped[str | None] = mapped_column(String(12), index=True)
    from_unlocode: Mapped[str] = mapped_column(ForeignKey("locations.unlocode"))
    from_terminal: Mapped[str | None] = mapped_column(ForeignKey("terminals.code"))
    from_address: Mapped[str | None] = mapped_column(String(300))
    to_unlocode: Mapped[str] = mapped_column(ForeignKey("locations.unlocode"))
    to_terminal: Mapped[str | None] = mapped_column(ForeignKey("terminals.code"))
    to_address: Mapped[str | None] = mapped_column(String(300))
    planned_departure: Mapped[datetime]
    planned_arrival: Mapped[datetime]
    estimated_departure: Mapped[datetime | None]
    estimated_arrival: Mapped[datetime | None]
    actual_departure: Mapped[datetime | None]
    actual_arrival: Mapped[datetime | None]

    waybill: Mapped[Waybill] = relationship(back_populates="legs", lazy="raise")


class Event(Base):
    """A DCSA Track & Trace event on the waybill; appended, never edited."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_waybill_time", "waybill_id", "event_time", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    # insertion order, to keep events with equal times in the order they were recorded
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"))
    leg_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[EventType] = mapped_column(pg_enum(EventType, "event_type"))
    event_code: Mapped[str] = mapped_column(String(4))
    classifier: Mapped[Classifier] = mapped_column(pg_enum(Classifier, "event_classifier"))
    event_time: Mapped[datetime]
    recorded_at: Mapped[datetime] = created_at()
    unlocode: Mapped[str | None] = mapped_column(ForeignKey("locations.unlocode"))
    terminal_code: Mapped[str | None] = mapped_column(ForeignKey("terminals.code"))
    container_number: Mapped[str | None] = mapped_column(String(11))
    description: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
