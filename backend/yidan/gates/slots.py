"""What a terminal publishes for its gates: lanes, and time slots with a capacity that bookings never pass."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, NotFound, field_error
from yidan.gates.access import gate_and_terminal, require_operator
from yidan.gates.models import GateLane, GateSlot
from yidan.gates.schemas import LanesIn, SlotOut, SlotsIn
from yidan.identity.principal import Principal


def zone(tz: str) -> ZoneInfo:
    """A time zone by IANA name; a 422 naming the `tz` field when unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise field_error("tz", f"unknown time zone {tz!r}") from exc


def day_window(day: date | None, tz: str) -> tuple[date, datetime, datetime]:
    """A local day (today when None) and its start and end as UTC instants."""
    local = zone(tz)
    the_day = day or utcnow().astimezone(local).date()
    start = datetime.combine(the_day, time.min, local)
    end = datetime.combine(the_day + timedelta(days=1), time.min, local)
    return the_day, start, end


def slot_out(slot: GateSlot) -> SlotOut:
    """The API view of a slot."""
    return SlotOut(
        id=slot.id,
        gate_code=slot.gate_code,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        capacity=slot.capacity,
        booked=slot.booked,
        available=max(0, slot.capacity - slot.booked),
    )


# ---- lanes ----


async def publish_lanes(
    session: AsyncSession, principal: Principal, gate_code: str, data: LanesIn
) -> list[GateLane]:
    """Create or change lanes of a gate (its terminal's operators only)."""
    gate, terminal = await gate_and_terminal(session, gate_code)
    require_operator(principal, terminal)
    codes = [lane.code.upper() for lane in data.lanes]
    if len(set(codes)) != len(codes):
        raise field_error("lanes", "a lane code is listed twice")
    for lane in data.lanes:
        values = {
            "gate_code": gate.code,
            "code": lane.code.upper(),
            "direction": lane.direction,
            "is_open": lane.is_open,
        }
        await session.execute(
            insert(GateLane)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_update(
                constraint="uq_gate_lanes_gate_code",
                set_={"direction": lane.direction, "is_open": lane.is_open, "updated_at": utcnow()},
            )
        )
    await audit.record(
        session,
        principal,
        action="gate.lanes",
        object_type="gate",
        object_id=gate.code,
        changes={
            "lanes": [f"{lane.code.upper()}:{lane.direction.value}:{lane.is_open}" for lane in data.lanes]
        },
    )
    return await list_lanes(session, gate.code)


async def list_lanes(session: AsyncSession, gate_code: str) -> list[GateLane]:
    """The lanes of a gate, in code order."""
    rows = await session.scalars(
        select(GateLane).where(GateLane.gate_code == gate_code.upper()).order_by(GateLane.code)
    )
    return list(rows)


async def get_lane(session: AsyncSession, gate_code: str, code: str) -> GateLane | None:
    """One lane of a gate."""
    return await session.scalar(
        select(GateLane).where(GateLane.gate_code == gate_code, GateLane.code == code.strip().upper())
    )


# ---- slots ----


async def publish_slots(
    session: AsyncSession, principal: Principal, gate_code: str, data: SlotsIn
) -> list[GateSlot]:
    """Cut a window into slots and publish them; a slot that already starts at the same time is kept as is."""
    gate, terminal = await gate_and_terminal(session, gate_code)
    require_operator(principal, terminal)
    assert terminal.operator_org_id is not None
    step = timedelta(minutes=data.slot_minutes) if data.slot_minutes else data.ends_at - data.starts_at
    starts: list[tuple[datetime, datetime]] = []
    at = data.starts_at
    while at < data.ends_at:
        starts.append((at, min(at + step, data.ends_at)))
        at += step
    if len(starts) > 2000:
        raise field_error("slot_minutes", f"that makes {len(starts)} slots; publish at most 2000 at once")
    rows = [
        {
            "id": uuid.uuid4(),
            "gate_code": gate.code,
            "org_id": terminal.operator_org_id,
            "starts_at": s,
            "ends_at": e,
            "capacity": data.capacity,
            "booked": 0,
            "created_by": principal.user_id,
        }
        for s, e in starts
    ]
    created = list(
        await session.scalars(
            insert(GateSlot)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_gate_slots_gate_start")
            .returning(GateSlot.id)
        )
    )
    await audit.record(
        session,
        principal,
        action="gate.slots",
        object_type="gate",
        object_id=gate.code,
        changes={
            "from": data.starts_at,
            "to": data.ends_at,
            "slot_minutes": data.slot_minutes,
            "capacity": data.capacity,
            "created": len(created),
            "kept": len(rows) - len(created),
        },
    )
    return await list_slots(session, gate.code, data.starts_at, data.ends_at)


async def list_slots(session: AsyncSession, gate_code: str, frm: datetime, to: datetime) -> list[GateSlot]:
    """The slots of a gate that start within [frm, to), in time order."""
    rows = await session.scalars(
        select(GateSlot)
        .where(GateSlot.gate_code == gate_code.upper(), GateSlot.starts_at >= frm, GateSlot.starts_at < to)
        .order_by(GateSlot.starts_at)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def get_slot(session: AsyncSession, slot_id: uuid.UUID) -> GateSlot:
    """A slot by id; 404 when unknown."""
    slot = await session.get(GateSlot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id} not found")
    return slot


async def change_capacity(
    session: AsyncSession, principal: Principal, slot_id: uuid.UUID, capacity: int
) -> GateSlot:
    """Set a slot's capacity; it cannot drop below the places already booked."""
    slot = await get_slot(session, slot_id)
    _, terminal = await gate_and_terminal(session, slot.gate_code)
    require_operator(principal, terminal)
    old = slot.capacity
    # one statement, so a booking racing this change either counts or finds the new capacity
    changed = await session.scalar(
        update(GateSlot)
        .where(GateSlot.id == slot_id, GateSlot.booked <= capacity)
        .values(capacity=capacity)
        .returning(GateSlot.id)
    )
    await session.refresh(slot)
    if changed is None:
        raise Conflict(
            f"slot {slot_id} already has {slot.booked} trucks booked; capacity cannot go below that",
            code="capacity_below_booked",
        )
    await audit.record(
        session,
        principal,
        action="gate.slot.capacity",
        object_type="gate_slot",
        object_id=str(slot.id),
        changes={"capacity": {"from": old, "to": capacity}},
    )
    return slot


async def reserve(session: AsyncSession, slot_id: uuid.UUID) -> bool:
    """Take a place in a slot if one is free: one conditional UPDATE, so racing bookings never overfill."""
    taken = await session.scalar(
        update(GateSlot)
        .where(GateSlot.id == slot_id, GateSlot.booked < GateSlot.capacity)
        .values(booked=GateSlot.booked + 1)
        .returning(GateSlot.id)
    )
    return taken is not None


async def release(session: AsyncSession, slot_id: uuid.UUID) -> None:
    """Give a place back to a slot."""
    await session.execute(
        update(GateSlot).where(GateSlot.id == slot_id, GateSlot.booked > 0).values(booked=GateSlot.booked - 1)
    )
