"""ETA: the pure estimates on a real GPS trace, and EST ARRI events posted only when they move materially."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from tests.tracking.live_support import (
    NBCT,
    QQCT,
    XIPS,
    book,
    events_of,
    load_trace,
    store_positions,
    stored,
    vehicle,
)

from yidan.locations.geo import haversine_m
from yidan.tracking.eta import (
    DETOUR,
    MODE_SPEED_KMH,
    EtaListener,
    LegPlan,
    SpeedEstimate,
    TrackPoint,
    confidence,
    estimate_route,
    estimate_speed,
    is_material,
    path_length_m,
)
from yidan.tracking.models import VehicleKind
from yidan.waybills.lifecycle import Classifier
from yidan.waybills.models import Leg
from yidan.waybills.service import record_system_transport_event

TRACE = load_trace("barefoot_x0001-001.json")  # 1194 fixes at 1 s, a car across Munich, no speeds
TRACE_15S = load_trace("barefoot_x0001-015.json")  # the same drive every 15 s, with stationary repeats


def _one_leg(points: list[TrackPoint]) -> list[LegPlan]:
    first, last = points[0], points[-1]
    return [LegPlan(1, "TRUCK", (first.lat, first.lon), (last.lat, last.lon), first.at)]


# ---- on the real trace ----


def test_the_trace_is_what_the_corpus_says() -> None:
    assert len(TRACE) == 1194 and len(TRACE_15S) == 80
    duration = (TRACE[-1].at - TRACE[0].at).total_seconds()
    assert duration == pytest.approx(1195, abs=1)
    assert path_length_m(TRACE) / duration * 3.6 == pytest.approx(41.1, abs=0.5)


def test_detour_factor_matches_the_road_network_of_the_trace() -> None:
    # the road distance still to go over the great-circle distance, along the drive
    ratios = []
    end = TRACE[-1]
    for i in range(0, len(TRACE) - 300, 100):
        gc = haversine_m(TRACE[i].lat, TRACE[i].lon, end.lat, end.lon)
        ratios.append(path_length_m(TRACE[i:]) / gc)
    assert min(ratios) > 1.1 and max(ratios) < 1.6
    assert statistics.median(ratios) == pytest.approx(DETOUR["TRUCK"], abs=0.1)


def test_speed_from_positions_resists_1_hz_jitter() -> None:
    whole = estimate_speed(TRACE, "TRUCK", window=timedelta(hours=1))
    sparse = estimate_speed(TRACE_15S, "TRUCK", window=timedelta(hours=1))
    true_kmh = path_length_m(TRACE) / (TRACE[-1].at - TRACE[0].at).total_seconds() * 3.6
    assert whole.observed_kmh == pytest.approx(true_kmh, rel=0.1)
    # 1 s and 15 s reporting of the same drive give the same speed (within 5 %)
    assert whole.observed_kmh == pytest.approx(sparse.observed_kmh, rel=0.05)
    assert not whole.defaulted and not whole.stopped


def test_stationary_repeats_mean_stopped_and_the_mode_speed() -> None:
    # 06:56:37–06:57:07 local: three identical fixes while the car waits
    still = [p for p in TRACE_15S if p.lat == TRACE_15S[10].lat and p.lon == TRACE_15S[10].lon]
    assert len(still) == 3
    speed = estimate_speed(still, "TRUCK")
    assert speed.stopped and speed.defaulted and speed.kmh == MODE_SPEED_KMH["TRUCK"]
    moving = estimate_speed(TRACE_15S[:10], "TRUCK")
    assert confidence(speed, age=timedelta(0)) < confidence(moving, age=timedelta(0))


def test_replayed_eta_converges_on_the_real_arrival() -> None:
    end = TRACE[-1]
    errors: list[tuple[float, float]] = []
    for i in range(120, len(TRACE) - 30, 60):
        p = TRACE[i]
        speed = estimate_speed(TRACE[: i + 1], "TRUCK")
        route = estimate_route(_one_leg(TRACE), 1, (p.lat, p.lon), p.at, speed, now=p.at)
        to_go = (end.at - p.at).total_seconds() / 60
        errors.append((to_go, (route.eta - p.at).total_seconds() / 60 - to_go))
    mae = statistics.mean(abs(e) for _, e in errors)
    last_quarter = [abs(e) for to_go, e in errors if to_go < 5]
    assert mae < 8.0  # measured 5.7 min over a 20-minute drive, city first, then the ring road
    assert max(last_quarter) < 3.0


def test_confidence_falls_with_few_fixes_stale_data_erratic_speed_and_legs_ahead() -> None:
    steady = SpeedEstimate(40, 40, 20, 0.1, stopped=False, defaulted=False)
    few = SpeedEstimate(40, 40, 2, 0.1, stopped=False, defaulted=False)
    erratic = SpeedEstimate(40, 40, 20, 1.5, stopped=False, defaulted=False)
    fresh = confidence(steady, age=timedelta(minutes=1))
    assert 0.8 < fresh <= 1.0
    assert confidence(few, age=timedelta(minutes=1)) < fresh
    assert confidence(erratic, age=timedelta(minutes=1)) < fresh
    assert confidence(steady, age=timedelta(hours=1)) < fresh
    assert confidence(steady, age=timedelta(hours=5)) == pytest.approx(0.1 * fresh, abs=0.01)
    assert confidence(steady, age=timedelta(minutes=1), legs_ahead=2) < fresh


def test_later_legs_keep_their_timetable() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    legs = [
        LegPlan(1, "VESSEL", NBCT, QQCT, at),
        LegPlan(2, "RAIL", QQCT, XIPS, at + timedelta(days=3)),
    ]
    speed = SpeedEstimate(28, 28, 20, 0.0, stopped=False, defaulted=False)
    route = estimate_route(legs, 1, NBCT, at, speed, now=at)
    sea_km = haversine_m(*NBCT, *QQCT) / 1000 * DETOUR["VESSEL"]
    rail_km = haversine_m(*QQCT, *XIPS) / 1000 * DETOUR["RAIL"]
    assert route.legs[0].eta == at + timedelta(hours=sea_km / 28)
    # the ship is in well before the train leaves: the train does not leave early
    assert route.eta == at + timedelta(days=3) + timedelta(hours=rail_km / MODE_SPEED_KMH["RAIL"])
    assert route.remaining_m == pytest.approx((sea_km + rail_km) * 1000)
    assert route.legs[1].confidence < route.legs[0].confidence


def test_material_change_threshold() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    far = now + timedelta(hours=20)
    assert is_material(None, far, now=now)
    assert not is_material(far, far + timedelta(minutes=29), now=now)  # under 30 min and 10 % of 20 h
    assert is_material(far, far + timedelta(minutes=31), now=now)
    near = now + timedelta(hours=1)
    assert is_material(near, near + timedelta(minutes=7), now=now)  # 10 % of one hour is 6 minutes
    assert not is_material(near, near + timedelta(minutes=5), now=now)
    soon = now + timedelta(minutes=10)
    assert not is_material(soon, soon + timedelta(minutes=4), now=now)  # never for under 5 minutes


# ---- the listener: EST ARRI events ----


def _sail(ship, start: datetime, minutes: int, kmh: float, legs, origin=(30.2, 122.3)):
    # north at a steady speed, one AIS report a minute
    out = []
    for m in range(minutes):
        lat = origin[0] + kmh * m / 60 / 111.195
        out.append(stored(ship, start + timedelta(minutes=m), lat, origin[1], legs, speed=kmh, course=0.0))
    return out


async def test_est_arri_is_posted_when_the_estimate_moves_materially(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=t0 - timedelta(days=1))
    async with sessionmaker() as session:
        await record_system_transport_event(session, wb.id, wb.legs[1], "DEPA", t0, "test")
        await session.commit()
    eta = EtaListener(sessionmaker)
    sea = [wb.ref(1)]

    first = _sail(ship, t0 + timedelta(minutes=10), 30, 28.0, sea)
    await store_positions(sessionmaker, first)
    posted = await eta.process([first[-1]], now=first[-1].fix.fix_time)
    assert [p.leg_seq for p in posted] == [1, 2]  # the first estimate of each leg to go
    async with sessionmaker() as session:
        leg1 = await session.get_one(Leg, wb.legs[1])
    assert leg1.estimated_arrival == posted[0].eta
    remaining_h = haversine_m(first[-1].fix.lat, first[-1].fix.lon, *QQCT) / 1000 * DETOUR["VESSEL"] / 28.0
    assert posted[0].eta == pytest.approx(
        first[-1].fix.fix_time + timedelta(hours=remaining_h), abs=timedelta(seconds=1)
    )
    ests = [e for e in await events_of(sessionmaker, wb.id, "ARRI") if e.classifier is Classifier.EST]
    assert len(ests) == 2 and ests[0].source == "tracking"
    assert ests[0].payload["confidence"] == posted[0].confidence and 0 < posted[0].confidence <= 1
    assert ests[0].payload["samples"] == 30

    # ten more minutes at the same speed: the estimate barely moves, nothing is posted
    steady = _sail(ship, t0 + timedelta(minutes=40), 10, 28.0, sea, origin=(first[-1].fix.lat, 122.3))
    await store_positions(sessionmaker, steady)
    assert await eta.process([steady[-1]], now=steady[-1].fix.fix_time) == []
    # ten seconds later nothing is even computed (at most once a minute per leg)
    assert (
        await eta.process(
            [
                stored(
                    ship,
                    steady[-1].fix.fix_time + timedelta(seconds=10),
                    steady[-1].fix.lat,
                    122.3,
                    sea,
                    speed=5.0,
                )
            ]
        )
        == []
    )

    # the ship slows to 12 km/h for half an hour: hours later, posted for leg 1 only —
    # leg 2 keeps its timetable (the train leaves on its planned day either way)
    slow = _sail(ship, t0 + timedelta(minutes=55), 31, 12.0, sea, origin=(steady[-1].fix.lat, 122.3))
    await store_positions(sessionmaker, slow)
    posted = await eta.process([slow[-1]], now=slow[-1].fix.fix_time)
    assert [p.leg_seq for p in posted] == [1]
    async with sessionmaker() as session:
        leg1 = await session.get_one(Leg, wb.legs[1])
    assert leg1.estimated_arrival == posted[0].eta
    assert (
        len([e for e in await events_of(sessionmaker, wb.id, "ARRI") if e.classifier is Classifier.EST]) == 3
    )

    # once the ship has arrived, no estimate for its leg
    async with sessionmaker() as session:
        await record_system_transport_event(session, wb.id, wb.legs[1], "ARRI", slow[-1].fix.fix_time, "test")
        await session.commit()
    late = _sail(ship, t0 + timedelta(minutes=90), 5, 2.0, sea, origin=QQCT)
    await store_positions(sessionmaker, late)
    assert await eta.process([late[-1]], now=late[-1].fix.fix_time) == []


async def test_a_planned_leg_gets_no_estimate(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=t0 - timedelta(days=1))
    fixes = _sail(ship, t0, 5, 20.0, [wb.ref(1)])
    await store_positions(sessionmaker, fixes)
    assert await EtaListener(sessionmaker).process(fixes) == []
