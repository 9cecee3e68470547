"""The demo seed gives the seeded terminals working gates: slots, appointments and passes that scan."""

import psycopg
import pytest
from sqlalchemy import func, select

from tests.conftest import SEED_DIR
from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import to_libpq_url
from yidan.core.migrate import upgrade
from yidan.gates import passes, scans
from yidan.gates.config import config_for
from yidan.gates.models import GateAppointment, GateLane, GateSlot
from yidan.gates.schemas import ScanIn
from yidan.identity.models import Organisation
from yidan.identity.principal import Principal, Role
from yidan.seed import seed_all


@pytest.fixture
async def fresh_db(servers):
    """A separate database: the demo tenants have fixed names."""
    admin = servers[0]
    name = "yidan_gatedemo_" + __import__("uuid").uuid4().hex[:8]
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    upgrade(url)
    engine = make_engine(url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_demo_gates_are_seeded_once_and_admit_a_truck(fresh_db, settings):
    async with fresh_db() as session:
        first = await seed_all(session, SEED_DIR)
        await session.commit()
    assert first.gate_appointments == 3
    async with fresh_db() as session:
        second = await seed_all(session, SEED_DIR)
        await session.commit()
    assert second.gate_appointments == 0 and second.waybills == 0
    async with fresh_db() as session:
        assert await session.scalar(select(func.count()).select_from(GateAppointment)) == 3
        assert await session.scalar(select(func.count()).where(GateSlot.gate_code == "CNNGB-NBCT-G1")) >= 48
        assert await session.scalar(select(func.count()).where(GateLane.gate_code == "CNNGB-NBCT-G1")) == 14
        beilun = await session.scalar(
            select(Organisation).where(Organisation.name == "Ningbo Beilun Terminal Operations")
        )
        operator = Principal(org_id=beilun.id, org_kind=beilun.kind, role=Role.GATE_OPERATOR, label="gate")
        cfg = config_for(settings, "secret")
        export = await session.scalar(
            select(GateAppointment).where(GateAppointment.truck_plate == "浙B3K721")
        )
        gate_pass = await passes.active_pass(session, export.id)
        scan = ScanIn(
            token=passes.token_for(gate_pass, cfg),
            plate="浙B·3K721",
            container=export.container_number,
            lane="1",
            direction="in",
        )
        answer = await scans.scan(session, operator, "CNNGB-NBCT-G1", scan, cfg)
        await session.commit()
    assert answer.result.value == "admit", answer.reasons
