"""Helpers for the gateway tests: provisioned terminals, raw sockets, a gated pipeline, fixes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.decoders.jt808 import FrameSplitter, Jt808Message, Jt808Version
from yidan.tracking.gateway import Gateway
from yidan.tracking.models import Device, DeviceKind, Position
from yidan.tracking.pipeline import Pipeline, SubmitReport
from yidan.tracking.terminal_client import TerminalClient, TerminalIdentity, location_body


def new_phone() -> str:
    """A random 11-digit mobile number, so tests never share a terminal."""
    return "1" + "".join(random.choices("0123456789", k=10))


async def provision(
    sessionmaker: async_sessionmaker[AsyncSession],
    org_id: uuid.UUID,
    phone: str,
    *,
    terminal_id: str | None = "T808001",
    plate: str | None = "陕A·D2345",
    auth_code: str | None = None,
    kind: DeviceKind = DeviceKind.JT808,
) -> Device:
    """A provisioned device row."""
    async with sessionmaker() as session:
        device = Device(
            org_id=org_id,
            kind=kind,
            identifier=phone,
            terminal_id=terminal_id,
            plate=plate,
            auth_code=auth_code,
            simulated=True,
        )
        session.add(device)
        await session.commit()
        return device


async def device_row(sessionmaker: async_sessionmaker[AsyncSession], device_id: uuid.UUID) -> Device:
    """The device row as stored now."""
    async with sessionmaker() as session:
        device = await session.get(Device, device_id)
        assert device is not None
        return device


async def positions_of(
    sessionmaker: async_sessionmaker[AsyncSession], device_id: uuid.UUID
) -> list[Position]:
    """A device's stored positions, oldest first."""
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Position).where(Position.device_id == device_id).order_by(Position.fix_time)
        )
        return list(rows)


async def count_positions(
    sessionmaker: async_sessionmaker[AsyncSession], device_ids: Sequence[uuid.UUID]
) -> int:
    """How many positions the devices have stored."""
    async with sessionmaker() as session:
        n = await session.scalar(
            select(func.count()).select_from(Position).where(Position.device_id.in_(list(device_ids)))
        )
        return int(n or 0)


def body_at(seconds_ago: int, *, lat: float = 34.34, lon: float = 108.94) -> bytes:
    """A 0x0200 body of a fix taken `seconds_ago` seconds ago, whole seconds (as on the wire)."""
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds_ago)
    return location_body(lat=lat, lon=lon, fix_time=moment, speed_kmh=62.5, course_deg=90)


class GatedSink:
    """The real pipeline behind a gate: while the gate is shut, submit waits as on a full queue."""

    def __init__(self, pipeline: Pipeline, *, delay_s: float = 0.0) -> None:
        self.pipeline = pipeline
        self.gate = asyncio.Event()
        self.gate.set()
        self.delay_s = delay_s
        self.calls = 0
        self.returned_at: list[float] = []

    async def submit(
        self, fixes: Sequence[Fix], *, devices: Sequence[uuid.UUID | None] | None = None
    ) -> SubmitReport:
        """Wait at the gate, then submit to the real pipeline."""
        self.calls += 1
        await self.gate.wait()
        report = await self.pipeline.submit(fixes, devices=devices)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.returned_at.append(asyncio.get_running_loop().time())
        return report


class RawTerminal:
    """A bare socket speaking bytes, for framing and garbage tests."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.splitter = FrameSplitter()
        self.frames: list[Jt808Message] = []

    @classmethod
    async def open(cls, gateway: Gateway) -> RawTerminal:
        """Connect to the gateway."""
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        return cls(reader, writer)

    async def write(self, data: bytes) -> None:
        """Send bytes as they are."""
        self.writer.write(data)
        await self.writer.drain()

    async def read_messages(self, count: int, *, timeout_s: float = 10.0) -> list[Jt808Message]:
        """The next `count` platform messages."""

        async def fill() -> None:
            """Read until `count` messages are in."""
            while len(self.frames) < count:
                data = await self.reader.read(4096)
                if not data:
                    raise ConnectionError("closed by the gateway")
                for frame in self.splitter.feed(data):
                    message = jt808.decode(frame).value
                    assert message is not None
                    self.frames.append(message)

        await asyncio.wait_for(fill(), timeout_s)
        out, self.frames = self.frames[:count], self.frames[count:]
        return out

    async def closed_by_peer(self, timeout_s: float = 5.0) -> bool:
        """Wait until the gateway closes the connection."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), timeout_s):
                pass
        except (ConnectionError, OSError):
            pass
        return True

    async def close(self) -> None:
        """Close our side."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def connected(
    gateway: Gateway, identity: TerminalIdentity, *, version: Jt808Version = Jt808Version.V2013
) -> TerminalClient:
    """A terminal connected to the gateway (not registered yet)."""
    client = TerminalClient(identity, version=version)
    await client.connect("127.0.0.1", gateway.port)
    return client


async def online(gateway: Gateway, identity: TerminalIdentity, **kw: Jt808Version) -> TerminalClient:
    """A terminal that has registered and authenticated."""
    client = await connected(gateway, identity, **kw)
    registration = await client.register()
    assert registration.result == 0, registration
    assert await client.authenticate() == 0
    return client
