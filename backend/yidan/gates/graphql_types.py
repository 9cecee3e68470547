"""GraphQL output types for gates, built from the REST API models so both APIs say the same."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel
from strawberry.scalars import JSON
from strawberry.types.base import get_object_definition

from yidan.gates.models import (
    AppointmentKind,
    AppointmentStatus,
    Direction,
    LaneDirection,
    PassScope,
    ScanResult,
)
from yidan.gates.schemas import AppointmentOut, PassOut, SlotOut, TransactionOut
from yidan.waybills.graphql import PageInfo

G = TypeVar("G")

strawberry.enum(
    AppointmentKind, name="GateAppointmentKind", description="Pick a container up or drop it off."
)
strawberry.enum(AppointmentStatus, name="GateAppointmentStatus", description="Where an appointment is.")
strawberry.enum(Direction, name="GateDirection", description="Which way a truck passes a gate.")
strawberry.enum(LaneDirection, name="GateLaneDirection", description="Which way a lane lets trucks through.")
strawberry.enum(PassScope, name="GatePassScope", description="The directions a pass is good for, each once.")
strawberry.enum(ScanResult, name="GateScanResult", description="The answer to a lane scan.")


def build(cls: type[G], source: BaseModel, **values: Any) -> G:
    """A GraphQL object from an API model: fields of the same name, unless given."""
    names = [f.python_name for f in get_object_definition(cls, strict=True).fields]
    return cls(**{n: values[n] if n in values else getattr(source, n) for n in names})


def gid(value: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


# ---- output ----


@strawberry.type(name="GateLane", description="A lane of a gate.")
class GateLaneType:
    code: str
    direction: LaneDirection
    is_open: bool


@strawberry.type(name="GateSlot", description="A time slot of a gate and how full it is.")
class GateSlotType:
    id: strawberry.ID
    gate_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    available: int

    @classmethod
    def of(cls, s: SlotOut) -> GateSlotType:
        """From the API model."""
        return build(cls, s, id=gid(s.id))


@strawberry.type(name="GatePass", description="A signed gate pass: its token (the QR code) and links.")
class GatePassType:
    id: strawberry.ID
    appointment_id: strawberry.ID
    gate_code: str
    scope: PassScope
    valid_from: datetime
    valid_to: datetime
    truck_plate: str
    container_number: str
    key_id: str
    status: str
    issued_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    token: str
    qr_png_url: str
    qr_svg_url: str
    pdf_url: str
    driver_url: str
    driver_message: str

    @classmethod
    def of(cls, p: PassOut) -> GatePassType:
        """From the API model."""
        return build(cls, p, id=gid(p.id), appointment_id=gid(p.appointment_id))


@strawberry.type(name="GateDriver", description="The driver of an appointment.")
class GateDriverType:
    name: str
    phone: str
    licence: str


@strawberry.type(
    name="GateAppointment", description="A truck booked into a slot for a TRUCK leg's container."
)
class GateAppointmentType:
    id: strawberry.ID
    reference: str
    status: AppointmentStatus
    kind: AppointmentKind
    gate_code: str
    terminal_code: str
    slot: GateSlotType
    waybill_number: str
    leg_seq: int
    truck_plate: str
    driver: GateDriverType
    container_number: str
    dangerous_goods: bool
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    gated_in_at: datetime | None
    gated_out_at: datetime | None
    gate_pass: GatePassType | None

    @classmethod
    def of(cls, a: AppointmentOut) -> GateAppointmentType:
        """From the API model."""
        return build(
            cls,
            a,
            id=gid(a.id),
            slot=GateSlotType.of(a.slot),
            driver=GateDriverType(name=a.driver.name, phone=a.driver.phone, licence=a.driver.licence),
            gate_pass=GatePassType.of(a.gate_pass) if a.gate_pass else None,
        )


@strawberry.type(name="GateReason", description="One reason of a scan's answer, in Chinese and English.")
class GateReasonType:
    code: str
    severity: str = strawberry.field(description="deny, inspect or note")
    en: str
    zh: str


@strawberry.type(name="GateTransaction", description="A stored lane scan or manual override and its answer.")
class GateTransactionType:
    id: strawberry.ID
    gate_code: str
    terminal_code: str
    lane: str
    direction: Direction
    result: ScanResult
    reasons: list[GateReasonType]
    checks: JSON
    scanned_at: datetime
    plate_read: str
    container_read: str | None
    pass_id: strawberry.ID | None
    appointment_id: strawberry.ID | None
    appointment_reference: str | None
    waybill_number: str | None
    actor: str
    override_of: strawberry.ID | None
    override_reason: str | None
    event_ids: list[strawberry.ID]

    @classmethod
    def of(cls, t: TransactionOut) -> GateTransactionType:
        """From the API model."""
        return build(
            cls,
            t,
            id=gid(t.id),
            reasons=[GateReasonType(code=r.code, severity=r.severity, en=r.en, zh=r.zh) for r in t.reasons],
            pass_id=gid(t.pass_id),
            appointment_id=gid(t.appointment_id),
            override_of=gid(t.override_of),
            event_ids=[strawberry.ID(str(e)) for e in t.event_ids],
        )


@strawberry.type(name="GateTransactionEdge", description="A transaction in a connection, with its cursor.")
class GateTransactionEdge:
    cursor: str
    node: GateTransactionType


@strawberry.type(name="GateTransactionConnection", description="A page of gate transactions, newest first.")
class GateTransactionConnection:
    edges: list[GateTransactionEdge]
    page_info: PageInfo


@strawberry.type(name="GateArrivalSlot", description="One slot of a day: booked against arrived.")
class GateArrivalSlotType:
    slot_id: strawberry.ID
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


@strawberry.type(name="GateArrivals", description="Arrivals against slots for one day at a gate.")
class GateArrivalsType:
    gate_code: str
    day: date
    tz: str
    slots: list[GateArrivalSlotType]
    capacity: int
    booked: int
    arrived: int
    no_show: int


@strawberry.type(name="GateDwellItem", description="One truck's time inside the terminal.")
class GateDwellItemType:
    appointment_id: strawberry.ID
    reference: str
    truck_plate: str
    container_number: str
    kind: AppointmentKind
    gated_in_at: datetime
    gated_out_at: datetime | None
    minutes: float | None


@strawberry.type(name="GateDwell", description="Dwell time between gate-in and gate-out over a period.")
class GateDwellType:
    gate_code: str
    period_from: datetime
    period_to: datetime
    completed: int
    inside: int
    average_minutes: float | None
    p50_minutes: float | None
    p90_minutes: float | None
    max_minutes: float | None
    items: list[GateDwellItemType]


@strawberry.type(name="GateDenialReason", description="How often one reason came up.")
class GateDenialReasonType:
    code: str
    severity: str
    en: str
    zh: str
    count: int


@strawberry.type(name="GateDenials", description="Scan answers and their reasons at a gate over a period.")
class GateDenialsType:
    gate_code: str
    period_from: datetime
    period_to: datetime
    scans: int
    admitted: int
    denied: int
    manual_inspection: int
    by_reason: list[GateDenialReasonType]


@strawberry.type(
    name="GatePassKey", description="An Ed25519 public key (JWK) that verifies gate passes offline."
)
class GatePassKeyType:
    kty: str
    crv: str
    alg: str
    use: str
    kid: str
    x: str


# ---- payloads ----


@strawberry.type(name="PublishGateSlotsPayload")
class PublishGateSlotsPayload:
    slots: list[GateSlotType]


@strawberry.type(name="PublishGateLanesPayload")
class PublishGateLanesPayload:
    lanes: list[GateLaneType]


@strawberry.type(name="ChangeGateSlotCapacityPayload")
class ChangeGateSlotCapacityPayload:
    slot: GateSlotType


@strawberry.type(name="GateAppointmentPayload")
class GateAppointmentPayload:
    appointment: GateAppointmentType


@strawberry.type(name="RevokeGatePassPayload")
class RevokeGatePassPayload:
    gate_pass: GatePassType


@strawberry.type(name="GateTransactionPayload")
class GateTransactionPayload:
    transaction: GateTransactionType
