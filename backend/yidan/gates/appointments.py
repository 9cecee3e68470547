"""Truck appointments: booking a slot for a TRUCK leg's pickup or drop-off, rescheduling and cancelling."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, Forbidden, IllegalTransition, NotFound, field_error
from yidan.gates import passes, slots
from yidan.gates.access import DISPATCHER_ROLES, OPERATOR_ROLES, appointment_visible, gate_and_terminal
from yidan.gates.config import GateConfig
from yidan.gates.models import (
    AppointmentKind,
    AppointmentStatus,
    GateAppointment,
    GatePass,
    GateSlot,
    appointment_serial,
)
from yidan.gates.schemas import AppointmentIn, AppointmentOut, DriverOut, RescheduleIn
from yidan.identity.principal import Principal, Scope
from yidan.locations.models import Gate, Terminal
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Mode, WaybillStatus
from yidan.waybills.models import Leg, Waybill

BOOKABLE = (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT)


@dataclass
class Booking:
    """An appointment with everything its answers and rules need."""

    appointment: GateAppointment
    slot: GateSlot
    waybill: Waybill
    leg: Leg
    gate: Gate
    terminal: Terminal
    gate_pass: GatePass | None


def _require_dispatcher(principal: Principal, orgs: set[uuid.UUID], what: str) -> None:
    if principal.org_id not in orgs:
        raise Forbidden(
            f"{what} is for dispatchers of the leg's trucking company or of the shipper",
            code="not_dispatcher",
        )
    if principal.is_api_key:
        if not principal.allows(Scope.WAYBILLS_WRITE):
            raise Forbidden("this API key lacks the scope waybills:write", code="scope_required")
    elif not principal.has_role(*DISPATCHER_ROLES):
        raise Forbidden(
            f"{what} needs the role dispatcher; you are {principal.role.value}", code="role_required"
        )


def _require_manager(principal: Principal, b: Booking, what: str) -> None:
    """Changing an appointment: dispatchers of whoever booked it, the trucking company or the shipper."""
    operator = b.terminal.operator_org_id == principal.org_id and not principal.is_api_key
    if operator and principal.has_role(*OPERATOR_ROLES):
        return
    _require_dispatcher(principal, {b.appointment.org_id, b.leg.carrier_org_id, b.waybill.org_id}, what)


def _check_place(kind: AppointmentKind, leg: Leg, terminal: Terminal) -> None:
    # a pickup starts the truck leg at the terminal, a drop-off ends it there
    unlocode, term = (
        (leg.from_unlocode, leg.from_terminal)
        if kind is AppointmentKind.PICKUP
        else (leg.to_unlocode, leg.to_terminal)
    )
    end = "begins" if kind is AppointmentKind.PICKUP else "ends"
    if terminal.unlocode != unlocode or (term and term != terminal.code):
        raise field_error(
            "slot_id",
            f"a {kind.value} at {terminal.code} ({terminal.unlocode}) does not fit leg {leg.seq}, "
            f"which {end} at {term or unlocode}",
        )


async def _usable_slot(
    session: AsyncSession, slot_id: uuid.UUID, now: datetime
) -> tuple[GateSlot, Gate, Terminal]:
    slot = await session.get(GateSlot, slot_id)
    if slot is None:
        raise field_error("slot_id", f"slot {slot_id} not found")
    if slot.ends_at <= now:
        raise field_error("slot_id", "that slot is over; choose a later one")
    gate, terminal = await gate_and_terminal(session, slot.gate_code)
    return slot, gate, terminal


async def _take(session: AsyncSession, slot: GateSlot) -> None:
    if not await slots.reserve(session, slot.id):
        raise Conflict(
            f"slot {slot.starts_at:%Y-%m-%d %H:%M}Z at {slot.gate_code} is full ({slot.capacity} trucks)",
            code="slot_full",
        )


async def book(session: AsyncSession, principal: Principal, data: AppointmentIn, key_id: str) -> Booking:
    """Book a slot for a TRUCK leg's container and issue the gate pass; a full slot is a 409 slot_full."""
    waybill = await waybills.get_waybill(session, principal, data.waybill_number)
    if data.leg_seq > len(waybill.legs):
        raise field_error("leg_seq", f"waybill {waybill.number} has {len(waybill.legs)} legs")
    leg = waybill.legs[data.leg_seq - 1]
    if leg.mode is not Mode.TRUCK:
        raise field_error(
            "leg_seq", f"leg {leg.seq} is a {leg.mode.value} leg; gate appointments are for TRUCK legs"
        )
    _require_dispatcher(principal, {leg.carrier_org_id, waybill.org_id}, "booking a gate appointment")
    if waybill.status not in BOOKABLE:
        raise IllegalTransition(
            f"waybill {waybill.number} is {waybill.status.value}; appointments need it booked or in transit",
            code="waybill_not_active",
        )
    if data.container_number not in {e.container_number for e in waybill.equipment}:
        raise field_error(
            "container_number", f"container {data.container_number} is not on waybill {waybill.number}"
        )
    now = utcnow()
    slot, gate, terminal = await _usable_slot(session, data.slot_id, now)
    _check_place(data.kind, leg, terminal)
    await _take(session, slot)
    serial = int(await session.scalar(select(appointment_serial.next_value())) or 0)
    appointment = GateAppointment(
        id=uuid.uuid4(),
        reference=f"GA{now:%y}{serial:07d}",
        org_id=principal.org_id,
        slot_id=slot.id,
        gate_code=gate.code,
        terminal_code=terminal.code,
        waybill_id=waybill.id,
        leg_id=leg.id,
        kind=data.kind,
        status=AppointmentStatus.CONFIRMED,
        truck_plate=data.truck_plate,
        driver_name=data.driver.name,
        driver_phone=data.driver.phone,
        driver_licence=data.driver.licence,
        container_number=data.container_number,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(appointment)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"container {data.container_number} already has a {data.kind.value} appointment on leg {leg.seq}",
            code="appointment_exists",
        ) from exc
    await session.refresh(slot)
    await audit.record(
        session,
        principal,
        action="gate_appointment.book",
        object_type="gate_appointment",
        object_id=appointment.reference,
        changes={
            "waybill": waybill.number,
            "leg": leg.seq,
            "kind": data.kind.value,
            "gate": gate.code,
            "slot": slot.starts_at,
            "plate": data.truck_plate,
            "container": data.container_number,
        },
    )
    gate_pass = await passes.issue(session, principal, appointment, slot, key_id)
    return Booking(appointment, slot, waybill, leg, gate, terminal, gate_pass)


async def load(
    session: AsyncSession, principal: Principal, appointment_id: uuid.UUID, *, lock: bool = False
) -> Booking:
    """An appointment the caller may see, with its slot, waybill, leg, gate and pass; else 404."""
    query = select(GateAppointment).where(
        GateAppointment.id == appointment_id, appointment_visible(principal)
    )
    if lock:
        query = query.with_for_update(of=GateAppointment)
    appointment = await session.scalar(query.execution_options(populate_existing=True))
    if appointment is None:
        raise NotFound(f"appointment {appointment_id} not found")
    return await booking_of(session, appointment)


async def booking_of(session: AsyncSession, appointment: GateAppointment) -> Booking:
    """An appointment with its slot, waybill, leg, gate, terminal and newest pass (no scope check)."""
    slot = await session.get_one(GateSlot, appointment.slot_id, populate_existing=True)
    waybill = await session.get_one(
        Waybill,
        appointment.waybill_id,
        options=[selectinload(Waybill.legs), selectinload(Waybill.cargo_lines)],
        populate_existing=True,
    )
    leg = next(leg for leg in waybill.legs if leg.id == appointment.leg_id)
    gate, terminal = await gate_and_terminal(session, appointment.gate_code)
    current = (await passes.latest_passes(session, [appointment.id])).get(appointment.id)
    return Booking(appointment, slot, waybill, leg, gate, terminal, current)


async def reschedule(
    session: AsyncSession,
    principal: Principal,
    appointment_id: uuid.UUID,
    data: RescheduleIn,
    key_id: str,
) -> Booking:
    """Move an appointment to another slot or change truck or driver; the pass is revoked and reissued."""
    b = await load(session, principal, appointment_id, lock=True)
    _require_manager(principal, b, "rescheduling an appointment")
    a = b.appointment
    if a.status is not AppointmentStatus.CONFIRMED:
        raise IllegalTransition(
            f"appointment {a.reference} is {a.status.value}; only confirmed ones can change"
        )
    now = utcnow()
    changes: dict[str, object] = {}
    slot = b.slot
    if data.slot_id is not None and data.slot_id != a.slot_id:
        new_slot, gate, terminal = await _usable_slot(session, data.slot_id, now)
        if terminal.code != b.terminal.code:
            raise field_error("slot_id", f"the new slot must be at terminal {b.terminal.code}")
        # slots are touched in id order so two reschedules swapping slots cannot deadlock
        if new_slot.id < a.slot_id:
            await _take(session, new_slot)
            await slots.release(session, a.slot_id)
        else:
            await slots.release(session, a.slot_id)
            await _take(session, new_slot)
        changes["slot"] = {"from": b.slot.starts_at, "to": new_slot.starts_at}
        changes["gate"] = {"from": a.gate_code, "to": gate.code}
        a.slot_id, a.gate_code = new_slot.id, gate.code
        slot, b.gate = new_slot, gate
        await session.refresh(b.slot)
        await session.refresh(new_slot)
    if data.truck_plate is not None and data.truck_plate != a.truck_plate:
        changes["plate"] = {"from": a.truck_plate, "to": data.truck_plate}
        a.truck_plate = data.truck_plate
    if data.driver is not None:
        changes["driver"] = {"from": a.driver_name, "to": data.driver.name}
        a.driver_name, a.driver_phone, a.driver_licence = (
            data.driver.name,
            data.driver.phone,
            data.driver.licence,
        )
    if not changes:
        raise field_error("slot_id", "nothing changes: that is the appointment as it stands")
    a.updated_at = now
    changes["reason"] = data.reason
    old = await passes.active_pass(session, a.id, lock=True)
    if old is not None:
        await passes.revoke(
            session, principal, old, f"superseded: appointment {a.reference} changed", now=now
        )
    await audit.record(
        session,
        principal,
        action="gate_appointment.reschedule",
        object_type="gate_appointment",
        object_id=a.reference,
        changes=changes,
    )
    new_pass = await passes.issue(session, principal, a, slot, key_id)
    b.slot, b.gate_pass = slot, new_pass
    return b


async def cancel(
    session: AsyncSession, principal: Principal, appointment_id: uuid.UUID, reason: str
) -> Booking:
    """Cancel an appointment: its place goes back to the slot and its pass is revoked."""
    b = await load(session, principal, appointment_id, lock=True)
    _require_manager(principal, b, "cancelling an appointment")
    a = b.appointment
    if a.status is not AppointmentStatus.CONFIRMED:
        raise IllegalTransition(
            f"appointment {a.reference} is {a.status.value}; only confirmed ones can be cancelled"
        )
    now = utcnow()
    await slots.release(session, a.slot_id)
    await session.refresh(b.slot)
    a.status, a.cancelled_at, a.cancel_reason, a.updated_at = AppointmentStatus.CANCELLED, now, reason, now
    current = await passes.active_pass(session, a.id, lock=True)
    if current is not None:
        await passes.revoke(session, principal, current, f"appointment cancelled: {reason}", now=now)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="gate_appointment.cancel",
        object_type="gate_appointment",
        object_id=a.reference,
        changes={"status": {"from": "confirmed", "to": "cancelled"}, "reason": reason},
    )
    b.gate_pass = current or b.gate_pass
    return b


async def revoke_pass(
    session: AsyncSession, principal: Principal, pass_id: uuid.UUID, reason: str
) -> Booking:
    """Revoke a pass (e.g. a lost phone); the appointment stays and a new pass can be issued."""
    b = await load_by_pass(session, principal, pass_id)
    _require_manager(principal, b, "revoking a gate pass")
    gate_pass = await session.scalar(
        select(GatePass)
        .where(GatePass.id == pass_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert gate_pass is not None
    await passes.revoke(session, principal, gate_pass, reason, now=utcnow())
    b.gate_pass = gate_pass
    return b


async def reissue_pass(
    session: AsyncSession, principal: Principal, appointment_id: uuid.UUID, reason: str, key_id: str
) -> Booking:
    """A fresh pass for a confirmed appointment; a pass still active is revoked first."""
    b = await load(session, principal, appointment_id, lock=True)
    _require_manager(principal, b, "issuing a gate pass")
    if b.appointment.status is not AppointmentStatus.CONFIRMED:
        raise IllegalTransition(f"appointment {b.appointment.reference} is {b.appointment.status.value}")
    old = await passes.active_pass(session, appointment_id, lock=True)
    if old is not None:
        await passes.revoke(session, principal, old, f"reissued: {reason}", now=utcnow())
    b.gate_pass = await passes.issue(session, principal, b.appointment, b.slot, key_id)
    return b


async def load_by_pass(session: AsyncSession, principal: Principal, pass_id: uuid.UUID) -> Booking:
    """The appointment of a pass the caller may see, with that pass; else 404."""
    gate_pass = await session.get(GatePass, pass_id)
    if gate_pass is None:
        raise NotFound(f"gate pass {pass_id} not found")
    try:
        b = await load(session, principal, gate_pass.appointment_id)
    except NotFound:
        raise NotFound(f"gate pass {pass_id} not found") from None
    b.gate_pass = gate_pass
    return b


async def all_passes(session: AsyncSession, appointment_id: uuid.UUID) -> list[GatePass]:
    """Every pass ever issued for an appointment, oldest first."""
    rows = await session.scalars(
        select(GatePass).where(GatePass.appointment_id == appointment_id).order_by(GatePass.issued_at)
    )
    return list(rows)


async def list_appointments(
    session: AsyncSession,
    principal: Principal,
    *,
    gate_code: str | None = None,
    frm: datetime | None = None,
    to: datetime | None = None,
    status: Sequence[AppointmentStatus] = (),
    waybill_number: str | None = None,
    limit: int = 200,
) -> list[Booking]:
    """Appointments the caller may see, by slot time, narrowed by gate, period, status or waybill."""
    query = (
        select(GateAppointment, GateSlot)
        .join(GateSlot, GateSlot.id == GateAppointment.slot_id)
        .where(appointment_visible(principal))
    )
    if gate_code:
        query = query.where(GateAppointment.gate_code == gate_code.strip().upper())
    if frm:
        query = query.where(GateSlot.starts_at >= frm)
    if to:
        query = query.where(GateSlot.starts_at < to)
    if status:
        query = query.where(GateAppointment.status.in_(status))
    if waybill_number:
        # a subquery, not a join: the visibility rule's EXISTS on waybills must stay correlated to its own
        query = query.where(
            GateAppointment.waybill_id.in_(
                select(Waybill.id).where(Waybill.number == waybill_number.strip().upper())
            )
        )
    rows = (
        await session.execute(query.order_by(GateSlot.starts_at, GateAppointment.reference).limit(limit))
    ).all()
    return await _contexts(session, [(a, s) for a, s in rows])


async def _contexts(session: AsyncSession, rows: list[tuple[GateAppointment, GateSlot]]) -> list[Booking]:
    if not rows:
        return []
    waybill_ids = {a.waybill_id for a, _ in rows}
    bills = {
        w.id: w
        for w in await session.scalars(
            select(Waybill)
            .where(Waybill.id.in_(waybill_ids))
            .options(selectinload(Waybill.legs), selectinload(Waybill.cargo_lines))
        )
    }
    gate_codes = {a.gate_code for a, _ in rows}
    gate_rows = (
        await session.execute(
            select(Gate, Terminal)
            .join(Terminal, Terminal.code == Gate.terminal_code)
            .where(Gate.code.in_(gate_codes))
        )
    ).all()
    gates = {g.code: (g, t) for g, t in gate_rows}
    current = await passes.latest_passes(session, [a.id for a, _ in rows])
    out = []
    for a, s in rows:
        w = bills[a.waybill_id]
        leg = next(leg for leg in w.legs if leg.id == a.leg_id)
        g, t = gates[a.gate_code]
        out.append(Booking(a, s, w, leg, g, t, current.get(a.id)))
    return out


def appointment_out(b: Booking, cfg: GateConfig) -> AppointmentOut:
    """The API view of an appointment."""
    a = b.appointment
    return AppointmentOut(
        id=a.id,
        reference=a.reference,
        status=a.status,
        kind=a.kind,
        gate_code=a.gate_code,
        terminal_code=a.terminal_code,
        slot=slots.slot_out(b.slot),
        waybill_number=b.waybill.number,
        leg_seq=b.leg.seq,
        truck_plate=a.truck_plate,
        driver=DriverOut(name=a.driver_name, phone=a.driver_phone, licence=a.driver_licence),
        container_number=a.container_number,
        dangerous_goods=any(c.un_number for c in b.waybill.cargo_lines),
        created_at=a.created_at,
        updated_at=a.updated_at,
        cancelled_at=a.cancelled_at,
        cancel_reason=a.cancel_reason,
        gated_in_at=a.gated_in_at,
        gated_out_at=a.gated_out_at,
        gate_pass=passes.pass_out(b.gate_pass, a, b.gate, cfg) if b.gate_pass else None,
    )
