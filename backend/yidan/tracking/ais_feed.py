"""AIS feed client: reads NMEA lines from a TCP source (a receiver, AISHub, a simulator) into the pipeline.

Lines are reassembled into AIS messages, position reports of the vessels we track (devices of kind
`ais`, by MMSI) are submitted in batches, and static data (name, IMO) lands on the vessel. While a
submit is pending the socket is not read, so a slow pipeline slows the feed instead of dropping it.
The connection is re-established with exponential backoff whenever it drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.tracking.decoders.ais import AisAssembler, VesselStatic
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.device_registry import KnownDevice, LastSeen, devices_by_identifier
from yidan.tracking.gateway import FixSink
from yidan.tracking.models import DeviceBinding, DeviceKind, Vehicle, VehicleKind
from yidan.tracking.pipeline import PipelineClosed

log = logging.getLogger("yidan.tracking.ais_feed")

VESSEL_KINDS = (VehicleKind.VESSEL, VehicleKind.BARGE)


@dataclass
class AisFeedStats:
    """Counters of one client since it started."""

    connections: int = 0
    lines: int = 0
    overlong_lines: int = 0
    undecodable: int = 0
    messages: int = 0
    fixes_untracked: int = 0
    fixes_submitted: int = 0
    fixes_stored: int = 0
    fixes_duplicate: int = 0
    fixes_rejected: int = 0
    statics_applied: int = 0
    submit_retries: int = 0


class AisFeedClient:
    """Connects to host:port, reads AIS sentences and feeds the pipeline until `stop` is set."""

    def __init__(
        self,
        sink: FixSink,
        sessionmaker: async_sessionmaker[AsyncSession],
        host: str,
        port: int,
        *,
        batch_size: int = 500,
        batch_ms: float = 500.0,
        max_line: int = 1024,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        refresh_devices_s: float = 60.0,
        verify_checksum: bool = True,
    ) -> None:
        self.sink = sink
        self.sessionmaker = sessionmaker
        self.host = host
        self.port = port
        self.batch_size = batch_size
        self.batch_ms = batch_ms
        self.max_line = max_line
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.refresh_devices_s = refresh_devices_s
        self.verify_checksum = verify_checksum
        self.stats = AisFeedStats()
        self.last_seen = LastSeen(sessionmaker)
        self.connected = asyncio.Event()
        self._devices: dict[str, KnownDevice] = {}
        self._vessel_refs: set[str] = set()
        self._devices_at = -1e9
        self._statics: dict[str, tuple[str | None, str | None]] = {}
        self._statics_due: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Read the feed until `stop` is set, reconnecting with backoff after every failure."""
        delay = self.backoff_initial_s
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self._session(stop)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                log.warning("AIS feed %s:%d: %s", self.host, self.port, exc or type(exc).__name__)
            except PipelineClosed:
                log.info("AIS feed: the pipeline closed; stopping")
                return
            finally:
                self.connected.clear()
            if stop.is_set():
                break
            # A session that lived a while was healthy: start the backoff over.
            if time.monotonic() - started > 10 * self.backoff_initial_s:
                delay = self.backoff_initial_s
            wait = delay * random.uniform(0.8, 1.2)
            log.info("AIS feed: reconnecting to %s:%d in %.1f s", self.host, self.port, wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            delay = min(delay * 2, self.backoff_max_s)
        await self.last_seen.flush()

    async def _session(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=self.max_line), timeout=10.0
        )
        self.stats.connections += 1
        self.connected.set()
        log.info("AIS feed connected to %s:%d", self.host, self.port)
        assembler = AisAssembler(verify_checksum=self.verify_checksum)
        batch: list[tuple[Fix, KnownDevice]] = []
        due_at: float | None = None  # when what was read (fixes, vessel data) must be written
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await self._refresh_devices()
            while not stop.is_set():
                due_in_s = None if due_at is None else max(0.0, due_at - time.monotonic())
                line = await self._read_line(reader, stopping, due_in_s)
                if line == b"":
                    await self._flush(batch)  # what was read before the hang-up is kept
                    raise ConnectionError("the feed closed the connection")
                if line is not None:
                    batch.extend(self._collect(assembler, line))
                    if due_at is None and (batch or self._statics_due):
                        due_at = time.monotonic() + self.batch_ms / 1000
                    if len(batch) < self.batch_size:
                        continue
                if due_at is not None:
                    await self._flush(batch)
                    batch, due_at = [], None
            await self._flush(batch)
        finally:
            stopping.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_line(
        self, reader: asyncio.StreamReader, stopping: asyncio.Future[Any], due_in_s: float | None
    ) -> bytes | None:
        """The next line; b"" at end of stream; None when the batch timer fires or the feed stops."""
        read: asyncio.Future[bytes] = asyncio.ensure_future(self._next_line(reader))
        waiting: set[asyncio.Future[Any]] = {read, stopping}
        done, _ = await asyncio.wait(waiting, timeout=due_in_s, return_when=asyncio.FIRST_COMPLETED)
        if read in done:
            return read.result()
        # StreamReader keeps unread bytes when a read is cancelled, so no line is lost here.
        read.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await read
        return None

    async def _next_line(self, reader: asyncio.StreamReader) -> bytes:
        while True:
            try:
                return await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as exc:
                return exc.partial  # the last line without a newline, or b"" at the end
            except asyncio.LimitOverrunError as exc:
                # A line longer than any NMEA sentence: skip it up to its newline, never buffer it whole.
                self.stats.overlong_lines += 1
                await reader.readexactly(exc.consumed)
                while True:
                    try:
                        await reader.readuntil(b"\n")
                        break
                    except asyncio.LimitOverrunError as more:
                        await reader.readexactly(more.consumed)

    def _collect(self, assembler: AisAssembler, line: bytes) -> list[tuple[Fix, KnownDevice]]:
        self.stats.lines += 1
        text = line.strip()
        if not text or not text.startswith((b"!", b"\\")):
            return []  # NMEA position sentences and junk share some feeds; only AIS is read here
        out: list[tuple[Fix, KnownDevice]] = []
        for result in assembler.feed(text, received_at=utcnow()):
            message = result.value
            if message is None:
                self.stats.undecodable += 1
                continue
            self.stats.messages += 1
            device = self._devices.get(message.mmsi)
            if message.static is not None:
                self._note_static(message.mmsi, message.static)
            for fix in result.fixes:
                if device is None:
                    self.stats.fixes_untracked += 1
                else:
                    out.append((fix, device))
        return out

    def _note_static(self, mmsi: str, static: VesselStatic) -> None:
        if mmsi not in self._devices and mmsi not in self._vessel_refs:
            return
        imo = str(static.imo) if static.imo and 1_000_000 <= static.imo <= 9_999_999 else None
        name = static.name[:100] if static.name else None
        if name is None and imo is None:
            return
        known = self._statics.get(mmsi, (None, None))
        wanted = (name or known[0], imo or known[1])
        if wanted != known:
            self._statics[mmsi] = wanted
            self._statics_due.add(mmsi)

    async def _flush(self, batch: Sequence[tuple[Fix, KnownDevice]]) -> None:
        """Write what was read: the batch of fixes, then vessel data and last-seen times."""
        if batch:
            await self._submit(batch)
        await self._apply_statics()
        await self.last_seen.flush()
        if time.monotonic() - self._devices_at > self.refresh_devices_s:
            await self._refresh_devices()

    async def _submit(self, batch: Sequence[tuple[Fix, KnownDevice]]) -> None:
        fixes = [fix for fix, _ in batch]
        devices: list[uuid.UUID | None] = [device.id for _, device in batch]
        self.stats.fixes_submitted += len(fixes)
        delay = 0.5
        while True:
            try:
                report = await self.sink.submit(fixes, devices=devices)
                break
            except PipelineClosed:
                raise
            except Exception as exc:
                # Nothing acknowledges AIS upstream, so the batch is kept and tried again, reading paused.
                self.stats.submit_retries += 1
                log.warning(
                    "AIS feed: storing %d fixes failed (%s); retrying in %.1f s", len(fixes), exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max_s)
        self.stats.fixes_stored += report.stored
        self.stats.fixes_duplicate += report.duplicates
        self.stats.fixes_rejected += report.rejected
        for _, device in batch:
            self.last_seen.touch(device.id)

    async def _refresh_devices(self) -> None:
        self._devices = await devices_by_identifier(self.sessionmaker, DeviceKind.AIS)
        async with self.sessionmaker() as session:
            refs = await session.scalars(select(Vehicle.reference).where(Vehicle.kind.in_(VESSEL_KINDS)))
            self._vessel_refs = set(refs)
        self._devices_at = time.monotonic()
        log.debug("AIS feed tracks %d MMSIs", len(self._devices))

    async def _apply_statics(self) -> None:
        due, self._statics_due = self._statics_due, set()
        for mmsi in due:
            name, imo = self._statics[mmsi]
            try:
                changed = await apply_vessel_static(
                    self.sessionmaker, mmsi=mmsi, device=self._devices.get(mmsi), name=name, imo=imo
                )
            except Exception:
                log.exception("AIS feed: storing static data of %s failed", mmsi)
                continue
            self.stats.statics_applied += changed


async def apply_vessel_static(
    maker: async_sessionmaker[AsyncSession],
    *,
    mmsi: str,
    device: KnownDevice | None,
    name: str | None,
    imo: str | None,
) -> int:
    """Put a vessel's name and IMO number on the vehicles it is: by MMSI, or carrying its transponder now."""
    now = utcnow()
    conditions: list[ColumnElement[bool]] = [and_(Vehicle.kind.in_(VESSEL_KINDS), Vehicle.reference == mmsi)]
    if device is not None:
        mounted = select(DeviceBinding.vehicle_id).where(
            DeviceBinding.device_id == device.id,
            DeviceBinding.valid_from <= now,
            or_(DeviceBinding.valid_to.is_(None), DeviceBinding.valid_to > now),
        )
        conditions.append(Vehicle.id.in_(mounted))
    changed = 0
    async with maker() as session, session.begin():
        for vehicle in (await session.scalars(select(Vehicle).where(or_(*conditions)))).all():
            if name and vehicle.name != name:
                vehicle.name = name
                changed += 1
            if imo and vehicle.imo != imo:
                vehicle.imo = imo
                changed += 1
    if changed:
        log.info("vessel %s: name %r, IMO %s stored", mmsi, name, imo)
    return changed
