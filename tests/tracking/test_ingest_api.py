"""The tracking REST API: the HTTP batch endpoint, position queries, devices, vehicles, bindings, assignments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.tracking.ingest_support import (
    Maker,
    count_rows,
    make_device,
    mmsi,
    now,
    phone,
    plate,
    tracked_waybill_body,
)

from yidan.identity.principal import OrgKind, Role
from yidan.tracking.models import Device, DeviceKind

URL = "/api/v1/tracking/positions"


@pytest.fixture
async def fleet(factory, client):  # type: ignore[no-untyped-def]
    """A carrier with a dispatcher, a partner admin and an API key with tracking:write."""
    carrier = await factory.org(OrgKind.CARRIER)
    dispatcher = await factory.account(Role.DISPATCHER, org=carrier)
    admin = await factory.account(Role.PARTNER_ADMIN, org=carrier)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "tms", "scopes": ["tracking:write"]}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return carrier, dispatcher, admin, {"X-API-Key": r.json()["key"]}


def _item(device: Device | str, minutes_ago: float, lat: float = 29.87, lon: float = 121.55, **kw) -> dict:  # type: ignore[no-untyped-def]
    ident = device if isinstance(device, str) else device.identifier
    t = now() - timedelta(minutes=minutes_ago)
    return {"device": ident, "fix_time": t.isoformat(), "lat": lat, "lon": lon, **kw}


async def test_batch_stores_with_per_item_results_and_is_idempotent(
    client, fleet, sessionmaker: Maker
) -> None:  # type: ignore[no-untyped-def]
    carrier, _, _, key = fleet
    device = await make_device(sessionmaker, carrier.id, DeviceKind.APP, f"app-{phone()}")
    batch = [
        _item(device, 3, speed_kmh=30, course_deg=180, altitude_m=5, satellites=12),
        _item(device, 2),
        _item(device, -60),  # an hour in the future
        _item("no-such-device", 1),
    ]
    r = await client.post(URL, json={"positions": batch}, headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["stored"], body["duplicates"], body["rejected"]) == (2, 0, 2)
    assert [(x["index"], x["status"], x["code"]) for x in body["results"]] == [
        (0, "stored", None),
        (1, "stored", None),
        (2, "rejected", "future_fix"),
        (3, "rejected", "unknown_device"),
    ]
    assert "not a device of your organisation" in body["results"][3]["reason"]
    again = (await client.post(URL, json={"positions": batch}, headers=key)).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    assert await count_rows(sessionmaker, device.id) == 2


async def test_who_may_report(client, factory, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, admin, _ = fleet
    device = await make_device(sessionmaker, carrier.id)
    body = {"positions": [_item(device, 1)]}
    assert (await client.post(URL, json=body)).status_code == 401
    assert (await client.post(URL, json=body, headers={"X-API-Key": "yd_bad_key"})).status_code == 401
    r = await client.post(
        "/api/v1/api-keys", json={"name": "ro", "scopes": ["waybills:read"]}, headers=admin.headers
    )
    weak = {"X-API-Key": r.json()["key"]}
    r = await client.post(URL, json=body, headers=weak)
    assert r.status_code == 403 and r.json()["code"] == "scope_required"
    shipper = await factory.account(Role.SHIPPER)
    r = await client.post(URL, json=body, headers=shipper.headers)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = await client.post(URL, json=body, headers=dispatcher.headers)
    assert r.status_code == 200 and r.json()["stored"] == 1


async def test_another_organisations_device_is_not_reported(
    client, factory, fleet, sessionmaker: Maker
) -> None:  # type: ignore[no-untyped-def]
    _, _, _, key = fleet
    other = await factory.org(OrgKind.CARRIER)
    foreign = await make_device(sessionmaker, other.id)
    r = await client.post(URL, json={"positions": [_item(foreign, 1)]}, headers=key)
    assert r.status_code == 200
    result = r.json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "unknown_device"
    assert await count_rows(sessionmaker, foreign.id) == 0


@pytest.mark.parametrize(
    ("index", "change", "field"),
    [
        (2, {"lat": 91}, "positions[2].lat"),
        (1, {"lon": -181}, "positions[1].lon"),
        (0, {"fix_time": "2026-11-01T10:00:00"}, "positions[0].fix_time"),
        (2, {"speed_kmh": -1}, "positions[2].speed_kmh"),
        (1, {"satellites": 1000}, "positions[1].satellites"),
        (0, {"heading": 3}, "positions[0].heading"),
        (1, {"device": ""}, "positions[1].device"),
    ],
)
async def test_malformed_items_fail_the_whole_batch_naming_the_field(
    client, fleet, sessionmaker: Maker, index: int, change: dict, field: str
) -> None:  # type: ignore[no-untyped-def]
    carrier, _, _, key = fleet
    device = await make_device(sessionmaker, carrier.id)
    batch = [_item(device, 3), _item(device, 2), _item(device, 1)]
    batch[index].update(change)
    r = await client.post(URL, json={"positions": batch}, headers=key)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in r.json()["errors"]]
    assert any(f.endswith(field) for f in fields), fields
    assert await count_rows(sessionmaker, device.id) == 0  # nothing of a refused batch is stored


async def test_at_most_5000_fixes_per_batch(client, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, _, _, key = fleet
    device = await make_device(sessionmaker, carrier.id)
    start = now() - timedelta(hours=3)
    items = [
        {
            "device": device.identifier,
            "fix_time": (start + timedelta(seconds=i)).isoformat(),
            "lat": 29.9,
            "lon": 121.5,
        }
        for i in range(5001)
    ]
    r = await client.post(URL, json={"positions": items}, headers=key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("positions")
    assert (await client.post(URL, json={"positions": []}, headers=key)).status_code == 422
    r = await client.post(URL, json={"positions": items[:5000]}, headers=key)
    assert r.status_code == 200 and r.json()["stored"] == 5000
    assert await count_rows(sessionmaker, device.id) == 5000


async def test_get_positions_of_own_device(client, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, _, key = fleet
    device = await make_device(sessionmaker, carrier.id)
    batch = [_item(device, m, 29.87 + m / 1000, 121.55, speed_kmh=40) for m in (50, 40, 30, 20, 10)]
    await client.post(URL, json={"positions": batch}, headers=key)
    r = await client.get(URL, params={"device": device.identifier}, headers=dispatcher.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["device"] == device.identifier and len(page["items"]) == 5
    first = page["items"][0]
    assert first["fix_time"].endswith("Z") or first["fix_time"].endswith("+00:00")
    assert (first["lat"], first["lon"], first["speed_kmh"], first["source"]) == (29.92, 121.55, 40.0, "http")
    since = (now() - timedelta(minutes=35)).isoformat()
    until = (now() - timedelta(minutes=15)).isoformat()
    r = await client.get(
        URL, params={"device": device.identifier, "since": since, "until": until}, headers=key
    )
    assert len(r.json()["items"]) == 2
    paged = (await client.get(URL, params={"device": device.identifier, "limit": 3}, headers=key)).json()
    assert len(paged["items"]) == 3 and paged["next_cursor"]
    rest = await client.get(
        URL, params={"device": device.identifier, "limit": 3, "cursor": paged["next_cursor"]}, headers=key
    )
    assert len(rest.json()["items"]) == 2 and rest.json()["next_cursor"] is None


async def test_positions_are_shared_only_while_carrying_a_visible_waybill(
    client, factory, fleet, sessionmaker: Maker
) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, _, key = fleet
    shipper = await factory.account(Role.SHIPPER)
    stranger = await factory.account(Role.SHIPPER)
    r = await client.post(
        "/api/v1/waybills",
        json=tracked_waybill_body(
            [carrier.id], truck_plate=plate(), vessel_mmsi=mmsi(), start=now() + timedelta(days=1)
        ),
        headers=shipper.headers,
    )
    number = r.json()["number"]
    truck = (
        await client.post(
            "/api/v1/tracking/vehicles",
            json={"kind": "truck", "reference": plate()},
            headers=dispatcher.headers,
        )
    ).json()
    device = await make_device(sessionmaker, carrier.id)
    r = await client.post(
        f"/api/v1/tracking/devices/{device.identifier}/bindings",
        json={"vehicle": truck["reference"], "valid_from": (now() - timedelta(days=1)).isoformat()},
        headers=dispatcher.headers,
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/waybills/{number}/legs/3/assignments",
        json={"vehicle": truck["reference"], "valid_from": (now() - timedelta(minutes=30)).isoformat()},
        headers=dispatcher.headers,
    )
    assert r.status_code == 201, r.text
    batch = [_item(device, 45, 34.3, 108.9), _item(device, 20, 34.3, 108.9), _item(device, 5, 34.3, 108.9)]
    await client.post(URL, json={"positions": batch}, headers=key)
    mine = await client.get(URL, params={"device": device.identifier}, headers=dispatcher.headers)
    assert len(mine.json()["items"]) == 3
    shared = await client.get(URL, params={"device": device.identifier}, headers=shipper.headers)
    assert shared.status_code == 200 and len(shared.json()["items"]) == 2  # not before the assignment
    r = await client.get(URL, params={"device": device.identifier}, headers=stranger.headers)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = await client.get(URL, params={"device": "10000000000"}, headers=shipper.headers)
    assert r.status_code == 404


async def test_devices_are_provisioned_and_listed(client, factory, fleet) -> None:  # type: ignore[no-untyped-def]
    _, dispatcher, _, key = fleet
    number = phone()
    r = await client.post(
        "/api/v1/tracking/devices",
        json={"kind": "jt808", "identifier": "0" + number, "terminal_id": "T-1", "plate": "陕A·12345"},
        headers=dispatcher.headers,
    )
    assert r.status_code == 201, r.text
    device = r.json()
    assert (device["identifier"], device["plate"], device["terminal_id"]) == (number, "陕A12345", "T-1")
    r = await client.post(
        "/api/v1/tracking/devices", json={"kind": "jt808", "identifier": number}, headers=key
    )
    assert r.status_code == 409 and r.json()["code"] == "device_exists"
    r = await client.post(
        "/api/v1/tracking/devices", json={"kind": "ais", "identifier": "12345"}, headers=key
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "identifier"
    r = await client.post(
        "/api/v1/tracking/devices", json={"kind": "jt808", "identifier": "13x"}, headers=key
    )
    assert r.status_code == 422
    shipper = await factory.account(Role.SHIPPER)
    r = await client.post(
        "/api/v1/tracking/devices", json={"kind": "app", "identifier": "phone-1"}, headers=shipper.headers
    )
    assert r.status_code == 403
    await client.post(URL, json={"positions": [_item(number, 2)]}, headers=key)
    listed = (await client.get("/api/v1/tracking/devices", headers=dispatcher.headers)).json()
    assert [d["identifier"] for d in listed] == [number]
    assert listed[0]["latest_fix_time"] is not None
    assert (await client.get("/api/v1/tracking/devices", headers=shipper.headers)).json() == []


async def test_vehicles_and_bindings(client, factory, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, _, key = fleet
    r = await client.post(
        "/api/v1/tracking/vehicles",
        json={"kind": "truck", "reference": "陕A·54321", "name": "Truck 7"},
        headers=key,
    )
    assert r.status_code == 201, r.text
    assert r.json()["reference"] == "陕A54321"
    r = await client.post(
        "/api/v1/tracking/vehicles", json={"kind": "truck", "reference": "陕A54321"}, headers=key
    )
    assert r.status_code == 409
    r = await client.post(
        "/api/v1/tracking/vehicles", json={"kind": "truck", "reference": "ABC"}, headers=key
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reference"
    vessel = mmsi()
    r = await client.post(
        "/api/v1/tracking/vehicles",
        json={"kind": "vessel", "reference": vessel, "imo": "9074729"},
        headers=key,
    )
    assert r.status_code == 201 and r.json()["imo"] == "9074729"
    listed = (await client.get("/api/v1/tracking/vehicles", headers=dispatcher.headers)).json()
    assert {v["reference"] for v in listed} == {"陕A54321", vessel}

    device = await make_device(sessionmaker, carrier.id)
    url = f"/api/v1/tracking/devices/{device.identifier}/bindings"
    start = now() - timedelta(days=2)
    r = await client.post(url, json={"vehicle": "陕A54321", "valid_from": start.isoformat()}, headers=key)
    assert r.status_code == 201 and r.json()["vehicle"] == "陕A54321" and r.json()["valid_to"] is None
    # remounting ends the open mounting; a mounting inside a closed one is refused
    r = await client.post(url, json={"vehicle": vessel, "valid_from": now().isoformat()}, headers=key)
    assert r.status_code == 201
    r = await client.post(
        url,
        json={
            "vehicle": vessel,
            "valid_from": (start - timedelta(hours=1)).isoformat(),
            "valid_to": (start + timedelta(hours=1)).isoformat(),
        },
        headers=key,
    )
    assert r.status_code == 409 and r.json()["code"] == "binding_overlaps"
    r = await client.post(
        url,
        json={"vehicle": vessel, "valid_from": now().isoformat(), "valid_to": start.isoformat()},
        headers=key,
    )
    assert r.status_code == 422
    other = await factory.org(OrgKind.CARRIER)
    foreign_device = await make_device(sessionmaker, other.id)
    r = await client.post(
        f"/api/v1/tracking/devices/{foreign_device.identifier}/bindings",
        json={"vehicle": "陕A54321", "valid_from": start.isoformat()},
        headers=key,
    )
    assert r.status_code == 404
    r = await client.post(url, json={"vehicle": "陕A99999", "valid_from": start.isoformat()}, headers=key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle"
    listed = (await client.get("/api/v1/tracking/devices", headers=key)).json()
    assert listed[0]["vehicle"] == vessel


async def test_assignments_are_for_the_legs_carrier(client, factory, fleet) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, _, key = fleet
    shipper = await factory.account(Role.SHIPPER)
    rail = await factory.org(OrgKind.CARRIER)
    rail_dispatcher = await factory.account(Role.DISPATCHER, org=rail)
    body = tracked_waybill_body([carrier.id, rail.id], truck_plate=plate(), vessel_mmsi=mmsi(), start=now())
    number = (await client.post("/api/v1/waybills", json=body, headers=shipper.headers)).json()["number"]
    truck = plate()
    await client.post("/api/v1/tracking/vehicles", json={"kind": "truck", "reference": truck}, headers=key)
    url = f"/api/v1/waybills/{number}/legs/3/assignments"  # leg 3 is the first carrier's again
    r = await client.post(url, json={"vehicle": truck}, headers=dispatcher.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["waybill_number"], out["leg_seq"], out["mode"], out["vehicle"]) == (number, 3, "TRUCK", truck)
    r = await client.post(url, json={"vehicle": truck}, headers=rail_dispatcher.headers)
    assert r.status_code == 403 and r.json()["code"] == "not_leg_carrier"
    r = await client.post(url, json={"vehicle": truck}, headers=shipper.headers)
    assert r.status_code == 403
    stranger = await factory.account(Role.DISPATCHER)
    r = await client.post(url, json={"vehicle": truck}, headers=stranger.headers)
    assert r.status_code == 404
    r = await client.post(
        f"/api/v1/waybills/{number}/legs/9/assignments", json={"vehicle": truck}, headers=key
    )
    assert r.status_code == 404
    r = await client.post(url, json={"vehicle": plate()}, headers=key)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle"


async def test_latest_positions_as_json_and_geojson(client, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, dispatcher, _, key = fleet
    truck = plate()
    await client.post("/api/v1/tracking/vehicles", json={"kind": "truck", "reference": truck}, headers=key)
    bound = await make_device(sessionmaker, carrier.id)
    loose = await make_device(sessionmaker, carrier.id)
    await client.post(
        f"/api/v1/tracking/devices/{bound.identifier}/bindings",
        json={"vehicle": truck, "valid_from": (now() - timedelta(days=1)).isoformat()},
        headers=key,
    )
    batch = [_item(bound, 9, 34.30, 108.90), _item(bound, 4, 34.31, 108.91), _item(loose, 2, 30.0, 120.0)]
    await client.post(URL, json={"positions": batch}, headers=key)
    latest = (await client.get("/api/v1/tracking/latest", headers=dispatcher.headers)).json()
    by_device = {x["device"]: x for x in latest}
    assert set(by_device) == {bound.identifier, loose.identifier}
    assert by_device[bound.identifier]["vehicle"] == truck and by_device[bound.identifier]["lat"] == 34.31
    assert by_device[loose.identifier]["vehicle"] is None
    r = await client.get("/api/v1/tracking/latest", params={"format": "geojson"}, headers=dispatcher.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    geo = r.json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    feature = next(f for f in geo["features"] if f["properties"]["device"] == bound.identifier)
    assert feature["geometry"] == {"type": "Point", "coordinates": [108.91, 34.31]}
    assert feature["properties"]["vehicle"] == truck


async def test_batch_is_refused_while_the_pipeline_is_down(app, client, fleet, sessionmaker: Maker) -> None:  # type: ignore[no-untyped-def]
    carrier, _, _, key = fleet
    device = await make_device(sessionmaker, carrier.id)
    running = app.state.pipeline
    app.state.pipeline = None
    try:
        r = await client.post(URL, json={"positions": [_item(device, 1)]}, headers=key)
    finally:
        app.state.pipeline = running
    assert r.status_code == 503 and r.json()["code"] == "ingest_unavailable"
    assert await count_rows(sessionmaker, device.id) == 0
