"""The seeded demo devices: provisioned, mounted, assigned to their demo legs, and idempotent."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from tests.conftest import SEED_DIR
from tests.test_seed import fresh_db  # noqa: F401  (the fixture: a separate, empty, migrated database)
from tests.tracking.ingest_support import fix

from yidan.seed import seed_all
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, LegAssignment, Vehicle, VehicleKind
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.stored import StoredFix


def test_demo_devices_file_has_the_agreed_columns() -> None:
    with (SEED_DIR / "demo_devices.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames == ["kind", "identifier", "terminal_id", "vehicle", "waybill", "simulated"]
    assert {r["kind"] for r in rows} >= {"jt808", "ais"}
    assert any(r["kind"] == "jt808" and r["simulated"] == "false" for r in rows)
    for r in rows:
        assert r["simulated"] in ("true", "false") and r["waybill"].startswith("DEMO-")
        if r["kind"] == "jt808":
            assert r["identifier"].isdigit() and r["terminal_id"] and r["vehicle"]
        if r["kind"] == "ais":
            assert r["identifier"] == r["vehicle"] and len(r["identifier"]) == 9


async def test_seeded_devices_are_bound_assigned_and_idempotent(fresh_db) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    async with fresh_db() as session:
        first = await seed_all(session, SEED_DIR)
        await session.commit()
    with (SEED_DIR / "demo_devices.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert first.devices == len(rows)
    async with fresh_db() as session:
        second = await seed_all(session, SEED_DIR)
        await session.commit()
    assert second.devices == 0

    async with fresh_db() as session:
        devices = {(d.kind, d.identifier): d for d in await session.scalars(select(Device))}
        terminal = devices[(DeviceKind.JT808, "13800000001")]
        assert (terminal.terminal_id, terminal.plate, terminal.simulated) == ("YD00001", "陕AD2345", True)
        assert devices[(DeviceKind.JT808, "13800000002")].simulated is False
        truck = await session.scalar(
            select(Vehicle).where(Vehicle.kind == VehicleKind.TRUCK, Vehicle.reference == "陕AD2345")
        )
        vessel = await session.scalar(
            select(Vehicle).where(Vehicle.kind == VehicleKind.VESSEL, Vehicle.reference == "413000001")
        )
        assert truck is not None and vessel is not None
        assert truck.org_id == terminal.org_id  # the truck leg's carrier owns both
        bindings = await session.scalar(select(func.count()).select_from(DeviceBinding))
        assignments = await session.scalar(select(func.count()).select_from(LegAssignment))
        assert bindings == len(rows) and assignments == len(rows)

    seen: list[StoredFix] = []

    async def collect(stored: Sequence[StoredFix]) -> None:
        seen.extend(stored)

    pipeline = Pipeline(fresh_db, batch_ms=2)
    pipeline.add_listener(collect)
    await pipeline.start()
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        report = await pipeline.submit(
            [
                fix("13800000001", now - timedelta(seconds=5), 34.27, 108.95),
                fix("413000001", now - timedelta(hours=20), 33.0, 122.8, source="ais"),
            ]
        )
        assert report.stored == 2
        for _ in range(200):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.01)
    finally:
        await pipeline.stop()
    by_device = {s.device_identifier: s for s in seen}
    truck_fix, vessel_fix = by_device["13800000001"], by_device["413000001"]
    assert [(r.mode, r.leg_seq) for r in truck_fix.legs] == [("TRUCK", 3)]
    assert [(r.mode, r.leg_seq) for r in vessel_fix.legs] == [("VESSEL", 1)]
    assert truck_fix.legs[0].waybill_id == vessel_fix.legs[0].waybill_id  # both DEMO-NGB-XIA-01
