"""The simulator: demo terminals over real TCP to the gateway, a vessel over an AIS feed, and its routes."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.identity.principal import OrgKind
from yidan.settings import PROJECT_ROOT, Settings
from yidan.tracking.ais_feed import AisFeedClient
from yidan.tracking.gateway import Gateway
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, Position, Vehicle, VehicleKind
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.sim_routes import (
    YARD_RADIUS_M,
    LegSchedule,
    demo_leg,
    distance_m,
    leg_progress,
    line_track,
    load_places,
    load_trace,
    plan_track,
    scheduled_track,
    trace_track,
)
from yidan.tracking.simulator import (
    FLEET_PHONE_PREFIX,
    Simulator,
    SimulatorConfig,
    imo_for,
    load_demo_devices,
    provision_terminals,
)

SEED = PROJECT_ROOT / "seed_data"
TRACE = PROJECT_ROOT.parent / "shared" / "corpora" / "traces" / "barefoot_x0001-001.json"
Maker = async_sessionmaker[AsyncSession]
XIAN = (34.3416, 108.9398)


def random_phone() -> str:
    return "1" + "".join(random.choices("0123456789", k=10))


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """The real locations and demo waybills, with a demo_devices.csv written by each test."""
    for name in ("locations.csv", "demo_waybills.json"):
        shutil.copy(SEED / name, tmp_path / name)
    return tmp_path


@pytest.fixture
async def pipeline(sessionmaker: Maker) -> AsyncIterator[Pipeline]:
    p = Pipeline(sessionmaker, batch_ms=5)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def gateway(pipeline: Pipeline, sessionmaker: Maker) -> AsyncIterator[Gateway]:
    gw = Gateway(pipeline, sessionmaker, host="127.0.0.1", port=0)
    await gw.start()
    yield gw
    await gw.stop()


async def count_rows(maker: Maker, device_id: uuid.UUID) -> int:
    async with maker() as session:
        n = await session.scalar(
            select(func.count()).select_from(Position).where(Position.device_id == device_id)
        )
        return int(n or 0)


async def run_for(sim: Simulator, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop, progress_every_s=0.5))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 15)


# -- routes ---------------------------------------------------------------------------------------------


def test_line_track_moves_at_its_speed_and_turns_back() -> None:
    track = line_track((30.0, 120.0), (30.0, 121.0), speed_kmh=60.0, rng=random.Random(1))
    length_km = distance_m(30.0, 120.0, 30.0, 121.0) / 1000
    assert track.duration_s / 3600 == pytest.approx(length_km / 60, rel=0.1)
    middle = track.sample(track.duration_s / 2)
    assert 50 < middle.speed_kmh < 70 and 80 < middle.course_deg < 100  # eastbound
    back = track.sample(track.duration_s * 1.5)
    assert 260 < back.course_deg < 280  # westbound on the way back


def test_trace_track_keeps_real_speeds_and_moves_to_the_origin() -> None:
    trace = load_trace(TRACE)
    assert len(trace) > 1000
    track = trace_track(trace, XIAN)
    samples = [track.sample(t) for t in range(0, int(track.duration_s), 5)]
    speeds = sorted(s.speed_kmh for s in samples)
    assert speeds[len(speeds) // 2] < 80 and max(speeds) < 140  # town driving, with stops
    assert any(s.speed_kmh == 0 for s in samples) or speeds[0] < 5
    assert all(distance_m(s.lat, s.lon, *XIAN) < 20_000 for s in samples)


def test_demo_leg_and_plan_follow_the_seeded_waybill() -> None:
    plan = demo_leg(SEED, "DEMO-NGB-XIA-01", "陕A·D2345")
    assert plan is not None and (plan.mode, plan.origin, plan.destination) == ("TRUCK", "CNXIA", "CNXIA")
    assert not plan.started  # the last-mile truck waits in Xi'an for the train
    places = load_places(SEED)
    waiting, _ = plan_track(plan, places, load_trace(TRACE), random.Random(3))
    # It moves about its yard but never leaves the origin's geofence (that would report a departure).
    assert max(distance_m(lat, lon, *XIAN) for lat, lon in waiting.points) <= YARD_RADIUS_M + 1
    rail = demo_leg(SEED, "DEMO-NGB-XIA-01", "X8158")
    assert rail is not None and rail.mode == "RAIL" and 0 < rail.progress < 1  # under way when seeded
    track, start = plan_track(rail, places, None, random.Random(2))
    first = track.sample(0)
    assert distance_m(first.lat, first.lon, *places["CNTAO"]) < 1000
    assert 0 < start < track.duration_s
    vessel = demo_leg(SEED, "DEMO-NGB-XIA-01", "413000001")
    assert vessel is not None and vessel.mode == "VESSEL"


def test_a_train_under_way_sits_where_its_timetable_puts_it() -> None:
    places = load_places(SEED)
    tao, xia = places["CNTAO"], places["CNXIA"]
    departed = datetime(2026, 3, 1, 6, tzinfo=UTC)
    due = departed + timedelta(hours=36)
    schedule = LegSchedule("RAIL", "CNTAO", "CNXIA", departed, due)
    now = departed + timedelta(hours=9)  # a quarter of the way
    assert leg_progress(departed, due, now) == pytest.approx(0.25)
    assert leg_progress(departed, due, departed - timedelta(hours=1)) == 0.0
    assert leg_progress(departed, due, due + timedelta(hours=1)) == 1.0
    track, start_s = scheduled_track(schedule, places, random.Random(5), now)
    assert start_s == pytest.approx(9 * 3600)
    here = track.sample(start_s)
    whole = distance_m(*tao, *xia)
    assert distance_m(here.lat, here.lon, *tao) == pytest.approx(0.25 * whole, rel=0.01)
    assert distance_m(here.lat, here.lon, *xia) == pytest.approx(0.75 * whole, rel=0.01)
    assert min(tao[1], xia[1]) < here.lon < max(tao[1], xia[1])
    # It advances in real time: an hour later it is 1/36 of the way further, heading west.
    later = track.sample(start_s + 3600)
    moved = distance_m(here.lat, here.lon, later.lat, later.lon)
    assert moved == pytest.approx(whole / 36, rel=0.01) and 225 < later.course_deg < 315
    # Reaching Xi'an at the planned arrival, it waits there instead of heading back to Qingdao.
    for extra_h in (27, 30, 24 * 20):
        end = track.sample(start_s + extra_h * 3600)
        assert distance_m(end.lat, end.lon, *xia) < 1 and end.speed_kmh == 0.0


def test_imo_numbers_have_a_valid_check_digit() -> None:
    for seed in ("413000001", "412345678", "x"):
        imo = str(imo_for(seed))
        assert len(imo) == 7
        assert sum(int(d) * w for d, w in zip(imo[:6], range(7, 1, -1), strict=True)) % 10 == int(imo[6])


def test_demo_devices_csv(tmp_path: Path) -> None:
    (tmp_path / "demo_devices.csv").write_text(
        "kind,identifier,terminal_id,vehicle,waybill,simulated\n"
        "jt808,13800000001,T000001,陕A·D2345,DEMO-NGB-XIA-01,true\n"
        "jt808,13800000002,T000002,陕A·F6789,DEMO-XIA-NGB-04,false\n"
        "ais,413000001,,413000001,DEMO-NGB-XIA-01,TRUE\n",
        encoding="utf-8",
    )
    rows = load_demo_devices(tmp_path)
    assert [(r.kind, r.identifier, r.simulated) for r in rows] == [
        ("jt808", "13800000001", True),
        ("jt808", "13800000002", False),
        ("ais", "413000001", True),
    ]
    assert load_demo_devices(tmp_path / "missing") == []


# -- the simulated fleet against the real gateway, pipeline and AIS client -----------------------------


async def test_demo_fleet_registers_reports_and_the_vessel_arrives_by_ais(
    gateway: Gateway, pipeline: Pipeline, sessionmaker: Maker, seed_dir: Path, factory
) -> None:  # type: ignore[no-untyped-def]
    org = await factory.org(OrgKind.CARRIER)
    truck_phone, idle_phone = random_phone(), random_phone()
    mmsi = "4" + "".join(random.choices("0123456789", k=8))
    (seed_dir / "demo_devices.csv").write_text(
        "kind,identifier,terminal_id,vehicle,waybill,simulated\n"
        f"jt808,{truck_phone},T000001,陕A·D2345,DEMO-NGB-XIA-01,true\n"
        f"jt808,{idle_phone},T000002,陕A·F6789,DEMO-XIA-NGB-04,false\n"
        f"ais,{mmsi},,{mmsi},,true\n",
        encoding="utf-8",
    )
    async with sessionmaker() as session:
        truck = Device(
            org_id=org.id,
            kind=DeviceKind.JT808,
            identifier=truck_phone,
            terminal_id="T000001",
            plate="陕A·D2345",
        )
        idle = Device(
            org_id=org.id,
            kind=DeviceKind.JT808,
            identifier=idle_phone,
            terminal_id="T000002",
            plate="陕A·F6789",
        )
        ship = Device(org_id=org.id, kind=DeviceKind.AIS, identifier=mmsi)
        session.add_all([truck, idle, ship])
        vessel = Vehicle(org_id=org.id, kind=VehicleKind.VESSEL, reference=mmsi)
        session.add(vessel)
        await session.flush()
        session.add(
            DeviceBinding(
                device_id=ship.id, vehicle_id=vessel.id, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
            )
        )
        await session.commit()
    lines: list[str] = []
    sim = Simulator(
        SimulatorConfig(
            seed_dir=seed_dir,
            trace_path=TRACE,
            gateway_port=gateway.port,
            interval_s=0.25,
            speedup=20,
            ais_port=0,
        ),
        say=lines.append,
    )
    sim.add_demo_devices(load_demo_devices(seed_dir))
    assert [t.identity.phone for t in sim.terminals] == [truck_phone]  # the non-simulated row is left alone
    feed = await sim.start_feed()
    assert feed is not None
    ais = AisFeedClient(pipeline, sessionmaker, feed.host, feed.port, batch_ms=50)
    stop_ais = asyncio.Event()
    ais_task = asyncio.create_task(ais.run(stop_ais))
    await run_for(sim, 3.5)
    stop_ais.set()
    await asyncio.wait_for(ais_task, 10)

    stats = sim.stats
    assert stats.acked >= 4 and stats.refused == 0 and stats.registration_refused == 0
    assert any("reports acked" in line for line in lines)
    assert await count_rows(sessionmaker, truck.id) == stats.acked
    assert await count_rows(sessionmaker, idle.id) == 0
    assert await count_rows(sessionmaker, ship.id) >= 1
    async with sessionmaker() as session:
        rows = list(await session.scalars(select(Position).where(Position.device_id == truck.id)))
        truck_row = await session.get(Device, truck.id)
        vessel_row = await session.get(Vehicle, vessel.id)
    assert truck_row is not None and truck_row.auth_code and truck_row.registered_at is not None
    assert all(distance_m(r.lat, r.lon, *XIAN) <= YARD_RADIUS_M + 50 for r in rows)  # waiting in Xi'an
    assert vessel_row is not None and vessel_row.name and vessel_row.imo == str(imo_for(mmsi))
    async with sessionmaker() as session:
        await session.execute(delete(Vehicle).where(Vehicle.id == vessel.id))
        await session.execute(delete(Device).where(Device.id.in_([truck.id, idle.id, ship.id])))
        await session.commit()


async def test_terminals_resend_what_was_not_acknowledged_after_the_gateway_returns(
    pipeline: Pipeline, sessionmaker: Maker, seed_dir: Path
) -> None:
    identities = await provision_terminals(sessionmaker, 5, first=random.randrange(1_000_000, 9_000_000))
    gw = Gateway(pipeline, sessionmaker, port=0)
    await gw.start()
    port = gw.port
    sim = Simulator(
        SimulatorConfig(seed_dir=seed_dir, trace_path=TRACE, gateway_port=port, interval_s=0.2, speedup=10),
        say=lambda _: None,
    )
    for identity in identities:
        sim.add_terminal(identity)
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop, progress_every_s=0.5))
    await asyncio.sleep(1.5)
    await gw.stop()  # the gateway goes away; terminals keep positions and retry
    await asyncio.sleep(2.0)
    assert sum(len(t.unacked) for t in sim.terminals) > 0
    gw = Gateway(pipeline, sessionmaker, port=port)
    await gw.start()
    await asyncio.sleep(4.0)
    stop.set()
    await asyncio.wait_for(task, 15)
    await gw.stop()
    stats = sim.stats
    assert stats.resent > 0 and stats.disconnects >= 5
    async with sessionmaker() as session:
        ids = (
            await session.scalars(
                select(Device.id).where(Device.identifier.in_([i.phone for i in identities]))
            )
        ).all()
        stored = await session.scalar(
            select(func.count()).select_from(Position).where(Position.device_id.in_(ids))
        )
    # Every report made was stored: acknowledged live, or resent as a blind-area batch.
    assert stored == stats.acked + stats.resent
    assert sum(len(t.unacked) for t in sim.terminals) == 0


async def test_provisioning_is_idempotent(sessionmaker: Maker) -> None:
    first = random.randrange(1_000_000, 9_000_000)
    a = await provision_terminals(sessionmaker, 3, first=first)
    b = await provision_terminals(sessionmaker, 3, first=first)
    assert a == b and all(i.phone.startswith(FLEET_PHONE_PREFIX) and len(i.phone) == 11 for i in a)
    async with sessionmaker() as session:
        n = await session.scalar(
            select(func.count()).select_from(Device).where(Device.identifier.in_([i.phone for i in a]))
        )
    assert n == 3


async def test_operator_changes_a_simulated_terminals_report_interval(
    gateway: Gateway, sessionmaker: Maker, seed_dir: Path
) -> None:
    (identity,) = await provision_terminals(sessionmaker, 1, first=random.randrange(1_000_000, 9_000_000))
    sim = Simulator(
        SimulatorConfig(seed_dir=seed_dir, gateway_port=gateway.port, interval_s=0.2), say=lambda _: None
    )
    sim.add_terminal(identity)
    stop = asyncio.Event()
    task = asyncio.create_task(sim.run(stop, progress_every_s=1))
    for _ in range(100):
        if gateway.session_of(identity.phone) is not None:
            break
        await asyncio.sleep(0.05)
    answer = await gateway.set_report_interval(identity.phone, 30)
    assert answer.result == 0
    acked = sim.stats.acked
    await asyncio.sleep(1.0)
    assert sim.stats.acked <= acked + 1  # now every 30 s instead of every 0.2 s
    stop.set()
    await asyncio.wait_for(task, 10)


def test_yidan_simulate_command(settings: Settings, seed_dir: Path) -> None:
    """`yidan simulate --with-gateway` end to end in its own process, on the test database."""
    env = {
        **os.environ,
        "YIDAN_DATABASE_URL": settings.database_url or "",
        "YIDAN_REDIS_URL": settings.redis_url or "",
        "YIDAN_DATA_DIR": str(settings.data_dir),
        "YIDAN_SEED_DIR": str(seed_dir),
        "YIDAN_JWT_SECRET": "simulate-test",
    }
    code = "import sys; from yidan.cli import main; sys.exit(main(sys.argv[1:]))"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "simulate",
            "--with-gateway",
            "--gateway-port",
            "0",
            "--ais-port",
            "-1",
            "--terminals",
            "3",
            "--interval",
            "0.5",
            "--duration",
            "4",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "simulating 3 JT/T 808 terminals" in out.stdout
    last = [ln for ln in out.stdout.splitlines() if "reports acked" in ln][-1]
    assert int(last.split("·")[1].split("reports acked")[0]) >= 3, last
