"""Demo gates: lanes, slots and appointments with passes at the seeded terminals; safe to run again."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.clock import utcnow
from yidan.gates import appointments
from yidan.gates.models import AppointmentStatus, GateAppointment, GateLane, GateSlot, LaneDirection
from yidan.gates.schemas import AppointmentIn, RescheduleIn
from yidan.identity.models import Organisation
from yidan.identity.principal import Principal, Role
from yidan.locations.models import Gate, Terminal
from yidan.waybills.models import Equipment, Waybill

log = logging.getLogger("yidan.seed")


def _dispatcher(org: Organisation) -> Principal:
    return Principal(
        org_id=org.id, org_kind=org.kind, role=Role.DISPATCHER, label=f"seed:{org.name}", ip="127.0.0.1"
    )


async def _lanes_and_slots(session: AsyncSession, spec: dict[str, Any]) -> dict[str, GateSlot]:
    """Lanes for each demo gate and hourly slots; returns the slot of each gate that starts this hour."""
    cfg = spec["slots"]
    zone = ZoneInfo(cfg["tz"])
    now = utcnow()
    today = now.astimezone(zone).date()
    this_hour = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    for code in spec["gates"]:
        row = (
            await session.execute(
                select(Gate, Terminal)
                .join(Terminal, Terminal.code == Gate.terminal_code)
                .where(Gate.code == code)
            )
        ).first()
        if row is None or row[1].operator_org_id is None:
            log.warning("demo gate %s: unknown gate or its terminal has no operator", code)
            continue
        gate, terminal = row
        half = max(1, gate.lanes // 2)
        for n in range(1, gate.lanes + 1):
            await session.execute(
                insert(GateLane)
                .values(
                    id=uuid.uuid4(),
                    gate_code=code,
                    code=str(n),
                    direction=LaneDirection.IN if n <= half else LaneDirection.OUT,
                    is_open=True,
                )
                .on_conflict_do_nothing(constraint="uq_gate_lanes_gate_code")
            )
        rows = []
        for day in range(cfg["days"]):
            midnight = datetime.combine(today + timedelta(days=day), time.min, zone)
            for hour in range(cfg["first_hour"], cfg["last_hour"]):
                start = midnight + timedelta(hours=hour)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "gate_code": code,
                        "org_id": terminal.operator_org_id,
                        "starts_at": start,
                        "ends_at": start + timedelta(minutes=cfg["minutes"]),
                        "capacity": cfg["capacity"],
                        "booked": 0,
                    }
                )
        await session.execute(
            insert(GateSlot).values(rows).on_conflict_do_nothing(constraint="uq_gate_slots_gate_start")
        )
    await session.flush()
    slots = await session.scalars(
        select(GateSlot).where(GateSlot.gate_code.in_(spec["gates"]), GateSlot.starts_at >= this_hour)
    )
    return {f"{s.gate_code}@{s.starts_at.astimezone(zone):%Y%m%d%H}": s for s in slots}


async def seed_gate_demo(
    session: AsyncSession, seed_dir: Path, orgs: dict[str, Organisation], key_id: str = ""
) -> int:
    """Lanes, slots and appointments for the demo gate waybills; returns how many appointments it added.

    An appointment left unused in a past slot is moved to the current hour, so the demo gate keeps working.
    """
    path = seed_dir / "demo_gate_appointments.json"
    if not path.exists():
        return 0
    spec = json.loads(path.read_text(encoding="utf-8"))
    slots = await _lanes_and_slots(session, spec)
    zone = ZoneInfo(spec["slots"]["tz"])
    this_hour = utcnow().astimezone(zone).replace(minute=0, second=0, microsecond=0)
    added = 0
    for a in spec["appointments"]:
        shipper, dispatcher = orgs[a["shipper"]], orgs[a["dispatcher"]]
        waybill = await session.scalar(
            select(Waybill).where(Waybill.org_id == shipper.id, Waybill.reference == a["waybill"])
        )
        slot = slots.get(f"{a['gate']}@{this_hour + timedelta(hours=a['slot_hour']):%Y%m%d%H}")
        if waybill is None or slot is None:
            log.warning("demo appointment for %s: no waybill or no slot at %s", a["waybill"], a["gate"])
            continue
        principal = _dispatcher(dispatcher)
        existing = await session.scalar(
            select(GateAppointment).where(
                GateAppointment.waybill_id == waybill.id,
                GateAppointment.status != AppointmentStatus.CANCELLED,
            )
        )
        if existing is not None:
            current = await session.get_one(GateSlot, existing.slot_id)
            if existing.status is AppointmentStatus.CONFIRMED and current.ends_at <= utcnow():
                moved = RescheduleIn(slot_id=slot.id, reason="demo: kept current")
                await appointments.reschedule(session, principal, existing.id, moved, key_id)
            continue
        box = await session.scalar(
            select(Equipment.container_number)
            .where(Equipment.waybill_id == waybill.id)
            .order_by(Equipment.container_number)
        )
        data = AppointmentIn.model_validate(
            {
                "waybill_number": waybill.number,
                "leg_seq": a["leg"],
                "kind": a["kind"],
                "slot_id": str(slot.id),
                "truck_plate": a["plate"],
                "driver": a["driver"],
                "container_number": box,
            }
        )
        await appointments.book(session, principal, data, key_id)
        added += 1
    return added
