"""Gate API input and output: lanes, slots, appointments, passes, scans, transactions and reports."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yidan.gates.models import (
    AppointmentKind,
    AppointmentStatus,
    Direction,
    LaneDirection,
    PassScope,
    ScanResult,
)
from yidan.waybills.schemas import ContainerNumber, Plate, StrictIn

_PHONE = re.compile(r"\+?[0-9][0-9 \-]{5,18}[0-9]")
_LICENCE = re.compile(r"[0-9A-Z]{6,30}")


def _phone(value: str) -> str:
    text = value.strip()
    if not _PHONE.fullmatch(text):
        raise ValueError("a phone number is digits, optionally with a leading + and spaces or dashes")
    return re.sub(r"[ \-]", "", text)


def _licence(value: str) -> str:
    text = re.sub(r"[\s\-]", "", value).upper()
    if not _LICENCE.fullmatch(text):
        raise ValueError("a driving licence number is 6 to 30 letters and digits")
    return text


Phone = Annotated[str, AfterValidator(_phone)]
Licence = Annotated[str, AfterValidator(_licence)]


# ---- lanes and slots ----


class LaneIn(StrictIn):
    """A lane of the gate as the terminal publishes it."""

    code: str = Field(min_length=1, max_length=10, pattern=r"^[0-9A-Za-z\-]+$")
    direction: LaneDirection
    is_open: bool = True


class LanesIn(StrictIn):
    """The gate's lanes; lanes not listed are left as they are."""

    lanes: list[LaneIn] = Field(min_length=1, max_length=64)


class LaneOut(BaseModel):
    """A lane of a gate."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    direction: LaneDirection
    is_open: bool


class SlotsIn(StrictIn):
    """Slots to publish: the window cut into pieces of slot_minutes (the whole window when not given)."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    slot_minutes: int | None = Field(default=None, ge=10, le=1440)
    capacity: int = Field(ge=1, le=1000, description="trucks per slot")

    @model_validator(mode="after")
    def _window(self) -> SlotsIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if (self.ends_at - self.starts_at).total_seconds() > 31 * 86400:
            raise ValueError("publish at most 31 days at a time")
        return self


class SlotPatch(StrictIn):
    """A new capacity; it cannot go below the places already booked."""

    capacity: int = Field(ge=0, le=1000)


class SlotOut(BaseModel):
    """A time slot of a gate and how full it is."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    gate_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    available: int


# ---- appointments ----


class DriverIn(StrictIn):
    """The driver: name, mobile phone (the pass link goes there) and driving licence number."""

    name: str = Field(min_length=1, max_length=100)
    phone: Phone
    licence: Licence


class DriverOut(BaseModel):
    """The driver of an appointment."""

    name: str
    phone: str
    licence: str


class AppointmentIn(StrictIn):
    """A truck booked into a slot to pick up or drop off a container of a waybill's TRUCK leg."""

    waybill_number: str = Field(min_length=6, max_length=16)
    leg_seq: int = Field(ge=1, le=12)
    kind: AppointmentKind
    slot_id: uuid.UUID
    truck_plate: Plate
    driver: DriverIn
    container_number: ContainerNumber


class RescheduleIn(StrictIn):
    """Another slot, truck or driver; the old pass is revoked and a new one issued."""

    slot_id: uuid.UUID | None = None
    truck_plate: Plate | None = None
    driver: DriverIn | None = None
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> RescheduleIn:
        if self.slot_id is None and self.truck_plate is None and self.driver is None:
            raise ValueError("give a new slot_id, truck_plate or driver")
        return self


class ReasonIn(StrictIn):
    """Why (recorded in the audit trail)."""

    reason: str = Field(min_length=3, max_length=500)


class PassOut(BaseModel):
    """A gate pass with its token and where to get it as a QR code, a PDF and a driver link."""

    id: uuid.UUID
    appointment_id: uuid.UUID
    gate_code: str
    scope: PassScope
    valid_from: datetime
    valid_to: datetime
    truck_plate: str
    container_number: str
    key_id: str
    status: Literal["active", "revoked"]
    issued_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    token: str
    qr_png_url: str
    qr_svg_url: str
    pdf_url: str
    driver_url: str = Field(description="the link sent to the driver's phone; works without logging in")
    driver_message: str = Field(description="the text message carrying the link, in Chinese and English")


class AppointmentOut(BaseModel):
    """An appointment with its slot and current pass."""

    id: uuid.UUID
    reference: str
    status: AppointmentStatus
    kind: AppointmentKind
    gate_code: str
    terminal_code: str
    slot: SlotOut
    waybill_number: str
    leg_seq: int
    truck_plate: str
    driver: DriverOut
    container_number: str
    dangerous_goods: bool
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    gated_in_at: datetime | None = None
    gated_out_at: datetime | None = None
    gate_pass: PassOut | None = None


# ---- scans and transactions ----


class ScanIn(StrictIn):
    """What a lane read: the pass token from the QR code, the plate and container from its cameras."""

    token: str = Field(min_length=1, max_length=2000)
    plate: str = Field(min_length=1, max_length=20, description="as read by the lane camera")
    container: str | None = Field(default=None, max_length=20, description="as read; empty for no box")
    lane: str = Field(min_length=1, max_length=10)
    direction: Direction


class OverrideIn(StrictIn):
    """A gate operator's decision on a denied or inspected scan, with the reason."""

    decision: Literal["admit", "deny"]
    reason: str = Field(min_length=5, max_length=1000)


class ReasonOut(BaseModel):
    """One reason of a scan's answer, in plain Chinese and English."""

    code: str
    severity: Literal["deny", "inspect", "note"]
    en: str
    zh: str


class TransactionOut(BaseModel):
    """A stored gate transaction: one scan or override and its answer."""

    id: uuid.UUID
    gate_code: str
    terminal_code: str
    lane: str
    direction: Direction
    result: ScanResult
    reasons: list[ReasonOut]
    checks: dict[str, Any]
    scanned_at: datetime
    plate_read: str
    container_read: str | None = None
    pass_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    appointment_reference: str | None = None
    waybill_number: str | None = None
    actor: str
    override_of: uuid.UUID | None = None
    override_reason: str | None = None
    event_ids: list[uuid.UUID] = Field(default_factory=list)


class TransactionPageOut(BaseModel):
    """A page of gate transactions, newest first."""

    items: list[TransactionOut]
    next_cursor: str | None = None


class JwkOut(BaseModel):
    """An Ed25519 public key (RFC 8037)."""

    kty: str
    crv: str
    alg: str
    use: str
    kid: str
    x: str


class PassKeysOut(BaseModel):
    """The keys that verify gate-pass tokens offline, and how the token is laid out."""

    keys: list[JwkOut]
    token_format: str


class RevokedPassOut(BaseModel):
    """A revoked pass, for lanes that keep a local revocation list."""

    id: uuid.UUID
    revoked_at: datetime
    valid_to: datetime


# ---- reports ----


class ArrivalSlotOut(BaseModel):
    """One slot of the day: how many were booked and how many came, early, on time or late."""

    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    arrived: int
    early: int
    on_time: int
    late: int
    no_show: int
    expected: int


class ArrivalsOut(BaseModel):
    """Arrivals against slots for one day at a gate."""

    gate_code: str
    day: date
    tz: str
    slots: list[ArrivalSlotOut]
    capacity: int
    booked: int
    arrived: int
    no_show: int


class DwellItemOut(BaseModel):
    """One truck's time inside the terminal."""

    appointment_id: uuid.UUID
    reference: str
    truck_plate: str
    container_number: str
    kind: AppointmentKind
    gated_in_at: datetime
    gated_out_at: datetime | None
    minutes: float | None


class DwellOut(BaseModel):
    """Dwell time between gate-in and gate-out at a gate, for trucks that came in during the period."""

    gate_code: str
    period_from: datetime
    period_to: datetime
    completed: int
    inside: int
    average_minutes: float | None
    p50_minutes: float | None
    p90_minutes: float | None
    max_minutes: float | None
    items: list[DwellItemOut]


class DenialReasonOut(BaseModel):
    """How often one reason came up."""

    code: str
    severity: str
    en: str
    zh: str
    count: int


class DenialsOut(BaseModel):
    """Scan answers and their reasons at a gate over a period."""

    gate_code: str
    period_from: datetime
    period_to: datetime
    scans: int
    admitted: int
    denied: int
    manual_inspection: int
    by_reason: list[DenialReasonOut]
