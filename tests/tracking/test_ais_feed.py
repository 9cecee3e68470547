"""The AIS feed client against a tiny TCP server replaying the real receiver feed of the corpus."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.identity.principal import OrgKind
from yidan.tracking.ais_feed import AisFeedClient
from yidan.tracking.decoders.ais import decode_feed
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, Position, Vehicle, VehicleKind
from yidan.tracking.pipeline import Pipeline

AIS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "ais"
FEED = AIS / "pyais_nmea_data_sample.txt"  # 897 lines from a real receiver network (aishub)
SENTENCES = AIS / "ais_sentences.txt"
pytestmark = pytest.mark.skipif(not FEED.is_file(), reason=f"AIS corpus not found at {AIS}")

Maker = async_sessionmaker[AsyncSession]


def feed_lines(path: Path) -> list[str]:
    return [
        ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    ]


def positions_in(lines: list[str]) -> dict[str, list[tuple[float, float]]]:
    """Per MMSI, the positions the feed carries (decoded independently of the client)."""
    out: dict[str, list[tuple[float, float]]] = {}
    for result in decode_feed(lines, received_at=datetime.now(UTC)):
        for fix in result.fixes:
            out.setdefault(fix.device_id, []).append((fix.lat, fix.lon))
    return out


class FeedServer:
    """Serves lines over TCP; each connection gets the next slice, then the server waits or hangs up."""

    def __init__(self, slices: list[list[str]], *, hang_up: bool) -> None:
        self.slices = slices
        self.hang_up = hang_up
        self.connections = 0
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> FeedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        self._writers.append(writer)
        if index < len(self.slices):
            # Receivers end lines with CRLF and write in arbitrary chunks: split lines across writes.
            data = "".join(f"{ln}\r\n" for ln in self.slices[index]).encode()
            for start in range(0, len(data), 1000):
                writer.write(data[start : start + 1000])
                await writer.drain()
        if self.hang_up:
            writer.close()

    async def __aexit__(self, *exc: object) -> None:
        for writer in self._writers:
            writer.close()
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def pipeline(sessionmaker: Maker) -> AsyncIterator[Pipeline]:
    p = Pipeline(sessionmaker, batch_ms=5)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def vessels(sessionmaker: Maker, factory) -> AsyncIterator[Callable]:  # type: ignore[no-untyped-def]
    """Provision AIS devices (and vessel rows) for MMSIs; removed again afterwards."""
    org = await factory.org(OrgKind.CARRIER)
    made: list[uuid.UUID] = []
    made_vehicles: list[uuid.UUID] = []

    async def make(mmsi: str, *, vehicle: bool = False) -> Device:
        async with sessionmaker() as session:
            device = Device(org_id=org.id, kind=DeviceKind.AIS, identifier=mmsi, simulated=False)
            session.add(device)
            if vehicle:
                v = Vehicle(org_id=org.id, kind=VehicleKind.VESSEL, reference=mmsi)
                session.add(v)
                await session.flush()
                session.add(
                    DeviceBinding(
                        device_id=device.id, vehicle_id=v.id, valid_from=datetime(2020, 1, 1, tzinfo=UTC)
                    )
                )
                made_vehicles.append(v.id)
            await session.commit()
            made.append(device.id)
            return device

    yield make
    async with sessionmaker() as session:
        await session.execute(delete(Device).where(Device.id.in_(made)))
        await session.execute(delete(Vehicle).where(Vehicle.id.in_(made_vehicles)))
        await session.commit()


async def rows_of(maker: Maker, device_id: uuid.UUID) -> list[Position]:
    async with maker() as session:
        return list(await session.scalars(select(Position).where(Position.device_id == device_id)))


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 15.0) -> None:
    """Poll the client's counters (they have no event to wait on) until the predicate holds."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def run_client(client: AisFeedClient) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(client.run(stop))


async def test_real_feed_fixes_are_stored_for_a_known_mmsi(
    pipeline: Pipeline, sessionmaker: Maker, vessels
) -> None:  # type: ignore[no-untyped-def]
    lines = feed_lines(FEED)
    expected = positions_in(lines)
    busiest = max(expected, key=lambda m: len(expected[m]))  # 237836700 reports 32 times
    device = await vessels(busiest)
    # SY-LUNDE sends only a type 24 static report (name, no position) in this feed.
    lunde = await vessels("244270489", vehicle=True)
    async with FeedServer([lines], hang_up=False) as server:
        client = AisFeedClient(pipeline, sessionmaker, "127.0.0.1", server.port, batch_size=100, batch_ms=50)
        stop, task = await run_client(client)
        tracked = len(expected[busiest])
        await wait_for(lambda: client.stats.fixes_submitted >= tracked and client.stats.lines >= len(lines))
        stop.set()
        await asyncio.wait_for(task, 10)
    s = client.stats
    assert (
        s.fixes_submitted == tracked
        and s.fixes_stored + s.fixes_duplicate == tracked
        and s.fixes_rejected == 0
    )
    assert s.fixes_untracked == sum(len(v) for v in expected.values()) - tracked
    rows = await rows_of(sessionmaker, device.id)
    assert 1 <= len(rows) == s.fixes_stored  # same-second reports of one vessel collapse into one row
    assert all((r.lat, r.lon) in expected[busiest] and r.source == "ais" for r in rows)
    async with sessionmaker() as session:
        vessel = await session.scalar(select(Vehicle).where(Vehicle.reference == "244270489"))
        seen = await session.get(Device, device.id)
    assert vessel is not None and vessel.name == "SY-LUNDE"
    assert seen is not None and seen.last_seen_at is not None
    assert lunde.id


async def test_static_data_name_and_imo_land_on_the_vessel(
    pipeline: Pipeline, sessionmaker: Maker, vessels
) -> None:  # type: ignore[no-untyped-def]
    lines = feed_lines(SENTENCES)  # holds EVER DIADEM's type 5 (IMO 9134270) among others
    await vessels("351759000", vehicle=True)
    async with FeedServer([lines], hang_up=False) as server:
        client = AisFeedClient(pipeline, sessionmaker, "127.0.0.1", server.port, batch_ms=20)
        stop, task = await run_client(client)
        await wait_for(lambda: client.stats.statics_applied >= 2)
        stop.set()
        await asyncio.wait_for(task, 10)
    async with sessionmaker() as session:
        vessel = await session.scalar(select(Vehicle).where(Vehicle.reference == "351759000"))
    assert vessel is not None and (vessel.name, vessel.imo) == ("EVER DIADEM", "9134270")


async def test_reconnects_with_backoff_and_loses_no_line(
    pipeline: Pipeline, sessionmaker: Maker, vessels
) -> None:  # type: ignore[no-untyped-def]
    lines = feed_lines(FEED)
    expected = positions_in(lines)
    top = sorted(expected, key=lambda m: -len(expected[m]))[:3]
    for mmsi in top:
        await vessels(mmsi)
    half = len(lines) // 2
    # The first connection delivers half the feed and hangs up; the client comes back for the rest.
    async with FeedServer([lines[:half], lines[half:]], hang_up=True) as server:
        client = AisFeedClient(
            pipeline,
            sessionmaker,
            "127.0.0.1",
            server.port,
            batch_ms=20,
            backoff_initial_s=0.05,
            backoff_max_s=0.2,
        )
        stop, task = await run_client(client)
        want = sum(len(expected[m]) for m in top)
        await wait_for(lambda: client.stats.fixes_submitted >= want and client.stats.connections >= 2)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert client.stats.fixes_submitted == want and client.stats.fixes_rejected == 0
    assert server.connections >= 2


async def test_garbage_and_overlong_lines_are_skipped(
    pipeline: Pipeline, sessionmaker: Maker, vessels
) -> None:  # type: ignore[no-untyped-def]
    lines = feed_lines(FEED)[:100]
    expected = positions_in(lines)
    mmsi = max(expected, key=lambda m: len(expected[m]))
    await vessels(mmsi)
    noisy = ["junk", "!AIVDM," + "x" * 5000, *lines[:50], "$GPGGA,not,ais*00", "\x00\x01\x02", *lines[50:]]
    async with FeedServer([noisy], hang_up=False) as server:
        client = AisFeedClient(pipeline, sessionmaker, "127.0.0.1", server.port, batch_ms=20)
        stop, task = await run_client(client)
        await wait_for(
            lambda: client.stats.fixes_submitted >= len(expected[mmsi]) and client.stats.lines >= 100
        )
        stop.set()
        await asyncio.wait_for(task, 10)
    assert client.stats.overlong_lines >= 1
    assert client.stats.fixes_submitted == len(expected[mmsi])


async def test_no_feed_means_retrying_not_crashing(pipeline: Pipeline, sessionmaker: Maker) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens on `port` now
    client = AisFeedClient(
        pipeline, sessionmaker, "127.0.0.1", port, backoff_initial_s=0.02, backoff_max_s=0.05
    )
    stop, task = await run_client(client)
    await asyncio.sleep(0.5)
    assert not task.done() and client.stats.connections == 0
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
