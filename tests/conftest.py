"""Test fixtures: a fresh database on a real PostgreSQL and a real Redis, the app, and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

import psycopg
import pytest
import redis as redis_sync
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.app import create_app
from yidan.core.embedded import EmbeddedServices, start_postgres, start_redis, to_libpq_url, to_sqlalchemy_url
from yidan.core.migrate import upgrade
from yidan.identity import service as identity
from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind, Role
from yidan.settings import PROJECT_ROOT, Settings

SEED_DIR = PROJECT_ROOT / "seed_data"
CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
PASSWORD = "correct-horse-battery"


def _pg_answers(url: str) -> bool:
    try:
        with psycopg.connect(to_libpq_url(url), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis_sync.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis_sync.RedisError:
        return False


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """A PostgreSQL admin URL and a Redis URL: configured, on localhost, or embedded (in that order)."""
    embedded = EmbeddedServices()
    data_dir = PROJECT_ROOT / ".data" / "test"
    pg = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    if not _pg_answers(pg):
        pg = start_postgres(data_dir, "postgres", embedded)
    rd = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/13"
    if not _redis_answers(rd):
        rd = start_redis(data_dir, embedded)
    yield to_sqlalchemy_url(pg), rd
    embedded.stop()


@pytest.fixture(scope="session")
def database_url(servers: tuple[str, str]) -> Iterator[str]:
    """A new database for this test run, migrated with the real migrations."""
    admin = servers[0]
    name = f"yidan_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    upgrade(url)
    yield url
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(
    database_url: str, servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """Settings pointing at the test servers."""
    return Settings(
        database_url=database_url,
        redis_url=servers[1],
        data_dir=tmp_path_factory.mktemp("data"),
        jwt_secret="test-secret-" + uuid.uuid4().hex * 2,
        frontend_dist=Path("/nonexistent"),
        # tests send webhooks with explicit worker passes, never from a loop in the background
        webhooks_deliver_in_app=False,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings):  # type: ignore[no-untyped-def]
    """The application with its lifespan running, reference data loaded."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        async with application.state.sessionmaker() as session:
            from yidan.seed import SeedReport, seed_reference

            if (SEED_DIR / "locations.csv").exists():
                await seed_reference(session, SEED_DIR, SeedReport())
            await session.commit()
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncClient]:  # type: ignore[no-untyped-def]
    """An HTTP client talking to the app in-process."""
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def sessionmaker(app) -> async_sessionmaker[AsyncSession]:  # type: ignore[no-untyped-def]
    """Sessions on the test database."""
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@dataclass
class Account:
    """A factory-made user with an access token."""

    org: Organisation
    email: str
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization headers."""
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    """Makes isolated tenants and users so tests never share data."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], client: AsyncClient):
        self.maker = maker
        self.client = client

    async def org(self, kind: OrgKind = OrgKind.SHIPPER, name: str | None = None) -> Organisation:
        """A new organisation."""
        async with self.maker() as session:
            org = await identity.create_organisation(
                session, name=name or f"{kind.value}-{uuid.uuid4().hex[:8]}", kind=kind
            )
            await session.commit()
            return org

    async def account(
        self, role: Role = Role.SHIPPER, org: Organisation | None = None, kind: OrgKind | None = None
    ) -> Account:
        """A new user (in a new organisation unless given) logged in through the API."""
        if org is None:
            default_kind = {
                Role.SHIPPER: OrgKind.SHIPPER,
                Role.DISPATCHER: OrgKind.CARRIER,
                Role.GATE_OPERATOR: OrgKind.TERMINAL,
                Role.PORT_OPERATOR: OrgKind.TERMINAL,
                Role.REGULATOR: OrgKind.REGULATOR,
                Role.FINANCE: OrgKind.CARRIER,
                Role.PARTNER_ADMIN: OrgKind.CARRIER,
                Role.ADMIN: OrgKind.SHIPPER,
            }[role]
            org = await self.org(kind or default_kind)
        email = f"{role.value}-{uuid.uuid4().hex[:10]}@test.yidan"
        async with self.maker() as session:
            await identity.create_user(
                session, org_id=org.id, email=email, name=email, role=role, password=PASSWORD
            )
            await session.commit()
        r = await self.client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return Account(org=org, email=email, role=role, token=r.json()["access_token"])


@pytest.fixture
def factory(sessionmaker: async_sessionmaker[AsyncSession], client: AsyncClient) -> Factory:
    """The data factory."""
    return Factory(sessionmaker, client)


CHINA = timezone(timedelta(hours=8))


def days_ahead(days: int, hour: int = 8, tz: tzinfo = CHINA) -> datetime:
    """That many days from today at a whole hour: timetables that stay ahead of now as the calendar moves."""
    today = datetime.now(tz).date()
    return datetime(today.year, today.month, today.day, hour, tzinfo=tz) + timedelta(days=days)


def waybill_body(
    carrier_ids: list[uuid.UUID], *, departs_in_days: int = 7, **extra: object
) -> dict[str, object]:
    """A valid Ningbo → (VESSEL) → Qingdao → (RAIL) → Xi'an → (TRUCK) → warehouse booking body.

    The vessel leaves at 08:00 Beijing time `departs_in_days` from today; the train two days later, then
    the truck, so that a booking is always in the future however the calendar has moved.
    """
    d = departs_in_days
    times = [(d, 8, d + 2, 8), (d + 3, 8, d + 5, 8), (d + 5, 12, d + 5, 18)]
    places = [("VESSEL", "CNNGB", "CNTAO"), ("RAIL", "CNTAO", "CNXIA"), ("TRUCK", "CNXIA", "CNXIA")]
    route = [
        (mode, frm, to, days_ahead(dd, dh).isoformat(), days_ahead(ad, ah).isoformat())
        for (mode, frm, to), (dd, dh, ad, ah) in zip(places, times, strict=True)
    ]
    vehicles = [
        {"vessel_name": "DONGHAI PIONEER", "voyage": "026N", "mmsi": "413000001"},
        {"train_number": "X8158"},
        {"truck_plate": "陕A·D2345"},
    ]
    legs = [
        {
            "mode": mode,
            "carrier_id": str(carrier_ids[i % len(carrier_ids)]),
            "vehicle": vehicles[i],
            "from_unlocode": frm,
            "to_unlocode": to,
            "planned_departure": dep,
            "planned_arrival": arr,
        }
        for i, (mode, frm, to, dep, arr) in enumerate(route)
    ]
    legs[-1]["to_address"] = "Consignee warehouse 3, Xi'an"
    body: dict[str, object] = {
        "consignee": {"name": "Shaanxi Consignee Co.", "address": "Xi'an"},
        "cargo_lines": [
            {"description": "Machine parts", "hs_code": "8466.93", "packages": 10, "gross_weight_kg": 5000.5},
            {
                "description": "Lubricant",
                "packages": 4,
                "gross_weight_kg": 800,
                "un_number": "UN1993",
                "dg_class": "3",
                "packing_group": "III",
            },
        ],
        "equipment": [{"container_number": "CSQU3054383", "size_type": "45G1", "seals": ["S1"]}],
        "legs": legs,
    }
    body.update(extra)
    return body
