"""Loading reference and demo data from seed_data/; safe to run again (it only adds what is missing)."""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core.clock import utcnow
from yidan.gates.demo import seed_gate_demo
from yidan.identity import service as identity
from yidan.identity.models import Organisation, User
from yidan.identity.principal import OrgKind, Principal, Role
from yidan.locations.models import Gate, Location, Terminal
from yidan.tracking.attribution import normalise_plate
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, LegAssignment, Vehicle, VehicleKind
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Classifier, EventType, Mode, WaybillStatus
from yidan.waybills.models import Leg, Waybill
from yidan.waybills.schemas import EventIn, WaybillIn

log = logging.getLogger("yidan.seed")


@dataclass
class SeedReport:
    """What a seed run added."""

    locations: int = 0
    terminals: int = 0
    gates: int = 0
    organisations: int = 0
    users: int = 0
    waybills: int = 0
    gate_appointments: int = 0
    devices: int = 0
    demo_users: list[dict[str, str]] = field(default_factory=list)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _num(value: str) -> float:
    return float(value)


async def seed_reference(session: AsyncSession, seed_dir: Path, report: SeedReport) -> None:
    """Places, terminals and gates (upserted, so corrections in the files reach the database)."""
    locs = _rows(seed_dir / "locations.csv")
    for r in locs:
        values: dict[str, Any] = {
            "unlocode": r["unlocode"],
            "name": r["name"],
            "name_zh": r.get("name_zh") or None,
            "country": r["country"],
            "subdivision": r.get("subdivision") or None,
            "kind": r["kind"],
            "functions": r.get("functions") or None,
            "lat": _num(r["lat"]),
            "lon": _num(r["lon"]),
        }
        await session.execute(
            insert(Location)
            .values(values)
            .on_conflict_do_update(
                index_elements=[Location.unlocode], set_={k: v for k, v in values.items() if k != "unlocode"}
            )
        )
    report.locations = len(locs)
    operators = {}
    ops_file = seed_dir / "terminal_operators.csv"
    if ops_file.exists():
        orgs = {o.name: o.id for o in await session.scalars(select(Organisation))}
        operators = {r["terminal_code"]: orgs.get(r["organisation"]) for r in _rows(ops_file)}
    terms = _rows(seed_dir / "terminals.csv")
    for r in terms:
        values = {
            "code": r["code"],
            "unlocode": r["unlocode"],
            "name": r["name"],
            "name_zh": r.get("name_zh") or None,
            "kind": r["kind"],
            "lat": _num(r["lat"]),
            "lon": _num(r["lon"]),
            "operator_org_id": operators.get(r["code"]),
        }
        await session.execute(
            insert(Terminal)
            .values(values)
            .on_conflict_do_update(
                index_elements=[Terminal.code], set_={k: v for k, v in values.items() if k != "code"}
            )
        )
    report.terminals = len(terms)
    gates = _rows(seed_dir / "gates.csv")
    for r in gates:
        ring = json.loads(r["geofence"])
        values = {
            "code": r["code"],
            "terminal_code": r["terminal_code"],
            "name": r["name"],
            "name_zh": r.get("name_zh") or None,
            "lanes": int(r["lanes"]),
            "geofence": {"type": "Polygon", "coordinates": [ring]},
        }
        await session.execute(
            insert(Gate)
            .values(values)
            .on_conflict_do_update(
                index_elements=[Gate.code], set_={k: v for k, v in values.items() if k != "code"}
            )
        )
    report.gates = len(gates)
    await session.flush()


async def seed_demo_tenants(
    session: AsyncSession, seed_dir: Path, report: SeedReport
) -> dict[str, Organisation]:
    """Demo organisations and users; existing ones are left as they are."""
    by_key: dict[str, Organisation] = {}
    for r in _rows(seed_dir / "demo_organisations.csv"):
        org = await session.scalar(select(Organisation).where(Organisation.name == r["name"]))
        if org is None:
            org = await identity.create_organisation(
                session,
                name=r["name"],
                name_zh=r["name_zh"] or None,
                kind=OrgKind(r["kind"]),
                uscc=r["uscc"] or None,
            )
            report.organisations += 1
        by_key[r["key"]] = org
    names = {o.name: o for o in by_key.values()}
    for r in _rows(seed_dir / "demo_users.csv"):
        report.demo_users.append(r)
        if await session.scalar(select(User.id).where(User.email == r["email"])):
            continue
        org = names[r["organisation"]]
        await identity.create_user(
            session,
            org_id=org.id,
            email=r["email"],
            name=r["email"].split("@")[0].title(),
            role=Role(r["role"]),
            password=r["password"],
        )
        report.users += 1
    return by_key


def _principal(org: Organisation, role: Role) -> Principal:
    return Principal(org_id=org.id, org_kind=org.kind, role=role, label=f"seed:{org.name}", ip="127.0.0.1")


async def seed_demo_waybills(
    session: AsyncSession,
    seed_dir: Path,
    orgs: dict[str, Organisation],
    report: SeedReport,
    file: str = "demo_waybills.json",
) -> None:
    """Demo waybills in every state, replayed through the service rules; skipped if the reference exists."""
    spec = json.loads((seed_dir / file).read_text(encoding="utf-8"))
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    for wb in spec["waybills"]:
        shipper = orgs[wb["shipper"]]
        exists = await session.scalar(
            select(Waybill.id).where(Waybill.org_id == shipper.id, Waybill.reference == wb["reference"])
        )
        if exists:
            continue
        legs: list[dict[str, Any]] = []
        for leg in wb["legs"]:
            legs.append(
                {
                    "mode": leg["mode"],
                    "carrier_id": str(orgs[leg["carrier"]].id),
                    "vehicle": leg.get("vehicle", {}),
                    "from_unlocode": leg["from"],
                    "to_unlocode": leg["to"],
                    "from_address": leg.get("from_address"),
                    "to_address": leg.get("to_address"),
                    "from_terminal": leg.get("from_terminal"),
                    "to_terminal": leg.get("to_terminal"),
                    "planned_departure": (now + timedelta(hours=leg["dep"])).isoformat(),
                    "planned_arrival": (now + timedelta(hours=leg["arr"])).isoformat(),
                }
            )

        def party(p: dict[str, Any] | None) -> dict[str, Any] | None:
            if not p:
                return None
            return {
                "name": p["name"],
                "address": p.get("address"),
                "contact": p.get("contact"),
                "organisation_id": str(orgs[p["org"]].id) if p.get("org") else None,
            }

        data = WaybillIn.model_validate(
            {
                "reference": wb["reference"],
                "consignee": party(wb["consignee"]),
                "notify": party(wb.get("notify")),
                "cargo_lines": wb["cargo_lines"],
                "equipment": wb.get("equipment", []),
                "legs": legs,
            }
        )
        owner = _principal(shipper, Role.SHIPPER)
        waybill = await waybills.create_waybill(session, owner, data)
        for step in wb["progress"]:
            await _replay(session, waybill, step, owner, orgs, wb)
        report.waybills += 1


async def _replay(
    session: AsyncSession,
    waybill: Waybill,
    step: str,
    owner: Principal,
    orgs: dict[str, Organisation],
    wb: dict[str, Any],
) -> None:
    if step == "book":
        booked_at = min(utcnow(), waybill.legs[0].planned_departure - timedelta(days=2))
        await waybills.change_status(session, owner, waybill.number, WaybillStatus.BOOKED, at=booked_at)
    elif step == "cancel":
        await waybills.change_status(
            session, owner, waybill.number, WaybillStatus.CANCELLED, "demo: order withdrawn"
        )
    elif step == "close":
        closed_at = min(utcnow(), (waybill.legs[-1].actual_arrival or utcnow()) + timedelta(days=1))
        await waybills.change_status(session, owner, waybill.number, WaybillStatus.CLOSED, at=closed_at)
    else:
        code, seq_text = step.split()
        seq = int(seq_text)
        leg = waybill.legs[seq - 1]
        carrier = next(o for o in orgs.values() if o.id == leg.carrier_org_id)
        when = leg.planned_departure if code == "DEPA" else leg.planned_arrival
        await waybills.post_event(
            session,
            _principal(carrier, Role.DISPATCHER),
            waybill.number,
            EventIn(
                event_type=EventType.TRANSPORT,
                event_code=code,
                classifier=Classifier.ACT,
                event_time=min(when, utcnow()),
                leg_seq=seq,
            ),
        )


def _demo_leg(waybill: Waybill, kind: DeviceKind, vehicle: str) -> Leg | None:
    for leg in waybill.legs:
        if (
            kind is DeviceKind.JT808
            and leg.mode is Mode.TRUCK
            and leg.truck_plate == normalise_plate(vehicle)
        ):
            return leg
        if kind is DeviceKind.AIS and leg.mode in (Mode.VESSEL, Mode.BARGE) and leg.mmsi == vehicle:
            return leg
        # a train is tracked by an NMEA receiver or by a JT/T 808 container tracker riding on it
        if (
            kind in (DeviceKind.NMEA, DeviceKind.JT808)
            and leg.mode is Mode.RAIL
            and leg.train_number == vehicle
        ):
            return leg
    return None


async def seed_demo_devices(session: AsyncSession, seed_dir: Path, report: SeedReport) -> None:
    """Demo devices on the carriers' vehicles, mounted from 30 days ago and assigned to their legs."""
    path = seed_dir / "demo_devices.csv"
    if not path.exists():
        return
    now = utcnow().replace(microsecond=0)
    for row in _rows(path):
        kind = DeviceKind(row["kind"])
        waybill = await session.scalar(
            select(Waybill).where(Waybill.reference == row["waybill"]).options(selectinload(Waybill.legs))
        )
        leg = _demo_leg(waybill, kind, row["vehicle"]) if waybill else None
        if waybill is None or leg is None:
            log.warning(
                "demo device %s: no leg of %s carried by %s",
                row["identifier"],
                row["waybill"],
                row["vehicle"],
            )
            continue
        if kind is DeviceKind.JT808 and leg.mode is not Mode.RAIL:
            vehicle_kind, reference = VehicleKind.TRUCK, normalise_plate(row["vehicle"]) or row["vehicle"]
        elif kind is DeviceKind.AIS:
            vehicle_kind = VehicleKind.BARGE if leg.mode is Mode.BARGE else VehicleKind.VESSEL
            reference = row["vehicle"]
        else:
            vehicle_kind, reference = VehicleKind.TRAIN, row["vehicle"]
        vehicle = await session.scalar(
            select(Vehicle).where(Vehicle.kind == vehicle_kind, Vehicle.reference == reference)
        )
        if vehicle is None:
            vehicle = Vehicle(
                org_id=leg.carrier_org_id,
                kind=vehicle_kind,
                reference=reference,
                name=leg.vessel_name,
                imo=leg.imo,
            )
            session.add(vehicle)
        device = await session.scalar(
            select(Device).where(Device.kind == kind, Device.identifier == row["identifier"])
        )
        if device is None:
            device = Device(
                org_id=leg.carrier_org_id,
                kind=kind,
                identifier=row["identifier"],
                terminal_id=row["terminal_id"] or None,
                plate=reference if kind is DeviceKind.JT808 else None,
                simulated=row["simulated"].strip().lower() == "true",
            )
            session.add(device)
            report.devices += 1
        await session.flush()
        if not await session.scalar(select(DeviceBinding.id).where(DeviceBinding.device_id == device.id)):
            session.add(
                DeviceBinding(device_id=device.id, vehicle_id=vehicle.id, valid_from=now - timedelta(days=30))
            )
        if not await session.scalar(
            select(LegAssignment.id).where(
                LegAssignment.leg_id == leg.id, LegAssignment.vehicle_id == vehicle.id
            )
        ):
            if leg.actual_arrival is not None:
                start = (leg.actual_departure or leg.planned_departure) - timedelta(hours=12)
                end: datetime | None = leg.actual_arrival + timedelta(hours=1)
            else:
                # the demo vehicle is dedicated to its booking, so the live map shows it on the waybill now
                start, end = min(now, leg.planned_departure) - timedelta(days=30), None
            session.add(LegAssignment(leg_id=leg.id, vehicle_id=vehicle.id, valid_from=start, valid_to=end))
    await session.flush()


async def seed_settlement(session: AsyncSession, seed_dir: Path, orgs: dict[str, Organisation]) -> int:
    """Demo rate cards, accepted quotes and invoices (the settlement domain owns the details)."""
    from yidan.settlement.demo import seed_settlement as seed

    return await seed(session, seed_dir, orgs)


async def seed_gates(
    session: AsyncSession, seed_dir: Path, orgs: dict[str, Organisation], report: SeedReport
) -> None:
    """Demo waybills for the gates, then lanes, slots and appointments with passes at the seeded terminals."""
    if (seed_dir / "demo_gate_waybills.json").exists():
        await seed_demo_waybills(session, seed_dir, orgs, report, file="demo_gate_waybills.json")
    report.gate_appointments += await seed_gate_demo(session, seed_dir, orgs)


async def seed_all(session: AsyncSession, seed_dir: Path, *, demo: bool = True) -> SeedReport:
    """Reference data always; demo tenants and waybills when demo is true."""
    report = SeedReport()
    orgs: dict[str, Organisation] = {}
    if demo:
        orgs = await seed_demo_tenants(session, seed_dir, report)
    await seed_reference(session, seed_dir, report)
    if demo:
        await seed_demo_waybills(session, seed_dir, orgs, report)
        await seed_gates(session, seed_dir, orgs, report)
        await seed_demo_devices(session, seed_dir, report)
        await seed_settlement(session, seed_dir, orgs)
    return report
