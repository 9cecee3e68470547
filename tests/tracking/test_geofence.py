"""Geofences: zones from the seeded terminals and gates, enter/exit per device, and automatic DEPA/ARRI."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.conftest import SEED_DIR
from tests.tracking.live_support import (
    EAST_CHINA_SEA,
    NBCT,
    NBCT_GATE1,
    QQCT,
    XIAN,
    XIPS,
    YELLOW_SEA,
    assign,
    book,
    events_of,
    stored,
    vehicle,
)

from yidan.locations.geo import haversine_m
from yidan.tracking.geofence import (
    EXIT_MARGIN_M,
    GATE_MARGIN_M,
    GeofenceListener,
    GeofenceState,
    LegEnds,
    device_zones,
    gate_zone,
    leg_event,
    load_zone_index,
    terminal_zone,
    transitions,
)
from yidan.tracking.models import VehicleKind
from yidan.tracking.stored import FixFlag
from yidan.waybills.lifecycle import LegStatus, WaybillStatus
from yidan.waybills.models import Leg, Waybill

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def _seed_gates(terminal: str) -> list[dict[str, str]]:
    with (SEED_DIR / "gates.csv").open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["terminal_code"] == terminal]


def _offset(lat: float, lon: float, north_m: float) -> tuple[float, float]:
    return lat + north_m / 111_195.0, lon


# ---- zones (pure) ----


def test_gate_zone_is_the_seeded_polygon() -> None:
    row = _seed_gates("CNNGB-NBCT")[0]
    zone = gate_zone(row["code"], {"type": "Polygon", "coordinates": [json.loads(row["geofence"])]})
    assert zone.key == "gate:CNNGB-NBCT-G1"
    assert zone.contains(*NBCT_GATE1)
    assert not zone.contains(NBCT_GATE1[0] + 0.01, NBCT_GATE1[1])


def test_terminal_circle_grows_to_cover_its_gates() -> None:
    gates = [
        gate_zone(r["code"], {"type": "Polygon", "coordinates": [json.loads(r["geofence"])]})
        for r in _seed_gates("CNNGB-NBCT")
    ]
    zone = terminal_zone("CNNGB-NBCT", "container_terminal", *NBCT, gates)
    farthest = max(haversine_m(*NBCT, lat, lon) for g in gates for lon, lat in g.ring or ())
    assert zone.radius_m == pytest.approx(max(1_500.0, farthest + GATE_MARGIN_M))
    for g in gates:
        for lon, lat in g.ring or ():
            assert zone.contains(lat, lon)


def test_circle_exit_needs_the_margin_so_jitter_on_the_line_is_no_departure() -> None:
    zone = terminal_zone("X", "rail_terminal", 34.0, 109.0)
    just_out = _offset(34.0, 109.0, zone.radius_m + EXIT_MARGIN_M / 2)
    far_out = _offset(34.0, 109.0, zone.radius_m + EXIT_MARGIN_M * 1.5)
    assert not zone.contains(*just_out)  # not inside for a vehicle coming from outside
    assert zone.contains(*just_out, was_inside=True)  # still inside for one that was
    assert not zone.contains(*far_out, was_inside=True)


async def test_zone_index_finds_terminal_and_gate(sessionmaker) -> None:
    async with sessionmaker() as session:
        index = await load_zone_index(session)
    at_gate = index.containing(*NBCT_GATE1)
    assert {"terminal:CNNGB-NBCT", "gate:CNNGB-NBCT-G1"} <= at_gate
    assert index.containing(*EAST_CHINA_SEA) == set()
    assert index.site("CNNGB-NBCT", "CNNGB") == {
        "terminal:CNNGB-NBCT",
        "gate:CNNGB-NBCT-G1",
        "gate:CNNGB-NBCT-G2",
    }
    # a place without a named terminal: every terminal of the place plus the place's own circle
    ningbo = index.site(None, "CNNGB")
    assert {"place:CNNGB", "terminal:CNNGB-NBCT", "terminal:CNNGB-MSICT", "terminal:CNNGB-YDCT"} <= ningbo


def test_transitions_and_leg_events() -> None:
    device = uuid.uuid4()
    moved = transitions(device, {"terminal:A", "gate:A1"}, {"terminal:B"}, T0, 1.0, 2.0)
    assert [(t.zone, t.entered) for t in moved] == [
        ("gate:A1", False),
        ("terminal:A", False),
        ("terminal:B", True),
    ]
    ends = LegEnds(
        uuid.uuid4(),
        uuid.uuid4(),
        1,
        LegStatus.PLANNED,
        frozenset({"terminal:A"}),
        frozenset({"terminal:B"}),
        frozenset(),
    )
    assert leg_event(ends, {"terminal:A"}, set()) == "DEPA"
    assert leg_event(ends, set(), set()) is None  # never seen at the origin: no departure can be told
    assert leg_event(ends, set(), {"terminal:B"}) is None  # a planned leg does not arrive
    ends.status = LegStatus.DEPARTED
    assert leg_event(ends, set(), {"terminal:B"}) == "ARRI"
    assert leg_event(ends, {"terminal:B"}, {"terminal:B"}) is None  # staying is not arriving again
    same = LegEnds(
        uuid.uuid4(),
        uuid.uuid4(),
        3,
        LegStatus.DEPARTED,
        frozenset({"place:X"}),
        frozenset({"place:X"}),
        frozenset({"X"}),
    )
    assert leg_event(same, set(), {"place:X"}) is None  # ends where it began: arrival is not for fences


# ---- the listener on the real database ----


async def _leg(sessionmaker, leg_id: uuid.UUID) -> Leg:
    async with sessionmaker() as session:
        return await session.get_one(Leg, leg_id)


async def _waybill(sessionmaker, waybill_id: uuid.UUID) -> Waybill:
    async with sessionmaker() as session:
        return await session.get_one(Waybill, waybill_id)


async def test_enter_exit_is_kept_per_device_and_late_fixes_change_nothing(
    client, factory, sessionmaker
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    listener = GeofenceListener(sessionmaker)
    legs = [wb.ref(1)]

    out = await listener.process([stored(ship, T0, *NBCT_GATE1, legs)])
    assert {(t.zone, t.entered) for t in out.transitions} == {
        ("terminal:CNNGB-NBCT", True),
        ("gate:CNNGB-NBCT-G1", True),
    }
    assert out.events == ()  # arriving at the origin is no event
    async with sessionmaker() as session:
        zones = await device_zones(session, ship.device_id)
    assert set(zones) == {"terminal:CNNGB-NBCT", "gate:CNNGB-NBCT-G1"}
    assert zones["terminal:CNNGB-NBCT"] == T0

    # inside the yard, away from the gate: left the gate only
    out = await listener.process([stored(ship, T0 + timedelta(minutes=5), *NBCT, legs)])
    assert [(t.zone, t.entered) for t in out.transitions] == [("gate:CNNGB-NBCT-G1", False)]

    # a blind-area fix from before says nothing about now
    out = await listener.process([stored(ship, T0 + timedelta(minutes=1), *EAST_CHINA_SEA, legs)])
    assert out.transitions == () and out.events == ()
    async with sessionmaker() as session:
        state = await session.get_one(GeofenceState, ship.device_id)
    assert state.fix_time == T0 + timedelta(minutes=5)
    assert set(state.zones) == {"terminal:CNNGB-NBCT"}

    # an untrustworthy fix (impossible speed) moves nobody out
    out = await listener.process(
        [stored(ship, T0 + timedelta(minutes=6), *EAST_CHINA_SEA, legs, flags=FixFlag.IMPOSSIBLE_SPEED)]
    )
    assert out.transitions == ()
    assert (await _leg(sessionmaker, wb.legs[1])).status is LegStatus.PLANNED


async def test_automatic_departure_and_arrival_move_legs_and_waybill_once(
    client, factory, sessionmaker
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    train = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.TRAIN, since=T0 - timedelta(days=1))
    listener = GeofenceListener(sessionmaker)
    t = T0
    sea = [wb.ref(1)]

    await listener.process([stored(ship, t, *NBCT, sea)])
    depart = t + timedelta(minutes=30)
    out = await listener.process(
        [
            stored(ship, depart, *EAST_CHINA_SEA, sea),
            stored(ship, depart + timedelta(minutes=10), *YELLOW_SEA, sea),
        ]
    )
    assert [(e.code, e.at) for e in out.events] == [("DEPA", depart)]
    leg1 = await _leg(sessionmaker, wb.legs[1])
    assert leg1.status is LegStatus.DEPARTED and leg1.actual_departure == depart
    assert (await _waybill(sessionmaker, wb.id)).status is WaybillStatus.IN_TRANSIT
    [depa] = [e for e in await events_of(sessionmaker, wb.id, "DEPA") if e.classifier.value == "ACT"]
    assert depa.source == "tracking" and depa.unlocode == "CNNGB" and depa.event_time == depart
    assert depa.payload["device"] == ship.identifier

    # the same batch delivered again, and more fixes at sea: no second departure
    again = await listener.process([stored(ship, depart, *EAST_CHINA_SEA, sea)])
    later = await listener.process([stored(ship, depart + timedelta(hours=1), *YELLOW_SEA, sea)])
    assert again.events == () and later.events == ()

    arrive = t + timedelta(days=2)
    out = await listener.process([stored(ship, arrive, *QQCT, sea)])
    assert [e.code for e in out.events] == ["ARRI"]
    assert (await _leg(sessionmaker, wb.legs[1])).status is LegStatus.ARRIVED

    # the train is at the terminal when it is assigned, then leaves: DEPA of leg 2; it arrives at Xi'an
    rail = [wb.ref(2)]
    await listener.process([stored(train, arrive + timedelta(hours=2), *QQCT, rail)])
    out = await listener.process(
        [stored(train, arrive + timedelta(hours=3), QQCT[0] + 0.2, QQCT[1] - 0.2, rail)]
    )
    assert [e.code for e in out.events] == ["DEPA"]
    out = await listener.process([stored(train, arrive + timedelta(hours=30), *XIPS, rail)])
    assert [e.code for e in out.events] == ["ARRI"]
    wb_row = await _waybill(sessionmaker, wb.id)
    assert wb_row.status is WaybillStatus.DELIVERED

    acts = [
        (e.event_code, e.source)
        for e in await events_of(sessionmaker, wb.id)
        if e.classifier.value == "ACT" and e.event_type.value == "TRANSPORT"
    ]
    assert acts == [("DEPA", "tracking"), ("ARRI", "tracking"), ("DEPA", "tracking"), ("ARRI", "tracking")]


async def test_concurrent_batches_of_two_vehicles_record_one_departure(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    a = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    b = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    sea = [wb.ref(1)]
    first, second = GeofenceListener(sessionmaker), GeofenceListener(sessionmaker)
    await first.process([stored(a, T0, *NBCT, sea), stored(b, T0, *NBCT, sea)])
    out = await asyncio.gather(
        first.process([stored(a, T0 + timedelta(minutes=20), *EAST_CHINA_SEA, sea)]),
        second.process([stored(b, T0 + timedelta(minutes=21), *EAST_CHINA_SEA, sea)]),
    )
    assert sum(len(o.events) for o in out) == 1
    acts = [e for e in await events_of(sessionmaker, wb.id, "DEPA") if e.classifier.value == "ACT"]
    assert len(acts) == 1


async def test_rules_refuse_a_departure_out_of_order_without_losing_the_rest(
    client, factory, sessionmaker
) -> None:
    wb = await book(client, factory)
    other = await book(client, factory)
    train = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.TRAIN, since=T0 - timedelta(days=1))
    ship = await vehicle(sessionmaker, other.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    listener = GeofenceListener(sessionmaker)
    await listener.process([stored(train, T0, *QQCT, [wb.ref(2)]), stored(ship, T0, *NBCT, [other.ref(1)])])
    # leg 2 cannot depart while leg 1 has not arrived; the other waybill's departure in the batch stands
    out = await listener.process(
        [
            stored(train, T0 + timedelta(hours=1), QQCT[0] + 0.3, QQCT[1], [wb.ref(2)]),
            stored(ship, T0 + timedelta(hours=1), *EAST_CHINA_SEA, [other.ref(1)]),
        ]
    )
    assert [(e.waybill_id, e.code) for e in out.events] == [(other.id, "DEPA")]
    assert (await _leg(sessionmaker, wb.legs[2])).status is LegStatus.PLANNED
    assert (await _leg(sessionmaker, other.legs[1])).status is LegStatus.DEPARTED
    async with sessionmaker() as session:
        assert (await session.get_one(GeofenceState, train.device_id)).zones == {}


async def test_leg_named_by_place_departs_on_leaving_and_same_place_end_never_auto_arrives(
    client, factory, sessionmaker
) -> None:
    wb = await book(client, factory, route="conftest")  # CNNGB → CNTAO → CNXIA → CNXIA, no terminals
    truck = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.TRUCK, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[3], truck.vehicle_id, T0 - timedelta(days=1))
    # put legs 1 and 2 behind us through the same service the listener uses
    async with sessionmaker() as session:
        from yidan.waybills.service import record_system_transport_event

        for seq in (1, 2):
            for code in ("DEPA", "ARRI"):
                await record_system_transport_event(session, wb.id, wb.legs[seq], code, T0, "test")
        await session.commit()
    road = [wb.ref(3)]
    listener = GeofenceListener(sessionmaker)
    out = await listener.process([stored(truck, T0 + timedelta(hours=1), *XIAN, road)])
    assert ("place:CNXIA", True) in {(t.zone, t.entered) for t in out.transitions}
    out = await listener.process([stored(truck, T0 + timedelta(hours=2), XIAN[0] + 0.2, XIAN[1], road)])
    assert [e.code for e in out.events] == ["DEPA"]
    out = await listener.process([stored(truck, T0 + timedelta(hours=3), *XIAN, road)])
    assert out.events == ()  # back in Xi'an: the warehouse address is not a fence
    async with sessionmaker() as session:
        leg = await session.scalar(select(Leg).where(Leg.id == wb.legs[3]))
        assert leg is not None and leg.status is LegStatus.DEPARTED


async def test_a_failing_batch_is_logged_not_raised(sessionmaker, caplog) -> None:
    listener = GeofenceListener(sessionmaker)
    bogus = uuid.uuid4()  # a device that does not exist: the state row violates its foreign key
    from tests.tracking.live_support import Carrier

    ghost = Carrier(uuid.uuid4(), "ghost", bogus, "ghost", "ais")
    from yidan.tracking.stored import LegRef

    ref = LegRef(uuid.uuid4(), 1, "VESSEL", uuid.uuid4(), "YD-NONE")
    await listener([stored(ghost, T0, *NBCT, [ref])])
    assert "geofence processing failed" in caplog.text
