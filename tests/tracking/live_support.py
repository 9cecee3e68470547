"""Helpers for the tests of what follows storage: booked waybills, vehicles with devices, stored fixes, a
TCP proxy that can cut Redis off, the real trace, and the app served by uvicorn on an ephemeral port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from httpx import AsyncClient
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload
from tests.conftest import CORPORA, waybill_body
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from yidan.identity.principal import OrgKind, Role
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.eta import TrackPoint
from yidan.tracking.models import (
    Device,
    DeviceBinding,
    DeviceKind,
    LatestPosition,
    LegAssignment,
    Position,
    Vehicle,
    VehicleKind,
)
from yidan.tracking.stored import FixFlag, LegRef, StoredFix
from yidan.waybills.models import Event, Waybill

Maker = async_sessionmaker[AsyncSession]

# Seeded terminals (seed_data/terminals.csv) and a point of each gate polygon (gates.csv).
NBCT = (29.9370, 121.8560)
NBCT_GATE1 = (29.9307, 121.8560)
QQCT = (36.0300, 120.2100)
XIPS = (34.4300, 109.0700)
XIAN = (34.3416, 108.9398)
EAST_CHINA_SEA = (29.9500, 122.3000)
YELLOW_SEA = (35.5000, 121.0000)


def digits(n: int) -> str:
    """n random digits, never starting with zero."""
    return str(random.randint(1, 9)) + "".join(random.choices("0123456789", k=n - 1))


@dataclass
class Booked:
    """A booked waybill, its legs by number, and who can see it."""

    number: str
    id: uuid.UUID
    legs: dict[int, uuid.UUID]
    modes: dict[int, str]
    shipper_headers: dict[str, str]
    carrier_org_id: uuid.UUID
    mmsi: str

    def ref(self, seq: int) -> LegRef:
        """The pipeline's reference to one leg."""
        return LegRef(self.legs[seq], seq, self.modes[seq], self.id, self.number)


async def book(client: AsyncClient, factory: Any, *, route: str = "terminals") -> Booked:
    """A booked waybill: `terminals` = NBCT → QQCT (vessel) → Xi'an International Port (rail);
    `conftest` = the shared three-leg booking (places only, the truck leg ends where it starts)."""
    carrier = await factory.org(OrgKind.CARRIER)
    shipper = await factory.account(Role.SHIPPER)
    body = waybill_body([carrier.id], book=True)
    legs: list[dict[str, Any]] = body["legs"]  # type: ignore[assignment]
    vessel_mmsi = digits(9)
    legs[0]["vehicle"] = {**legs[0]["vehicle"], "mmsi": vessel_mmsi}
    if route == "terminals":
        legs[0].update(from_terminal="CNNGB-NBCT", to_terminal="CNTAO-QQCT")
        legs[1].update(from_terminal="CNTAO-QQCT", to_unlocode="CNXAG", to_terminal="CNXAG-XIPS")
        del legs[2]
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "booked"
    async with factory.maker() as session:
        waybill = await session.scalar(
            select(Waybill).where(Waybill.number == out["number"]).options(selectinload(Waybill.legs))
        )
        assert waybill is not None
        return Booked(
            number=waybill.number,
            id=waybill.id,
            legs={leg.seq: leg.id for leg in waybill.legs},
            modes={leg.seq: leg.mode.value for leg in waybill.legs},
            shipper_headers=shipper.headers,
            carrier_org_id=carrier.id,
            mmsi=vessel_mmsi,
        )


@dataclass
class Carrier:
    """A vehicle with one tracking device mounted on it."""

    vehicle_id: uuid.UUID
    reference: str
    device_id: uuid.UUID
    identifier: str
    source: str


async def vehicle(
    maker: Maker,
    org_id: uuid.UUID,
    kind: VehicleKind = VehicleKind.VESSEL,
    *,
    since: datetime,
    reference: str | None = None,
) -> Carrier:
    """A vehicle of the organisation with a device bound to it since `since`."""
    device_kind = DeviceKind.AIS if kind in (VehicleKind.VESSEL, VehicleKind.BARGE) else DeviceKind.JT808
    ident = digits(9) if device_kind is DeviceKind.AIS else "1" + digits(10)
    ref = reference or (ident if device_kind is DeviceKind.AIS else f"T{digits(7)}")
    async with maker() as session:
        v = Vehicle(org_id=org_id, kind=kind, reference=ref)
        d = Device(org_id=org_id, kind=device_kind, identifier=ident, simulated=False)
        session.add_all([v, d])
        await session.flush()
        session.add(DeviceBinding(device_id=d.id, vehicle_id=v.id, valid_from=since))
        await session.commit()
        return Carrier(v.id, ref, d.id, ident, device_kind.value)


async def assign(maker: Maker, leg_id: uuid.UUID, vehicle_id: uuid.UUID, since: datetime) -> None:
    """The vehicle carries the leg from `since` on."""
    async with maker() as session:
        session.add(LegAssignment(leg_id=leg_id, vehicle_id=vehicle_id, valid_from=since))
        await session.commit()


def stored(
    carrier: Carrier,
    at: datetime,
    lat: float,
    lon: float,
    legs: Sequence[LegRef],
    *,
    speed: float | None = None,
    course: float | None = None,
    flags: FixFlag = FixFlag.NONE,
) -> StoredFix:
    """A committed fix as the pipeline hands it to its listeners."""
    fix = Fix(
        device_id=carrier.identifier,
        source="ais" if carrier.source == "ais" else "jt808",
        fix_time=at,
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        course_deg=course,
    )
    return StoredFix(carrier.device_id, carrier.identifier, fix, flags, carrier.vehicle_id, tuple(legs), True)


async def store_positions(maker: Maker, fixes: Sequence[StoredFix]) -> None:
    """Write fixes into positions and latest_positions as the pipeline's writer would."""
    if not fixes:
        return
    async with maker() as session:
        await session.execute(
            insert(Position),
            [
                {
                    "device_id": sf.device_id,
                    "fix_time": sf.fix.fix_time,
                    "received_at": sf.fix.fix_time,
                    "lat": sf.fix.lat,
                    "lon": sf.fix.lon,
                    "speed_kmh": sf.fix.speed_kmh,
                    "course_deg": sf.fix.course_deg,
                    "source": sf.fix.source,
                    "flags": int(sf.flags),
                }
                for sf in fixes
            ],
        )
        newest: dict[uuid.UUID, StoredFix] = {}
        for sf in fixes:
            if sf.device_id not in newest or sf.fix.fix_time > newest[sf.device_id].fix.fix_time:
                newest[sf.device_id] = sf
        for sf in newest.values():
            values = {
                "device_id": sf.device_id,
                "fix_time": sf.fix.fix_time,
                "received_at": sf.fix.fix_time,
                "lat": sf.fix.lat,
                "lon": sf.fix.lon,
                "speed_kmh": sf.fix.speed_kmh,
                "course_deg": sf.fix.course_deg,
                "source": sf.fix.source,
            }
            stmt = pg_insert(LatestPosition).values(values)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["device_id"],
                    set_={k: stmt.excluded[k] for k in values if k != "device_id"},
                    where=LatestPosition.fix_time < stmt.excluded.fix_time,
                )
            )
        await session.commit()


async def events_of(maker: Maker, waybill_id: uuid.UUID, code: str | None = None) -> list[Event]:
    """The waybill's events in order, optionally only one code."""
    async with maker() as session:
        query = select(Event).where(Event.waybill_id == waybill_id).order_by(Event.seq)
        if code:
            query = query.where(Event.event_code == code)
        return list(await session.scalars(query))


def load_trace(name: str) -> list[TrackPoint]:
    """A real GPS trace from ../shared/corpora/traces (WKT points, local times with offsets)."""
    rows = json.loads((CORPORA / "traces" / name).read_text())
    out = []
    for row in rows:
        m = re.match(r"POINT\(([-\d.]+) ([-\d.]+)\)", row["point"])
        assert m, row
        at = datetime.strptime(row["time"], "%Y-%m-%d %H:%M:%S%z").astimezone(UTC)
        out.append(TrackPoint(at, float(m.group(2)), float(m.group(1))))
    return out


class Proxy:
    """A TCP proxy to Redis that can be cut and restored, to play Redis going away and coming back."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        """Listen (on the same port as before, after a cut)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(predicate: Callable[[], bool], wait_s: float = 5.0, step_s: float = 0.02) -> None:
    """Wait until predicate() holds; TimeoutError after wait_s."""
    async with asyncio.timeout(wait_s):
        while True:
            if predicate():
                return
            await asyncio.sleep(step_s)


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """The app (its lifespan already running) served by uvicorn on an ephemeral 127.0.0.1 port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
        sock.close()


# ---- clients of the live streams ----

SUBSCRIPTION = """
subscription Track($number: String!) {
  waybillTracking(number: $number) {
    waybillNumber legSeq mode device vehicle fixTime lat lon speedKmh courseDeg
  }
}
"""


@contextlib.asynccontextmanager
async def live_stream(url: str, number: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
    """An open SSE stream of a waybill."""
    async with (
        httpx.AsyncClient(base_url=f"http://{url}", timeout=10) as http,
        http.stream("GET", f"/api/v1/waybills/{number}/live", headers=headers) as r,
    ):
        yield r


async def sse_frames(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) frames of an SSE body; comments come as ("comment", text)."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event, "\n".join(data)
            event, data = "message", []


async def next_position(frames: AsyncIterator[tuple[str, str]], wait_s: float = 5.0) -> dict[str, Any]:
    """The next position frame's fix; AssertionError when the stream ends first."""
    async with asyncio.timeout(wait_s):
        async for event, data in frames:
            if event == "position":
                body: dict[str, Any] = json.loads(data)
                return body
    raise AssertionError("stream ended")


async def subscribe_ws(
    url: str, number: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> ClientConnection:
    """A graphql-transport-ws connection (connection_init with payload) subscribed as id "1" to a waybill."""
    ws = await connect(
        f"ws://{url}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")], additional_headers=headers
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION, "variables": {"number": number}},
            }
        )
    )
    return ws
