"""Gate fixtures: a terminal of its own with an operator, a gate with lanes and slots, and a waybill to book."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Account, Factory, waybill_body
from yidan.core.clock import utcnow
from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind, Role
from yidan.locations.models import Gate, Terminal
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, LatestPosition, Vehicle, VehicleKind
from yidan.waybills.identifiers import iso6346_check_digit

# Xi'an, where the test waybill's TRUCK leg begins and ends; each world gets its own gate squares here
XIAN_LON, XIAN_LAT = 108.94, 34.34
SQUARE = 0.002  # degrees: about 180 m × 220 m


def container(serial: int | None = None, owner: str = "TGTU") -> str:
    """A valid ISO 6346 container number."""
    digits = f"{serial if serial is not None else random.randrange(10**6):06d}"
    check = iso6346_check_digit(owner + digits) % 10
    return f"{owner}{digits}{check}"


def plate() -> str:
    """A valid Shaanxi truck plate, different in every test."""
    return f"陕A{random.randrange(10**5):05d}"


def ring(lon: float, lat: float) -> list[list[float]]:
    """A closed square geofence with (lon, lat) as its south-west corner."""
    return [[lon, lat], [lon + SQUARE, lat], [lon + SQUARE, lat + SQUARE], [lon, lat + SQUARE], [lon, lat]]


PLAIN_CARGO = [{"description": "Machine parts", "packages": 10, "gross_weight_kg": 5000}]


@dataclass
class World:
    """One terminal operator's gates and everything a test books and scans there."""

    client: AsyncClient
    factory: Factory
    maker: async_sessionmaker[AsyncSession]
    operator_org: Organisation
    gate_op: Account
    terminal: str
    gate: str
    gate2: str
    origin: tuple[float, float]
    carriers: list[Organisation] = field(default_factory=list)
    trucker: Account | None = None
    shipper: Account | None = None
    dispatchers: dict[int, Account] = field(default_factory=dict)

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the main gate's geofence (lon, lat)."""
        return self.origin[0] + SQUARE / 2, self.origin[1] + SQUARE / 2

    async def slot(
        self, starts_in_min: float = -30, minutes: int = 60, capacity: int = 10, gate: str | None = None
    ) -> dict[str, Any]:
        """Publish one slot and return it."""
        start = (utcnow() + timedelta(minutes=starts_in_min)).replace(microsecond=0)
        r = await self.client.post(
            f"/api/v1/gates/{gate or self.gate}/slots",
            json={
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
                "capacity": capacity,
            },
            headers=self.gate_op.headers,
        )
        assert r.status_code == 201, r.text
        return r.json()[0]

    async def waybill(
        self, *, dg: bool = False, containers: list[str] | None = None, progress: str = "rail_arrived"
    ) -> dict[str, Any]:
        """A booked Ningbo → Qingdao → Xi'an → (truck) waybill moved along to `progress`."""
        assert self.shipper and self.trucker
        boxes = containers or [container()]
        extra: dict[str, Any] = {"book": True, "equipment": [{"container_number": c} for c in boxes]}
        if not dg:
            extra["cargo_lines"] = PLAIN_CARGO
        r = await self.client.post(
            "/api/v1/waybills",
            json=waybill_body([c.id for c in self.carriers], **extra),
            headers=self.shipper.headers,
        )
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        steps = {"booked": [], "rail_arrived": ["DEPA 1", "ARRI 1", "DEPA 2", "ARRI 2"]}
        steps["truck_departed"] = [*steps["rail_arrived"], "DEPA 3"]
        when = utcnow() - timedelta(hours=10)
        for step in steps[progress]:
            code, seq = step.split()
            when += timedelta(hours=1)
            if int(seq) not in self.dispatchers:
                carrier = self.carriers[int(seq) - 1]
                self.dispatchers[int(seq)] = await self.factory.account(Role.DISPATCHER, org=carrier)
            dispatcher = self.dispatchers[int(seq)]
            r = await self.client.post(
                f"/api/v1/waybills/{number}/events",
                json={
                    "event_type": "TRANSPORT",
                    "event_code": code,
                    "classifier": "ACT",
                    "event_time": when.isoformat(),
                    "leg_seq": int(seq),
                },
                headers=dispatcher.headers,
            )
            assert r.status_code == 201, r.text
        return {"number": number, "containers": boxes}

    async def book(
        self,
        slot: dict[str, Any],
        wb: dict[str, Any],
        *,
        kind: str = "pickup",
        truck: str | None = None,
        box: str | None = None,
        who: Account | None = None,
        expect: int = 201,
    ) -> Response:
        """Book an appointment for the truck leg (leg 3)."""
        r = await self.client.post(
            "/api/v1/gates/appointments",
            json={
                "waybill_number": wb["number"],
                "leg_seq": 3,
                "kind": kind,
                "slot_id": slot["id"],
                "truck_plate": truck or plate(),
                "driver": {"name": "王师傅", "phone": "+86 139 1234 5678", "licence": "610102199001011234"},
                "container_number": box or wb["containers"][0],
            },
            headers=(who or self.trucker).headers,  # type: ignore[union-attr]
        )
        if expect:
            assert r.status_code == expect, r.text
        return r

    async def scan(
        self,
        token: str,
        plate_read: str,
        *,
        direction: str = "in",
        box: str | None = None,
        lane: str | None = None,
        gate: str | None = None,
        who: Account | None = None,
        expect: int = 201,
    ) -> dict[str, Any]:
        """Scan a pass at a lane of the gate."""
        r = await self.client.post(
            f"/api/v1/gates/{gate or self.gate}/scans",
            json={
                "token": token,
                "plate": plate_read,
                "container": box,
                "lane": lane or ("1" if direction == "in" else "2"),
                "direction": direction,
            },
            headers=(who or self.gate_op).headers,
        )
        assert r.status_code == expect, r.text
        return r.json()

    async def track(self, truck: str, lon: float, lat: float, *, age_s: float = 5) -> None:
        """Register the truck with a bound tracking device whose latest fix is at (lon, lat), age_s old."""
        now = utcnow()
        async with self.maker() as session:
            org = self.carriers[2].id
            vehicle = Vehicle(id=uuid.uuid4(), org_id=org, kind=VehicleKind.TRUCK, reference=truck)
            device = Device(
                id=uuid.uuid4(),
                org_id=org,
                kind=DeviceKind.JT808,
                identifier=f"{random.randrange(10**11):012d}",
            )
            session.add_all([vehicle, device])
            await session.flush()
            session.add(
                DeviceBinding(device_id=device.id, vehicle_id=vehicle.id, valid_from=now - timedelta(days=1))
            )
            fix = now - timedelta(seconds=age_s)
            session.add(
                LatestPosition(
                    device_id=device.id, fix_time=fix, received_at=fix, lat=lat, lon=lon, source="jt808"
                )
            )
            await session.commit()


@pytest.fixture
async def world(
    client: AsyncClient, factory: Factory, sessionmaker: async_sessionmaker[AsyncSession]
) -> World:
    """A terminal at Xi'an run by its own operator, two gates with lanes, carriers, a shipper and a trucker."""
    operator_org = await factory.org(OrgKind.TERMINAL)
    code = f"T{uuid.uuid4().hex[:8].upper()}"
    # each world's gates sit in their own spot, so one world's fixes never fall in another's geofence
    origin = (XIAN_LON + random.uniform(-0.3, 0.3), XIAN_LAT + random.uniform(-0.3, 0.3))
    async with sessionmaker() as session:
        session.add(
            Terminal(
                code=code,
                unlocode="CNXIA",
                name=f"Test terminal {code}",
                name_zh="测试码头",
                kind="rail_terminal",
                lat=origin[1],
                lon=origin[0],
                operator_org_id=operator_org.id,
            )
        )
        await session.flush()
        for suffix, (lon, lat) in (("G1", origin), ("G2", (origin[0] + 0.01, origin[1]))):
            session.add(
                Gate(
                    code=f"{code}-{suffix}",
                    terminal_code=code,
                    name=f"Gate {suffix}",
                    name_zh="闸口",
                    lanes=3,
                    geofence={"type": "Polygon", "coordinates": [ring(lon, lat)]},
                )
            )
        await session.commit()
    gate_op = await factory.account(Role.GATE_OPERATOR, org=operator_org)
    w = World(
        client=client,
        factory=factory,
        maker=sessionmaker,
        operator_org=operator_org,
        gate_op=gate_op,
        terminal=code,
        gate=f"{code}-G1",
        gate2=f"{code}-G2",
        origin=origin,
    )
    for gate in (w.gate, w.gate2):
        r = await client.put(
            f"/api/v1/gates/{gate}/lanes",
            json={
                "lanes": [
                    {"code": "1", "direction": "in"},
                    {"code": "2", "direction": "out"},
                    {"code": "3", "direction": "both"},
                ]
            },
            headers=gate_op.headers,
        )
        assert r.status_code == 200, r.text
    w.carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    w.trucker = await factory.account(Role.DISPATCHER, org=w.carriers[2])
    w.shipper = await factory.account(Role.SHIPPER)
    return w


async def set_leg_status(maker: async_sessionmaker[AsyncSession], number: str, seq: int, status: str) -> None:
    """Force a leg's status (for states the API reaches only through many steps)."""
    from yidan.waybills.lifecycle import LegStatus
    from yidan.waybills.models import Leg, Waybill

    async with maker() as session:
        wid = (await session.execute(Waybill.__table__.select().where(Waybill.number == number))).first()
        assert wid is not None
        await session.execute(
            update(Leg).where(Leg.waybill_id == wid.id, Leg.seq == seq).values(status=LegStatus(status))
        )
        await session.commit()


def later(minutes: float) -> datetime:
    """A moment some minutes from now."""
    return utcnow() + timedelta(minutes=minutes)
