"""Lane scans: verify a pass and everything around it, answer admit / deny / manual inspection, and record it.

Every scan is stored as a gate transaction, whatever its answer. An admit also moves the appointment on,
appends a GTIN or GTOT event to the waybill and, through the waybill service, the TRUCK leg: a drop-off's
gate-in arrives the leg, a pickup's gate-out departs it. A pass admits once per direction; the partial
unique index on (pass, direction) of admits makes that hold when two lanes scan one pass at once.
"""

from __future__ import annotations

import itertools
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, DomainError, Forbidden, NotFound, field_error
from yidan.gates import slots
from yidan.gates.access import OPERATOR_ROLES, gate_and_terminal, is_operator, require_operator
from yidan.gates.appointments import Booking, booking_of
from yidan.gates.config import GateConfig
from yidan.gates.models import (
    AppointmentKind,
    AppointmentStatus,
    Direction,
    GateAppointment,
    GatePass,
    GateSlot,
    GateTransaction,
    LaneDirection,
    PassScope,
    ScanResult,
)
from yidan.gates.reasons import reason, worst
from yidan.gates.schemas import OverrideIn, ScanIn
from yidan.gates.tokens import TokenError, token_digest
from yidan.identity.principal import Principal
from yidan.locations.geo import point_in_polygon
from yidan.locations.models import Gate, Terminal
from yidan.partners import outbox
from yidan.tracking.models import DeviceBinding, LatestPosition, Vehicle, VehicleKind
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Classifier, EventType, LegStatus, WaybillStatus
from yidan.waybills.models import Event, Waybill

_SEPARATORS = re.compile(r"[\s\-·•.]+")
_RESULT = {"deny": ScanResult.DENY, "inspect": ScanResult.MANUAL_INSPECTION}
ACTIVE_FOR = {
    Direction.IN: (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT),
    # a truck already inside must be able to leave, also once the waybill is delivered
    Direction.OUT: (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT, WaybillStatus.DELIVERED),
}


def normalise(text: str | None) -> str:
    """A plate or container number as compared: no separators, upper case."""
    return _SEPARATORS.sub("", text or "").upper()


@dataclass
class Context:
    """What one scan found, kept as plain values so it survives a rolled-back savepoint."""

    gate: Gate
    terminal: Terminal
    now: datetime
    tz: str
    reasons: list[dict[str, str]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)


def _local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def laden(kind: AppointmentKind, direction: Direction) -> bool:
    """Whether the truck carries the container through the gate in this direction."""
    return (kind is AppointmentKind.DROPOFF) == (direction is Direction.IN)


# ---- the scan ----


async def scan(
    session: AsyncSession, principal: Principal, gate_code: str, data: ScanIn, cfg: GateConfig
) -> GateTransaction:
    """Check a scanned pass at a lane and store the answer; only the gate's terminal operator may scan."""
    gate, terminal = await gate_and_terminal(session, gate_code)
    require_operator(principal, terminal, lane_device=True)
    lane = await slots.get_lane(session, gate.code, data.lane)
    if lane is None:
        raise field_error("lane", f"gate {gate.code} has no lane {data.lane}")
    if not lane.is_open:
        raise Conflict(f"lane {lane.code} of gate {gate.code} is closed", code="lane_closed")
    if lane.direction is not LaneDirection.BOTH and lane.direction.value != data.direction.value:
        raise field_error("direction", f"lane {lane.code} is a gate-{lane.direction.value} lane")
    ctx = Context(gate=gate, terminal=terminal, now=utcnow(), tz=cfg.tz)
    tx = GateTransaction(
        id=uuid.uuid4(),
        gate_code=gate.code,
        terminal_code=terminal.code,
        org_id=terminal.operator_org_id,
        lane=lane.code,
        direction=data.direction,
        plate_read=data.plate.strip()[:20],
        container_read=(data.container or "").strip()[:20] or None,
        token_digest=token_digest(data.token),
        scanned_at=ctx.now,
        actor=(principal.label or "?")[:200],
        actor_user_id=principal.user_id,
        actor_api_key_id=principal.api_key_id,
        ip=principal.ip,
        event_ids=[],
    )
    booking = await _check(session, tx, data, ctx, cfg)
    tx.reasons, tx.checks = ctx.reasons, ctx.checks
    tx.result = _RESULT.get(worst(ctx.reasons) or "", ScanResult.ADMIT)
    if tx.result is not ScanResult.ADMIT or booking is None:
        session.add(tx)
        await session.flush()
    else:
        tx = await _admit(session, principal, tx, booking, ctx)
    await outbox.gate_transaction(session, tx)
    return tx


async def _check(
    session: AsyncSession, tx: GateTransaction, data: ScanIn, ctx: Context, cfg: GateConfig
) -> Booking | None:
    """Run every check, adding reasons to ctx; the pass's booking when the token names a real pass."""
    try:
        claims = cfg.keys.verify(data.token)
    except TokenError as exc:
        ctx.reasons.append(reason(exc.code))
        ctx.checks["token"] = exc.detail
        return None
    ctx.checks["token"] = "signature verified"
    ctx.checks["key_id"] = claims.kid
    if claims.gate != ctx.gate.code:
        ctx.reasons.append(reason("wrong_gate", pass_gate=claims.gate))
    b = await _booking(session, claims.pass_id, ctx)
    if b is None:
        ctx.reasons.append(reason("unknown_pass"))
        return None
    gate_pass, appointment = b.gate_pass, b.appointment
    assert gate_pass is not None
    tx.pass_id, tx.appointment_id, tx.waybill_id = gate_pass.id, appointment.id, b.waybill.id
    ctx.checks.update(
        appointment=appointment.reference, waybill=b.waybill.number, kind=appointment.kind.value
    )
    _check_pass(gate_pass, data.direction, ctx, cfg)
    await _check_use(session, b, data.direction, ctx)
    _check_reads(b, data, ctx)
    _check_waybill(b, data.direction, ctx)
    await _check_position(session, gate_pass.truck_plate, ctx, cfg)
    return b


async def _booking(session: AsyncSession, pass_id: uuid.UUID, ctx: Context) -> Booking | None:
    """The scanned pass with its appointment, slot and waybill (legs, cargo) in four queries."""
    row = (
        await session.execute(
            select(GatePass, GateAppointment, GateSlot)
            .join(GateAppointment, GateAppointment.id == GatePass.appointment_id)
            .join(GateSlot, GateSlot.id == GateAppointment.slot_id)
            .where(GatePass.id == pass_id)
        )
    ).first()
    if row is None:
        return None
    gate_pass, appointment, slot = row
    waybill = await session.scalar(
        select(Waybill)
        .where(Waybill.id == appointment.waybill_id)
        .options(selectinload(Waybill.legs), selectinload(Waybill.cargo_lines))
    )
    assert waybill is not None
    leg = next(leg for leg in waybill.legs if leg.id == appointment.leg_id)
    gate, terminal = ctx.gate, ctx.terminal
    if appointment.gate_code != gate.code:
        gate, terminal = await gate_and_terminal(session, appointment.gate_code)
    return Booking(appointment, slot, waybill, leg, gate, terminal, gate_pass)


def _check_pass(gate_pass: GatePass, direction: Direction, ctx: Context, cfg: GateConfig) -> None:
    if gate_pass.revoked_at is not None:
        ctx.reasons.append(reason("revoked", why=gate_pass.revoke_reason or "-"))
    if not gate_pass.scope.covers(direction):
        ctx.reasons.append(reason("wrong_direction", direction=direction.value))
    # the token's window is the row's (it was signed from it); gate-out may follow a long stay inside
    late = cfg.grace if direction is Direction.IN else cfg.max_dwell
    ctx.checks["window"] = {"from": gate_pass.valid_from.isoformat(), "to": gate_pass.valid_to.isoformat()}
    if ctx.now < gate_pass.valid_from - cfg.grace:
        ctx.reasons.append(reason("not_yet_valid", valid_from=_local(gate_pass.valid_from, cfg.tz)))
    elif ctx.now > gate_pass.valid_to + late:
        ctx.reasons.append(reason("expired", valid_to=_local(gate_pass.valid_to + late, cfg.tz)))


async def _check_use(session: AsyncSession, b: Booking, direction: Direction, ctx: Context) -> None:
    assert b.gate_pass is not None
    used_at = await session.scalar(
        select(GateTransaction.scanned_at).where(
            GateTransaction.pass_id == b.gate_pass.id,
            GateTransaction.direction == direction,
            GateTransaction.result == ScanResult.ADMIT,
        )
    )
    a = b.appointment
    if used_at is not None:
        ctx.reasons.append(reason("already_used", direction=direction.value, used_at=_local(used_at, ctx.tz)))
    elif a.status is AppointmentStatus.CANCELLED:
        ctx.reasons.append(reason("appointment_cancelled"))
    elif direction is Direction.OUT and b.gate_pass.scope is PassScope.IN_OUT and a.gated_in_at is None:
        ctx.reasons.append(reason("not_gated_in"))


def _check_reads(b: Booking, data: ScanIn, ctx: Context) -> None:
    assert b.gate_pass is not None
    plate, read = b.gate_pass.truck_plate, normalise(data.plate)
    ctx.checks["plate"] = {"expected": plate, "read": read, "match": read == plate}
    if read != plate:
        ctx.reasons.append(reason("plate_mismatch", plate=plate, plate_read=data.plate.strip()))
    container, box = b.gate_pass.container_number, normalise(data.container)
    expect_box = laden(b.appointment.kind, data.direction)
    ctx.checks["container"] = {"expected": container if expect_box else None, "read": box or None}
    if expect_box and not box:
        ctx.reasons.append(reason("container_not_read", container=container))
    elif expect_box and box != container:
        ctx.reasons.append(reason("container_mismatch", container=container, container_read=box))
    elif not expect_box and box:
        ctx.reasons.append(reason("unexpected_container", container_read=box))


def _check_waybill(b: Booking, direction: Direction, ctx: Context) -> None:
    w, leg, kind = b.waybill, b.leg, b.appointment.kind
    ctx.checks["waybill_status"], ctx.checks["leg_status"] = w.status.value, leg.status.value
    if w.status not in ACTIVE_FOR[direction]:
        ctx.reasons.append(reason("waybill_not_active", waybill=w.number, status=w.status.value))
        return
    if kind is AppointmentKind.PICKUP and direction is Direction.IN:
        prev = w.legs[leg.seq - 2] if leg.seq > 1 else None
        if prev is not None and prev.status is not LegStatus.ARRIVED:
            ctx.reasons.append(reason("container_not_available", seq=prev.seq, status=prev.status.value))
        elif leg.status is not LegStatus.PLANNED:
            ctx.reasons.append(reason("leg_state", status=leg.status.value))
    elif kind is AppointmentKind.PICKUP and leg.status is LegStatus.ARRIVED:
        ctx.reasons.append(reason("leg_state", status=leg.status.value))
    elif kind is AppointmentKind.DROPOFF and direction is Direction.IN and leg.status is LegStatus.PLANNED:
        ctx.reasons.append(reason("leg_not_departed"))
    un_numbers = sorted({c.un_number for c in w.cargo_lines if c.un_number})
    ctx.checks["dangerous_goods"] = un_numbers
    # no register of dangerous-goods approvals exists yet, so every laden DG box is inspected by hand
    if un_numbers and laden(kind, direction):
        ctx.reasons.append(reason("dg_unapproved", un_numbers=", ".join(un_numbers)))


async def _check_position(session: AsyncSession, plate: str, ctx: Context, cfg: GateConfig) -> None:
    """The truck's newest fix from a device bound to it now: inside the gate geofence and recent."""
    now = ctx.now
    devices = (
        select(DeviceBinding.device_id)
        .join(Vehicle, Vehicle.id == DeviceBinding.vehicle_id)
        .where(
            Vehicle.kind == VehicleKind.TRUCK,
            Vehicle.reference == plate,
            DeviceBinding.valid_from <= now,
            or_(DeviceBinding.valid_to.is_(None), DeviceBinding.valid_to > now),
        )
    )
    fix = await session.scalar(
        select(LatestPosition)
        .where(LatestPosition.device_id.in_(devices))
        .order_by(LatestPosition.fix_time.desc())
        .limit(1)
    )
    if fix is None:
        tracked = bool(await session.scalar(select(exists(devices))))
        ctx.checks["position"] = {"tracked": tracked}
        required = tracked or cfg.position_required
        ctx.reasons.append(reason("position_unknown" if required else "position_untracked"))
        return
    ring = [(float(x), float(y)) for x, y in ctx.gate.geofence["coordinates"][0]]
    inside = point_in_polygon(fix.lon, fix.lat, ring)
    distance = 0.0 if inside else distance_to_ring_m(fix.lon, fix.lat, ring)
    age = (now - fix.fix_time).total_seconds()
    ctx.checks["position"] = {
        "tracked": True,
        "device_id": str(fix.device_id),
        "fix_time": fix.fix_time.isoformat(),
        "age_s": round(age),
        "lat": fix.lat,
        "lon": fix.lon,
        "inside": inside,
        "distance_m": round(distance, 1),
    }
    if age > cfg.fix_max_age.total_seconds():
        ctx.reasons.append(reason("position_stale", age_s=round(age)))
    elif distance > cfg.geofence_tolerance_m:
        ctx.reasons.append(reason("position_outside_geofence", distance_m=round(distance)))


def distance_to_ring_m(lon: float, lat: float, ring: list[tuple[float, float]]) -> float:
    """Metres from a point to the nearest edge of a small ring (local equirectangular projection)."""
    kx = math.cos(math.radians(lat)) * 111_320.0
    ky = 110_574.0
    best = math.inf
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        ax, ay = (x1 - lon) * kx, (y1 - lat) * ky
        bx, by = (x2 - lon) * kx, (y2 - lat) * ky
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        best = min(best, math.hypot(ax + t * dx, ay + t * dy))
    return best


# ---- admitting ----


async def claim(session: AsyncSession, tx: GateTransaction) -> bool:
    """Insert an admit unless the pass already admitted in that direction; waits for a racing admit to settle.

    ON CONFLICT on the partial unique index makes the second of two simultaneous scans find the first one's
    row once it commits, and insert nothing.
    """
    values = {c.key: getattr(tx, c.key) for c in GateTransaction.__table__.columns if c.key != "seq"}
    inserted = await session.scalar(
        insert(GateTransaction)
        .values(values)
        .on_conflict_do_nothing(index_elements=["pass_id", "direction"], index_where=text("result = 'admit'"))
        .returning(GateTransaction.id)
    )
    return inserted is not None


async def _admit(
    session: AsyncSession, principal: Principal | None, tx: GateTransaction, b: Booking, ctx: Context
) -> GateTransaction:
    """Store an admit and its effects; a concurrent admit of the same pass and direction makes this a deny."""
    if await claim(session, tx):
        await apply_admit(session, principal, tx, b, ctx)
        return tx
    # the other scan committed its admit first: this one is a replay
    used_at = await session.scalar(
        select(GateTransaction.scanned_at).where(
            GateTransaction.pass_id == tx.pass_id,
            GateTransaction.direction == tx.direction,
            GateTransaction.result == ScanResult.ADMIT,
        )
    )
    tx.result = ScanResult.DENY
    tx.reasons = [
        *tx.reasons,
        reason("already_used", direction=tx.direction.value, used_at=_local(used_at or ctx.now, ctx.tz)),
    ]
    session.add(tx)
    await session.flush()
    return tx


async def apply_admit(
    session: AsyncSession, principal: Principal | None, tx: GateTransaction, b: Booking, ctx: Context
) -> None:
    """An admit's effects (tx is already stored): the appointment moves on, the waybill gets GTIN/GTOT."""
    a = b.appointment
    is_laden = laden(a.kind, tx.direction)
    checks = {
        **tx.checks,
        "waybill": b.waybill.number,
        "appointment": a.reference,
        "container": a.container_number,
        "laden": is_laden,
    }
    reasons = list(tx.reasons)
    try:
        event_ids, notes = await _waybill_events(session, principal, tx, b, is_laden, ctx)
    except DomainError as exc:
        # the gate has decided; a waybill that cannot take the event is noted, not a reason to hold the truck
        event_ids, notes = [], [exc.detail]
    reasons += [reason("leg_not_moved", why=note) for note in notes]
    if tx.direction is Direction.IN:
        a.status, a.gated_in_at = AppointmentStatus.ARRIVED, ctx.now
    else:
        a.status, a.gated_out_at = AppointmentStatus.COMPLETED, ctx.now
    a.updated_at = ctx.now
    tx.reasons, tx.checks, tx.event_ids = reasons, checks, event_ids
    await session.execute(
        update(GateTransaction)
        .where(GateTransaction.id == tx.id)
        .values(reasons=reasons, checks=checks, event_ids=event_ids)
    )
    await session.flush()


async def _waybill_events(
    session: AsyncSession,
    principal: Principal | None,
    tx: GateTransaction,
    b: Booking,
    is_laden: bool,
    ctx: Context,
) -> tuple[list[str], list[str]]:
    """GTIN/GTOT on the waybill and the TRUCK leg's move; the event ids and what could not be recorded."""
    a, w, leg, terminal = b.appointment, b.waybill, b.leg, ctx.terminal
    if w.status not in ACTIVE_FOR[tx.direction]:
        raise Conflict(f"waybill {w.number} is {w.status.value}")
    code = "GTIN" if tx.direction is Direction.IN else "GTOT"
    payload: dict[str, object] = {
        "gate": tx.gate_code,
        "lane": tx.lane,
        "pass_id": str(tx.pass_id),
        "appointment": a.reference,
        "transaction_id": str(tx.id),
        "truck_plate": a.truck_plate,
        "empty_indicator": "LADEN" if is_laden else "EMPTY",
    }
    way = "in" if tx.direction is Direction.IN else "out"
    load = "laden" if is_laden else "empty, for the container"
    description = (
        f"Gate {way} at {tx.gate_code} lane {tx.lane}: truck {a.truck_plate} {load} ({a.kind.value})"
    )
    ids: list[str] = []
    notes: list[str] = []
    number, leg_id, waybill_id = w.number, leg.id, w.id

    async def transport(code: str) -> None:
        # in its own savepoint: a leg that cannot move leaves the gate event and the admit standing
        try:
            async with session.begin_nested():
                event = await waybills.record_system_transport_event(
                    session,
                    waybill_id,
                    leg_id,
                    code,
                    ctx.now,
                    "gate",
                    description=description,
                    payload=payload,
                )
        except DomainError as exc:
            notes.append(exc.detail)
            return
        if event is not None:
            ids.append(str(event.id))

    if tx.direction is Direction.IN and a.kind is AppointmentKind.DROPOFF:
        await transport("ARRI")
    event = Event(
        id=uuid.uuid4(),
        waybill_id=waybill_id,
        leg_id=leg_id,
        event_type=EventType.EQUIPMENT,
        event_code=code,
        classifier=Classifier.ACT,
        event_time=ctx.now,
        unlocode=terminal.unlocode,
        terminal_code=terminal.code,
        container_number=a.container_number,
        description=description,
        source="gate",
        org_id=terminal.operator_org_id,
        payload=payload,
    )
    session.add(event)
    await outbox.waybill_event(session, w, event)
    ids.append(str(event.id))
    if tx.direction is Direction.OUT and a.kind is AppointmentKind.PICKUP:
        await session.flush()  # the GTOT comes before the departure in the timeline
        await transport("DEPA")
    await audit.record(
        session,
        principal,
        action="event.post",
        object_type="waybill",
        object_id=number,
        changes={"event": f"ACT {code}", "source": "gate", "gate": tx.gate_code, "transaction": str(tx.id)},
    )
    return ids, notes


# ---- manual override ----


async def override(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID, data: OverrideIn, cfg: GateConfig
) -> GateTransaction:
    """A gate operator's decision on a denied or inspected scan; recorded as a new transaction and audited."""
    original = await session.scalar(
        select(GateTransaction).where(GateTransaction.id == transaction_id).with_for_update()
    )
    if original is None or original.org_id != principal.org_id:
        raise NotFound(f"gate transaction {transaction_id} not found")
    gate, terminal = await gate_and_terminal(session, original.gate_code)
    require_operator(principal, terminal)
    if (
        principal.is_api_key
        or not principal.has_role(*OPERATOR_ROLES)
        or not is_operator(principal, terminal)
    ):
        raise Forbidden("a manual override is made by a gate operator in person", code="role_required")
    if original.override_of_id is not None or original.result is ScanResult.ADMIT:
        raise Conflict("only a denied or inspected scan can be overridden", code="not_overridable")
    if data.decision == "deny" and original.result is ScanResult.DENY:
        raise Conflict("this scan is already denied", code="not_overridable")
    if await session.scalar(select(exists().where(GateTransaction.override_of_id == original.id))):
        raise Conflict("this scan has already been decided by an operator", code="already_overridden")
    ctx = Context(gate=gate, terminal=terminal, now=utcnow(), tz=cfg.tz)
    decided = GateTransaction(
        id=uuid.uuid4(),
        gate_code=original.gate_code,
        terminal_code=original.terminal_code,
        org_id=original.org_id,
        lane=original.lane,
        direction=original.direction,
        result=ScanResult.ADMIT if data.decision == "admit" else ScanResult.DENY,
        reasons=[reason("manual_override", reason=data.reason)],
        checks={"override_of": str(original.id), "original_result": original.result.value},
        pass_id=original.pass_id,
        appointment_id=original.appointment_id,
        waybill_id=original.waybill_id,
        plate_read=original.plate_read,
        container_read=original.container_read,
        token_digest=original.token_digest,
        scanned_at=ctx.now,
        actor=(principal.label or "?")[:200],
        actor_user_id=principal.user_id,
        actor_api_key_id=None,
        ip=principal.ip,
        override_of_id=original.id,
        override_reason=data.reason,
        event_ids=[],
    )
    await audit.record(
        session,
        principal,
        action="gate_transaction.override",
        object_type="gate_transaction",
        object_id=str(original.id),
        changes={
            "result": {"from": original.result.value, "to": decided.result.value},
            "reason": data.reason,
            "transaction": str(decided.id),
        },
    )
    if decided.result is ScanResult.DENY:
        session.add(decided)
        await session.flush()
        await outbox.gate_transaction(session, decided)
        return decided
    if original.appointment_id is None:
        raise Conflict("the scan carried no valid pass; scan the pass again", code="no_pass")
    appointment = await session.get_one(GateAppointment, original.appointment_id)
    if appointment.status is AppointmentStatus.CANCELLED:
        raise Conflict(f"appointment {appointment.reference} is cancelled", code="appointment_cancelled")
    b = await booking_of(session, appointment)
    if not await claim(session, decided):
        raise Conflict("this pass has already admitted a truck in that direction", code="already_used")
    await apply_admit(session, principal, decided, b, ctx)
    await outbox.gate_transaction(session, decided)
    return decided
