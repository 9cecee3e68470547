"""Tracking API input and output: position batches, positions, devices, vehicles, bindings, assignments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yidan.tracking.models import DeviceKind, VehicleKind
from yidan.waybills.lifecycle import Mode

MAX_BATCH = 5_000


class StrictIn(BaseModel):
    """Base for input: unknown fields are errors, strings are trimmed, NaN and infinity are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class PositionIn(StrictIn):
    """One fix of one device, as a partner system or app reports it."""

    device: str = Field(min_length=1, max_length=20, description="the device identifier")
    fix_time: AwareDatetime = Field(description="when the position was taken, with its UTC offset")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    speed_kmh: float | None = Field(default=None, ge=0, le=2_000)
    course_deg: float | None = Field(default=None, ge=0, le=360)
    altitude_m: float | None = Field(default=None, ge=-1_000, le=100_000)
    satellites: int | None = Field(default=None, ge=0, le=255)


class PositionBatchIn(StrictIn):
    """Up to 5,000 fixes; idempotent on (device, fix_time), so a retried batch stores nothing twice."""

    positions: list[PositionIn] = Field(min_length=1, max_length=MAX_BATCH)


class PositionResultOut(BaseModel):
    """What became of the fix at `index` of the batch."""

    index: int
    device: str
    fix_time: datetime
    status: Literal["stored", "duplicate", "rejected"]
    code: str | None = None
    reason: str | None = None
    flags: list[str] = Field(default_factory=list)


class PositionBatchOut(BaseModel):
    """Counts and one result per submitted fix, in order."""

    stored: int
    duplicates: int
    rejected: int
    results: list[PositionResultOut]


class PositionOut(BaseModel):
    """A stored fix (times in UTC)."""

    fix_time: datetime
    received_at: datetime
    lat: float
    lon: float
    speed_kmh: float | None
    course_deg: float | None
    altitude_m: float | None
    satellites: int | None
    source: str
    flags: list[str]


class PositionPageOut(BaseModel):
    """A device's fixes, oldest first; ask again with `cursor` for the next page."""

    device: str
    items: list[PositionOut]
    next_cursor: str | None


class DeviceIn(StrictIn):
    """A device to provision for the caller's organisation."""

    kind: DeviceKind
    identifier: str = Field(
        min_length=1, max_length=20, description="terminal phone number (jt808), MMSI (ais), or an id"
    )
    terminal_id: str | None = Field(default=None, max_length=30, description="jt808: id it registers with")
    plate: str | None = Field(default=None, max_length=12, description="jt808: plate it registers with")
    simulated: bool = False


class DeviceOut(BaseModel):
    """A device with the vehicle it is on now and its latest position."""

    id: uuid.UUID
    kind: DeviceKind
    identifier: str
    terminal_id: str | None
    plate: str | None
    simulated: bool
    registered_at: datetime | None
    last_seen_at: datetime | None
    vehicle: str | None = Field(default=None, description="reference of the vehicle it is mounted on now")
    latest_fix_time: datetime | None = None
    created_at: datetime


class VehicleIn(StrictIn):
    """A vehicle of the caller's organisation."""

    kind: VehicleKind
    reference: str = Field(
        min_length=1, max_length=20, description="plate (truck), MMSI (vessel, barge) or train number"
    )
    name: str | None = Field(default=None, max_length=100)
    imo: str | None = Field(default=None, max_length=12)


class VehicleOut(BaseModel):
    """A vehicle."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: VehicleKind
    reference: str
    name: str | None
    imo: str | None
    created_at: datetime


class BindingIn(StrictIn):
    """Mount the device on a vehicle from valid_from (until valid_to, or until further notice)."""

    vehicle: str = Field(min_length=1, max_length=20, description="the vehicle's reference (or id)")
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None = None

    @model_validator(mode="after")
    def _interval(self) -> BindingIn:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class BindingOut(BaseModel):
    """A device mounted on a vehicle for an interval."""

    id: uuid.UUID
    device: str
    vehicle: str
    valid_from: datetime
    valid_to: datetime | None


class AssignmentIn(StrictIn):
    """The carrier's vehicle that carries the leg (by default from now, until further notice)."""

    vehicle: str = Field(min_length=1, max_length=20, description="the vehicle's reference (or id)")
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None

    @model_validator(mode="after")
    def _interval(self) -> AssignmentIn:
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        return self


class AssignmentOut(BaseModel):
    """A vehicle carrying a leg for an interval."""

    id: uuid.UUID
    waybill_number: str
    leg_seq: int
    mode: Mode
    vehicle: str
    valid_from: datetime
    valid_to: datetime | None


class LatestOut(BaseModel):
    """The newest plausible fix of one device of the organisation, with its vehicle."""

    device: str
    device_kind: DeviceKind
    vehicle: str | None
    vehicle_kind: VehicleKind | None
    fix_time: datetime
    received_at: datetime
    lat: float
    lon: float
    speed_kmh: float | None
    course_deg: float | None
    altitude_m: float | None
    source: str


class FeatureCollectionOut(BaseModel):
    """GeoJSON (RFC 7946): one Point feature per device, properties as in LatestOut."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[dict[str, Any]]
