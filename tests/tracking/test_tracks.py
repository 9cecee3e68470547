"""A waybill's track: Douglas-Peucker by zoom, positions per leg by assignment and by MMSI, GeoJSON, tenancy."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from tests.tracking.live_support import (
    NBCT,
    QQCT,
    XIPS,
    Carrier,
    assign,
    book,
    load_trace,
    store_positions,
    stored,
    vehicle,
)

from yidan.identity.principal import Role
from yidan.tracking.models import DeviceKind, VehicleKind
from yidan.tracking.stored import FixFlag
from yidan.tracking.tracks import simplify, tolerance_m

TRACE = load_trace("barefoot_x0001-001.json")


def test_tolerance_is_one_pixel_and_halves_per_zoom_level() -> None:
    assert tolerance_m(None, 30.0) == 0.0
    assert tolerance_m(0, 0.0) == pytest.approx(156_543.03, rel=1e-6)
    assert tolerance_m(15, 0.0) == pytest.approx(4.777, rel=1e-3)
    assert tolerance_m(12, 60.0) == pytest.approx(tolerance_m(12, 0.0) / 2)
    assert tolerance_m(13, 30.0) == pytest.approx(tolerance_m(12, 30.0) / 2)


def test_douglas_peucker_on_lines_and_the_real_trace() -> None:
    straight = [(120.0 + i / 1000, 30.0) for i in range(100)]
    assert simplify(straight, 1.0) == [0, 99]
    corner = [(120.0 + i / 1000, 30.0) for i in range(50)] + [
        (120.049, 30.0 + i / 1000) for i in range(1, 50)
    ]
    assert simplify(corner, 1.0) == [0, 49, 98]
    assert simplify([(1.0, 1.0), (1.0, 1.0), (2.0, 2.0)], 0.0) == [0, 2]  # repeats go at any zoom
    coords = [(p.lon, p.lat) for p in TRACE]
    counts = {z: len(simplify(coords, tolerance_m(z, 48.16))) for z in (10, 13, 16, 19)}
    assert counts[10] < counts[13] < counts[16] < counts[19] <= len(coords)
    assert counts[10] < 40 and counts[19] > 300
    # every dropped point lies within the tolerance of the simplified line
    tol = tolerance_m(13, 48.16)
    kept = simplify(coords, tol)
    for a, b in pairwise(kept):
        for k in range(a + 1, b):
            assert _distance_to_segment_m(coords[k], coords[a], coords[b]) <= tol + 1e-6


def _distance_to_segment_m(p, a, b) -> float:  # type: ignore[no-untyped-def]
    k = math.cos(math.radians(48.16)) * 111_195
    px, py, ax, ay, bx, by = p[0] * k, p[1] * 111_195, a[0] * k, a[1] * 111_195, b[0] * k, b[1] * 111_195
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _replay(carrier: Carrier, legs, start: datetime, points=TRACE):  # type: ignore[no-untyped-def]
    # the real drive, moved in time so that it happens now
    shift = start - points[0].at
    return [stored(carrier, p.at + shift, p.lat, p.lon, legs) for p in points]


async def test_track_per_leg_with_zoom_and_time_range(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=start - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, start - timedelta(minutes=5))
    fixes = _replay(ship, [wb.ref(1)], start)
    fixes.append(
        stored(ship, start + timedelta(hours=1), 48.2, 11.6, [wb.ref(1)], flags=FixFlag.IMPOSSIBLE_SPEED)
    )
    # a fix before the vessel was assigned the leg is not the leg's
    fixes.append(stored(ship, start - timedelta(hours=1), 10.0, 10.0, []))
    await store_positions(sessionmaker, fixes)

    r = await client.get(f"/api/v1/waybills/{wb.number}/track", headers=wb.shipper_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["waybill"] == wb.number
    sea, rail, route = body["features"]
    assert sea["properties"]["kind"] == "track" and sea["properties"]["leg_seq"] == 1
    assert sea["properties"]["mode"] == "VESSEL" and sea["properties"]["vehicles"] == [ship.reference]
    assert sea["properties"]["points"] == len(TRACE)  # the flagged fix and the one before assignment are out
    assert sea["geometry"]["type"] == "LineString"
    assert sea["geometry"]["coordinates"][0] == [TRACE[0].lon, TRACE[0].lat]
    assert sea["geometry"]["coordinates"][-1] == [TRACE[-1].lon, TRACE[-1].lat]
    full = len(sea["geometry"]["coordinates"])
    assert (
        rail["properties"]["leg_seq"] == 2 and rail["geometry"] is None and rail["properties"]["points"] == 0
    )

    assert route["properties"]["kind"] == "planned_route"
    assert route["geometry"]["coordinates"] == [[NBCT[1], NBCT[0]], [QQCT[1], QQCT[0]], [XIPS[1], XIPS[0]]]
    assert route["properties"]["places"] == ["CNNGB", "CNTAO", "CNXAG"]

    sizes = {}
    for zoom in (10, 14, 18):
        r = await client.get(
            f"/api/v1/waybills/{wb.number}/track", params={"zoom": zoom}, headers=wb.shipper_headers
        )
        feature = r.json()["features"][0]
        sizes[zoom] = len(feature["geometry"]["coordinates"])
        assert feature["properties"]["simplified_points"] == sizes[zoom]
    assert sizes[10] < sizes[14] < sizes[18] <= full
    print(
        f"\ntrack of {len(TRACE)} fixes: zoom 10 → {sizes[10]}, 14 → {sizes[14]}, 18 → {sizes[18]} positions"
    )

    mid = start + (TRACE[600].at - TRACE[0].at)
    r = await client.get(
        f"/api/v1/waybills/{wb.number}/track",
        params={"from": mid.isoformat(), "to": (mid + timedelta(minutes=2)).isoformat()},
        headers=wb.shipper_headers,
    )
    sea = r.json()["features"][0]
    assert sea["properties"]["points"] == 120
    assert sea["properties"]["first_fix"].startswith(mid.strftime("%Y-%m-%dT%H:%M:%S"))

    r = await client.get(
        f"/api/v1/waybills/{wb.number}/track",
        params={"from": mid.isoformat(), "to": mid.isoformat()},
        headers=wb.shipper_headers,
    )
    assert r.status_code == 422


async def test_vessel_leg_tracked_by_its_mmsi_without_assignment(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    # an AIS transponder known only by the MMSI named on the leg: no vehicle, no assignment
    async with sessionmaker() as session:
        from yidan.tracking.models import Device

        device = Device(org_id=wb.carrier_org_id, kind=DeviceKind.AIS, identifier=wb.mmsi, simulated=False)
        session.add(device)
        await session.commit()
    ais = Carrier(vehicle_id=None, reference=wb.mmsi, device_id=device.id, identifier=wb.mmsi, source="ais")  # type: ignore[arg-type]
    async with sessionmaker() as session:
        from yidan.waybills.service import record_system_transport_event

        await record_system_transport_event(session, wb.id, wb.legs[1], "DEPA", start, "test")
        await session.commit()
    await store_positions(sessionmaker, _replay(ais, [wb.ref(1)], start, TRACE[:100]))
    r = await client.get(f"/api/v1/waybills/{wb.number}/track", headers=wb.shipper_headers)
    sea = r.json()["features"][0]
    assert sea["properties"]["points"] == 100 and sea["properties"]["devices"] == [wb.mmsi]


async def test_track_tenancy(client, factory) -> None:
    wb = await book(client, factory)
    stranger = await factory.account(Role.SHIPPER)
    r = await client.get(f"/api/v1/waybills/{wb.number}/track", headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert (await client.get(f"/api/v1/waybills/{wb.number}/track")).status_code == 401
    # the carrier of a leg sees the waybill, so it sees the track
    carrier_user = await factory.account(Role.DISPATCHER, org=await _org(factory, wb.carrier_org_id))
    r = await client.get(f"/api/v1/waybills/{wb.number}/track", headers=carrier_user.headers)
    assert r.status_code == 200


async def _org(factory, org_id):  # type: ignore[no-untyped-def]
    from yidan.identity.models import Organisation

    async with factory.maker() as session:
        return await session.get_one(Organisation, org_id)
