"""The seed loads every demo state and can run again without adding anything."""

import psycopg
import pytest
from sqlalchemy import func, select

from tests.conftest import SEED_DIR
from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import to_libpq_url
from yidan.core.migrate import upgrade
from yidan.seed import seed_all
from yidan.waybills.models import Waybill


@pytest.fixture
async def fresh_db(servers):
    """A separate, empty database: the seed's demo tenants have fixed names."""
    admin = servers[0]
    name = "yidan_seedtest_" + __import__("uuid").uuid4().hex[:8]
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


async def test_seed_is_idempotent_and_covers_every_state(fresh_db):
    async with fresh_db() as session:
        first = await seed_all(session, SEED_DIR)
        await session.commit()
    assert first.organisations >= 10 and first.users >= 9 and first.waybills >= 6
    async with fresh_db() as session:
        second = await seed_all(session, SEED_DIR)
        await session.commit()
    assert (second.organisations, second.users, second.waybills) == (0, 0, 0)
    async with fresh_db() as session:
        states = dict(
            (await session.execute(select(Waybill.status, func.count()).group_by(Waybill.status))).all()
        )
        total = await session.scalar(select(func.count()).select_from(Waybill))
    assert {s.value for s in states} == {"draft", "booked", "in_transit", "delivered", "closed", "cancelled"}
    assert total == first.waybills


async def test_demo_users_cover_every_role():
    import csv

    from yidan.identity.principal import Role

    with (SEED_DIR / "demo_users.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["role"] for r in rows} == {r.value for r in Role}
    with (SEED_DIR / "demo_organisations.csv").open(encoding="utf-8") as fh:
        kinds = [r["kind"] for r in csv.DictReader(fh)]
    for kind in ("shipper", "carrier", "terminal", "forwarder", "regulator"):
        assert kinds.count(kind) >= 2, kind
