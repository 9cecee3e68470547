"""Gate-scan latency: 1,000 lane scans through the scan service on a scratch database; prints p50/p99.

Each scan runs as a request would: its own session and transaction, every check (signature, window,
revocation, single use, plate and container, leg and waybill state, dangerous goods, the truck's latest
fix against the gate geofence), the stored gate transaction, the GTIN event and the commit.

    .venv/bin/python bench/gate_scans.py [--scans 1000] [--admin-url postgresql+psycopg://…/postgres] \
        [--json out.json]

The admin URL defaults to TEST_DATABASE_URL, else PostgreSQL on localhost; a scratch database is created
and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))

from yidan.core.clock import utcnow  # noqa: E402
from yidan.core.db import make_engine, make_sessionmaker  # noqa: E402
from yidan.core.embedded import to_libpq_url  # noqa: E402
from yidan.core.migrate import upgrade  # noqa: E402
from yidan.gates import appointments, passes, scans, slots  # noqa: E402
from yidan.gates.config import config_for  # noqa: E402
from yidan.gates.models import Direction, LaneDirection  # noqa: E402
from yidan.gates.schemas import AppointmentIn, LaneIn, LanesIn, ScanIn, SlotsIn  # noqa: E402
from yidan.identity import service as identity  # noqa: E402
from yidan.identity.principal import OrgKind, Principal, Role  # noqa: E402
from yidan.locations.models import Gate, Terminal  # noqa: E402
from yidan.seed import SeedReport, seed_reference  # noqa: E402
from yidan.settings import Settings  # noqa: E402
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, LatestPosition, Vehicle, VehicleKind  # noqa: E402
from yidan.waybills import service as waybills  # noqa: E402
from yidan.waybills.identifiers import iso6346_check_digit  # noqa: E402
from yidan.waybills.schemas import WaybillIn  # noqa: E402

LON, LAT = 108.94, 34.34
BOXES_PER_WAYBILL = 10


def _box(n: int) -> str:
    digits = f"BNCU{n:06d}"
    return f"{digits}{iso6346_check_digit(digits) % 10}"


def _principal(org_id: uuid.UUID, kind: OrgKind, role: Role) -> Principal:
    return Principal(org_id=org_id, org_kind=kind, role=role, label=f"bench:{role.value}", ip="127.0.0.1")


async def _prepare(maker, settings: Settings, n: int) -> list[ScanIn]:  # type: ignore[no-untyped-def]
    cfg = config_for(settings, "bench-secret")
    now = utcnow()
    async with maker() as session:
        await seed_reference(session, ROOT / "seed_data", SeedReport())
        terminal_org = await identity.create_organisation(
            session, name="Bench Terminal", kind=OrgKind.TERMINAL
        )
        carrier = await identity.create_organisation(session, name="Bench Trucking", kind=OrgKind.CARRIER)
        shipper = await identity.create_organisation(session, name="Bench Shipper", kind=OrgKind.SHIPPER)
        session.add(
            Terminal(
                code="BENCH-T",
                unlocode="CNXIA",
                name="Bench terminal",
                kind="rail_terminal",
                lat=LAT,
                lon=LON,
                operator_org_id=terminal_org.id,
            )
        )
        await session.flush()
        ring = [[LON, LAT], [LON + 0.002, LAT], [LON + 0.002, LAT + 0.002], [LON, LAT + 0.002], [LON, LAT]]
        session.add(
            Gate(
                code="BENCH-G1",
                terminal_code="BENCH-T",
                name="Bench gate",
                lanes=4,
                geofence={"type": "Polygon", "coordinates": [ring]},
            )
        )
        await session.flush()
        operator = _principal(terminal_org.id, OrgKind.TERMINAL, Role.GATE_OPERATOR)
        lanes = [LaneIn(code=str(i), direction=LaneDirection.BOTH) for i in range(1, 5)]
        await slots.publish_lanes(session, operator, "BENCH-G1", LanesIn(lanes=lanes))
        slot = (
            await slots.publish_slots(
                session,
                operator,
                "BENCH-G1",
                SlotsIn(starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=2), capacity=n),
            )
        )[0]
        owner = _principal(shipper.id, OrgKind.SHIPPER, Role.SHIPPER)
        dispatcher = _principal(carrier.id, OrgKind.CARRIER, Role.DISPATCHER)
        out: list[ScanIn] = []
        for w in range((n + BOXES_PER_WAYBILL - 1) // BOXES_PER_WAYBILL):
            boxes = [_box(w * BOXES_PER_WAYBILL + i) for i in range(BOXES_PER_WAYBILL)]
            data = WaybillIn.model_validate(
                {
                    "book": True,
                    "consignee": {"name": "Bench consignee"},
                    "cargo_lines": [{"description": "parts", "packages": 1, "gross_weight_kg": 1000}],
                    "equipment": [{"container_number": b} for b in boxes],
                    "legs": [
                        {
                            "mode": "TRUCK",
                            "carrier_id": str(carrier.id),
                            "from_unlocode": "CNXIA",
                            "to_unlocode": "CNXIA",
                            "to_address": "warehouse",
                            "planned_departure": (now + timedelta(hours=1)).isoformat(),
                            "planned_arrival": (now + timedelta(hours=5)).isoformat(),
                        }
                    ],
                }
            )
            waybill = await waybills.create_waybill(session, owner, data)
            for i, box in enumerate(boxes):
                k = w * BOXES_PER_WAYBILL + i
                if k >= n:
                    break
                plate = f"陕A{k:05d}"
                booking = await appointments.book(
                    session,
                    dispatcher,
                    AppointmentIn.model_validate(
                        {
                            "waybill_number": waybill.number,
                            "leg_seq": 1,
                            "kind": "pickup",
                            "slot_id": str(slot.id),
                            "truck_plate": plate,
                            "driver": {"name": "Bench", "phone": "13800000000", "licence": "BENCH123456"},
                            "container_number": box,
                        }
                    ),
                    cfg.keys.kid,
                )
                vehicle = Vehicle(id=uuid.uuid4(), org_id=carrier.id, kind=VehicleKind.TRUCK, reference=plate)
                device = Device(
                    id=uuid.uuid4(), org_id=carrier.id, kind=DeviceKind.JT808, identifier=f"1{k:011d}"
                )
                session.add_all([vehicle, device])
                await session.flush()
                session.add(
                    DeviceBinding(
                        device_id=device.id, vehicle_id=vehicle.id, valid_from=now - timedelta(days=1)
                    )
                )
                session.add(
                    LatestPosition(
                        device_id=device.id,
                        fix_time=now,
                        received_at=now,
                        lat=LAT + 0.001,
                        lon=LON + 0.001,
                        source="jt808",
                    )
                )
                assert booking.gate_pass is not None
                token = passes.token_for(booking.gate_pass, cfg)
                out.append(
                    ScanIn(
                        token=token, plate=plate, container=None, lane=str(1 + k % 4), direction=Direction.IN
                    )
                )
            await session.flush()
        await session.commit()
        return out, operator  # type: ignore[return-value]


async def _run(url: str, n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as data_dir:
        # the fixes are written once, before the run, so they must stay fresh for all of it
        settings = Settings(database_url=url, data_dir=Path(data_dir), gate_fix_max_age_s=3600)
        engine = make_engine(url, pool_size=4)
        maker = make_sessionmaker(engine)
        t0 = time.perf_counter()
        prepared, operator = await _prepare(maker, settings, n)  # type: ignore[misc]
        print(f"prepared {n} appointments with passes and tracked trucks in {time.perf_counter() - t0:.1f}s")
        cfg = config_for(settings, "bench-secret")
        timings: list[float] = []
        results: dict[str, int] = {}
        for scan in prepared:
            start = time.perf_counter()
            async with maker() as session:
                tx = await scans.scan(session, operator, "BENCH-G1", scan, cfg)
                await session.commit()
            timings.append((time.perf_counter() - start) * 1000)
            results[tx.result.value] = results.get(tx.result.value, 0) + 1
        await engine.dispose()
    timings.sort()
    q = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"scans: {len(timings)}  results: {results}")
    print(f"latency ms: p50 {q[49]:.2f}  p90 {q[89]:.2f}  p99 {q[98]:.2f}  max {timings[-1]:.2f}")
    return {
        "scans": len(timings),
        "results": results,
        "latency_ms_p50": round(q[49], 2),
        "latency_ms_p90": round(q[89], 2),
        "latency_ms_p99": round(q[98], 2),
        "latency_ms_max": round(timings[-1], 2),
    }


def main() -> int:
    """Create a scratch database, run the scans, drop the database."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    name = f"yidan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(to_libpq_url(args.admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = args.admin_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    try:
        upgrade(url)
        result = asyncio.run(_run(url, args.scans))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        with psycopg.connect(to_libpq_url(args.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
