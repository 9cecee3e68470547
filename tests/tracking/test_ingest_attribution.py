"""Fixes are attributed to the vehicle a device was mounted on and the legs that vehicle carried."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from tests.tracking.ingest_support import (
    Maker,
    bind,
    fix,
    make_device,
    make_vehicle,
    mmsi,
    now,
    plate,
    tracked_waybill_body,
)

from yidan.identity.principal import OrgKind, Role
from yidan.tracking.models import DeviceKind, Vehicle, VehicleKind
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.stored import StoredFix


class Collector:
    """A CommitListener that keeps what it is given."""

    def __init__(self) -> None:
        self.stored: list[StoredFix] = []

    async def __call__(self, stored: Sequence[StoredFix]) -> None:
        self.stored.extend(stored)

    async def of(self, device_id: uuid.UUID, count: int = 1) -> list[StoredFix]:
        for _ in range(500):
            mine = [s for s in self.stored if s.device_id == device_id]
            if len(mine) >= count:
                return mine
            await asyncio.sleep(0.01)
        raise AssertionError("listener not called")


@pytest.fixture
async def tracked(sessionmaker: Maker) -> AsyncIterator[tuple[Pipeline, Collector]]:
    pipeline = Pipeline(sessionmaker, batch_ms=5)
    collector = Collector()
    pipeline.add_listener(collector)
    await pipeline.start()
    yield pipeline, collector
    await pipeline.stop()


@pytest.fixture
async def parties(factory):  # type: ignore[no-untyped-def]
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    dispatcher = await factory.account(Role.DISPATCHER, org=carrier)
    return shipper, carrier, dispatcher


async def _waybill(client, shipper, carrier, **kw) -> dict:  # type: ignore[no-untyped-def]
    r = await client.post(
        "/api/v1/waybills", json=tracked_waybill_body([carrier.id], **kw), headers=shipper.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_truck_carrying_two_waybills_attributes_one_fix_to_both(
    client, parties, sessionmaker: Maker, tracked
) -> None:  # type: ignore[no-untyped-def]
    pipeline, collector = tracked
    shipper, carrier, dispatcher = parties
    start = now() + timedelta(days=2)
    a = await _waybill(client, shipper, carrier, truck_plate=plate(), vessel_mmsi=mmsi(), start=start)
    b = await _waybill(client, shipper, carrier, truck_plate=plate(), vessel_mmsi=mmsi(), start=start)
    truck = await make_vehicle(sessionmaker, carrier.id, VehicleKind.TRUCK)
    device = await make_device(sessionmaker, carrier.id)
    await bind(sessionmaker, device, truck, now() - timedelta(days=1))
    assigned_from = now() - timedelta(hours=1)
    for wb in (a, b):
        r = await client.post(
            f"/api/v1/waybills/{wb['number']}/legs/3/assignments",
            json={"vehicle": truck.reference, "valid_from": assigned_from.isoformat()},
            headers=dispatcher.headers,
        )
        assert r.status_code == 201, r.text
    before = fix(device, assigned_from - timedelta(minutes=5), 34.3, 108.9)
    during = fix(device, now() - timedelta(minutes=1), 34.34, 108.94)
    await pipeline.submit([before, during])
    first, second = sorted(await collector.of(device.id, 2), key=lambda s: s.fix.fix_time)
    assert first.vehicle_id == truck.id and first.legs == ()
    assert second.vehicle_id == truck.id
    assert sorted(r.waybill_number for r in second.legs) == sorted([a["number"], b["number"]])
    assert {(r.leg_seq, r.mode) for r in second.legs} == {(3, "TRUCK")}
    assert len({r.waybill_id for r in second.legs}) == 2 and len({r.leg_id for r in second.legs}) == 2


async def test_an_ais_vessel_is_attributed_by_mmsi_without_assignment(
    client, parties, sessionmaker: Maker, tracked
) -> None:  # type: ignore[no-untyped-def]
    pipeline, collector = tracked
    shipper, carrier, _ = parties
    vessel = mmsi()
    sailing = await _waybill(
        client, shipper, carrier, truck_plate=plate(), vessel_mmsi=vessel, start=now() - timedelta(hours=2)
    )
    await _waybill(
        client, shipper, carrier, truck_plate=plate(), vessel_mmsi=vessel, start=now(), book=False
    )  # a draft naming the same vessel is not tracked
    transponder = await make_device(sessionmaker, carrier.id, DeviceKind.AIS, vessel)
    await pipeline.submit([fix(vessel, now() - timedelta(seconds=30), 30.5, 122.5, source="ais")])
    (stored,) = await collector.of(transponder.id)
    assert stored.vehicle_id is None
    assert [(r.waybill_number, r.leg_seq, r.mode) for r in stored.legs] == [(sailing["number"], 1, "VESSEL")]
    # long after the leg's planned arrival (plus slack) the vessel is no longer taken to carry it
    await pipeline.submit([fix(vessel, now() - timedelta(days=20), 30.5, 122.5, source="ais")])
    old = sorted(await collector.of(transponder.id, 2), key=lambda s: s.fix.fix_time)[0]
    assert old.legs == ()


async def test_a_truck_leg_is_attributed_by_plate_without_assignment(
    client, parties, sessionmaker: Maker, tracked
) -> None:  # type: ignore[no-untyped-def]
    pipeline, collector = tracked
    shipper, carrier, _ = parties
    truck_plate = plate()
    wb = await _waybill(
        client,
        shipper,
        carrier,
        truck_plate=truck_plate,
        vessel_mmsi=mmsi(),
        start=now() - timedelta(hours=97),
    )
    truck = await make_vehicle(sessionmaker, carrier.id, VehicleKind.TRUCK, truck_plate)
    device = await make_device(sessionmaker, carrier.id)
    await bind(sessionmaker, device, truck, now() - timedelta(days=1))
    await pipeline.submit([fix(device, now() - timedelta(seconds=10), 34.3, 108.9)])
    (stored,) = await collector.of(device.id)
    assert [(r.waybill_number, r.leg_seq) for r in stored.legs] == [(wb["number"], 3)]
    # an unbound terminal counts as on the truck whose plate it registered with
    loose = await make_device(sessionmaker, carrier.id, device_plate=f"{truck_plate[:2]}·{truck_plate[2:]}")
    await pipeline.submit([fix(loose, now() - timedelta(seconds=10), 34.3, 108.9)])
    (unbound,) = await collector.of(loose.id)
    assert unbound.vehicle_id is None and [r.leg_seq for r in unbound.legs] == [3]


async def test_a_remounted_device_follows_its_new_vehicle(
    client, parties, sessionmaker: Maker, tracked
) -> None:  # type: ignore[no-untyped-def]
    pipeline, collector = tracked
    _, carrier, dispatcher = parties
    old_truck = await make_vehicle(sessionmaker, carrier.id)
    new_truck = await make_vehicle(sessionmaker, carrier.id)
    device = await make_device(sessionmaker, carrier.id)
    switch = now() - timedelta(hours=1)
    for truck, since in ((old_truck, switch - timedelta(days=3)), (new_truck, switch)):
        r = await client.post(
            f"/api/v1/tracking/devices/{device.identifier}/bindings",
            json={"vehicle": truck.reference, "valid_from": since.isoformat()},
            headers=dispatcher.headers,
        )
        assert r.status_code == 201, r.text
    await pipeline.submit(
        [fix(device, switch - timedelta(minutes=1)), fix(device, switch + timedelta(minutes=1))]
    )
    before, after = sorted(await collector.of(device.id, 2), key=lambda s: s.fix.fix_time)
    assert (before.vehicle_id, after.vehicle_id) == (old_truck.id, new_truck.id)


async def test_what_a_batch_looked_up_is_reused_until_a_change_that_could_move_it(
    client, parties, sessionmaker: Maker, tracked
) -> None:  # type: ignore[no-untyped-def]
    pipeline, collector = tracked
    shipper, carrier, _ = parties
    truck_plate = plate()
    truck = await make_vehicle(sessionmaker, carrier.id, VehicleKind.TRUCK, truck_plate)
    device = await make_device(sessionmaker, carrier.id)
    await bind(sessionmaker, device, truck, now() - timedelta(days=1))
    t = now() - timedelta(minutes=10)

    async def latest_after(seconds: int, count: int) -> StoredFix:
        await pipeline.submit([fix(device, t + timedelta(seconds=seconds))])
        return max(await collector.of(device.id, count), key=lambda s: s.fix.fix_time)

    first = await latest_after(0, 1)
    assert first.vehicle_id == truck.id and first.legs == ()
    loads = pipeline.attributor.loads
    await latest_after(30, 2)
    assert pipeline.attributor.loads == loads, "nothing changed: the second batch is answered from memory"
    # a booking naming the truck's plate, committed by the API, is seen by the very next batch
    wb = await _waybill(
        client,
        shipper,
        carrier,
        truck_plate=truck_plate,
        vessel_mmsi=mmsi(),
        start=now() - timedelta(hours=97),
    )
    third = await latest_after(60, 3)
    assert [(r.waybill_number, r.leg_seq) for r in third.legs] == [(wb["number"], 3)]
    assert pipeline.attributor.loads > loads
    # cancelling the booking takes the leg away again
    r = await client.post(
        f"/api/v1/waybills/{wb['number']}/status", json={"status": "cancelled"}, headers=shipper.headers
    )
    assert r.status_code == 200, r.text
    assert (await latest_after(90, 4)).legs == ()
    # and a device mounted on another truck follows it at once
    other = await make_vehicle(sessionmaker, carrier.id)
    await bind(sessionmaker, device, other, t + timedelta(seconds=100))
    assert (await latest_after(120, 5)).vehicle_id == other.id


async def test_the_tracking_epoch_moves_once_per_transaction_and_only_for_what_matters(
    sessionmaker: Maker, factory
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    carrier = await factory.org(OrgKind.CARRIER)

    async def epoch() -> int:
        async with sessionmaker() as session:
            return int((await session.execute(text("SELECT n FROM tracking_epoch"))).scalar_one())

    before = await epoch()
    async with sessionmaker() as session:
        for _ in range(3):
            session.add(Vehicle(org_id=carrier.id, kind=VehicleKind.TRUCK, reference=plate()))
        await session.flush()
        assert await epoch() == before, "not before the commit"
        await session.commit()
    assert await epoch() == before + 1
    device = await make_device(sessionmaker, carrier.id)
    assert await epoch() == before + 2
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE devices SET last_seen_at = now() WHERE id = :id"), {"id": device.id}
        )
        await session.commit()
    assert await epoch() == before + 2, "a device seen again changes no attribution"
    async with sessionmaker() as session:
        await session.execute(text("UPDATE devices SET plate = '陕A12345' WHERE id = :id"), {"id": device.id})
        await session.rollback()
    assert await epoch() == before + 2, "a rolled back change moves nothing"
