"""Tracking devices, vehicles, who carries what when, and the positions they report."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yidan.core.db import Base, created_at, pg_enum, uuid_pk


class DeviceKind(StrEnum):
    """How a device reports."""

    JT808 = "jt808"
    AIS = "ais"
    NMEA = "nmea"
    APP = "app"


class VehicleKind(StrEnum):
    """What carries cargo."""

    TRUCK = "truck"
    VESSEL = "vessel"
    TRAIN = "train"
    BARGE = "barge"


class Vehicle(Base):
    """A truck (plate), vessel (MMSI/IMO), train (number) or barge of a carrier."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("kind", "reference", name="uq_vehicles_kind_reference"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[VehicleKind] = mapped_column(pg_enum(VehicleKind, "vehicle_kind"))
    # plate for a truck, MMSI for a vessel or barge, train number for a train
    reference: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(100))
    imo: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = created_at()


class Device(Base):
    """A position source: JT/T 808 terminal (phone number), AIS transponder (MMSI), receiver or app."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("kind", "identifier", name="uq_devices_kind_identifier"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[DeviceKind] = mapped_column(pg_enum(DeviceKind, "device_kind"))
    identifier: Mapped[str] = mapped_column(String(20), doc="terminal phone number, MMSI or app device id")
    terminal_id: Mapped[str | None] = mapped_column(String(30), doc="JT/T 808 terminal id it registers with")
    plate: Mapped[str | None] = mapped_column(String(12), doc="plate a JT/T 808 terminal registers with")
    auth_code: Mapped[str | None] = mapped_column(String(64))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class DeviceBinding(Base):
    """A device mounted on a vehicle for a time interval (valid_to null: still mounted)."""

    __tablename__ = "device_bindings"
    __table_args__ = (
        Index("ix_device_bindings_device_time", "device_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="interval"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    vehicle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]


class LegAssignment(Base):
    """A vehicle carrying a leg for a time interval; a truck may carry several waybills' legs at once."""

    __tablename__ = "leg_assignments"
    __table_args__ = (
        Index("ix_leg_assignments_vehicle_time", "vehicle_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="interval"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    leg_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vehicles.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]


class TrackingEpoch(Base):
    """One counter that moves with every change that can move a fix's attribution.

    Triggers (migration 0007) add one to it, at commit, in any transaction that changes device bindings,
    vehicles, leg assignments, legs, a waybill's status or a device's identity; position writers keep
    what they looked up for as long as it has not moved.
    """

    __tablename__ = "tracking_epoch"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class Position(Base):
    """A stored fix, one row per device and time; the table is partitioned by fix_time (monthly)."""

    __tablename__ = "positions"
    __table_args__ = (
        PrimaryKeyConstraint("device_id", "fix_time", name="pk_positions"),
        {"postgresql_partition_by": "RANGE (fix_time)"},
    )

    device_id: Mapped[uuid.UUID]
    fix_time: Mapped[datetime]
    received_at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    course_deg: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    satellites: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[int | None] = mapped_column(BigInteger)
    alarms: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(10))
    # validation flags (e.g. impossible_speed): the fix is kept and marked, not dropped
    flags: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any] | None]


class LatestPosition(Base):
    """The newest fix of each device; a late fix never replaces a newer one."""

    __tablename__ = "latest_positions"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    fix_time: Mapped[datetime]
    received_at: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    course_deg: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(10))
