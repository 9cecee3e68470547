"""`yidan simulate`: demo JT/T 808 terminals and an AIS vessel moving along the seeded routes.

Each terminal is a real TCP client of the gateway: it registers with its terminal id and plate,
authenticates with the code it was given, and reports every few seconds; reports it could not get
acknowledged are kept and resent as a 0x0704 blind-area batch after it reconnects, as real terminals do.
Vessels are served as an NMEA 0183 AIS feed on a TCP port, which the AIS feed client reads like any
receiver (in this process by default, so the vessel reaches the pipeline without another command).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import json
import logging
import random
import statistics
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyais.encode import encode_dict
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind
from yidan.tracking.decoders.fix import KNOT_KMH
from yidan.tracking.decoders.jt808 import Jt808Version
from yidan.tracking.models import Device, DeviceKind
from yidan.tracking.sim_routes import (
    LegSchedule,
    Track,
    demo_leg,
    load_places,
    load_trace,
    plan_track,
    scheduled_track,
)
from yidan.tracking.terminal_client import TerminalClient, TerminalIdentity, location_body

log = logging.getLogger("yidan.tracking.simulator")

FLEET_ORG = "Yidan simulator fleet"
FLEET_PHONE_PREFIX = "1990"
RESEND_BATCH = 50


@dataclass(frozen=True, slots=True)
class DemoDevice:
    """One row of seed_data/demo_devices.csv."""

    kind: str
    identifier: str
    terminal_id: str
    vehicle: str
    waybill: str
    simulated: bool


def load_demo_devices(seed_dir: Path) -> list[DemoDevice]:
    """Rows of demo_devices.csv (kind,identifier,terminal_id,vehicle,waybill,simulated); none if absent."""
    path = seed_dir / "demo_devices.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            DemoDevice(
                kind=(row.get("kind") or "").strip().lower(),
                identifier=(row.get("identifier") or "").strip(),
                terminal_id=(row.get("terminal_id") or "").strip(),
                vehicle=(row.get("vehicle") or "").strip(),
                waybill=(row.get("waybill") or "").strip(),
                simulated=(row.get("simulated") or "").strip().lower() in ("true", "1", "yes", "y"),
            )
            for row in csv.DictReader(fh)
            if (row.get("identifier") or "").strip()
        ]


@dataclass
class SimStats:
    """What the simulated fleet has done, for the progress line."""

    online: int = 0
    sent: int = 0
    acked: int = 0
    refused: int = 0
    resent: int = 0
    disconnects: int = 0
    registration_refused: int = 0
    ais_lines: int = 0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=20_000))

    def percentile(self, q: float) -> float | None:
        """A latency percentile (0–100) over the recent acknowledgements, ms."""
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else None
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[min(98, max(0, int(q) - 1))]


def _wall_second() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Clock:
    """Simulation time: seconds since start, `speedup` times faster than the wall clock."""

    def __init__(self, speedup: float = 1.0) -> None:
        self.speedup = speedup
        self.started = time.monotonic()

    def elapsed(self) -> float:
        """Simulated seconds since start."""
        return (time.monotonic() - self.started) * self.speedup


class SimulatedTerminal:
    """A JT/T 808 terminal on a vehicle following a track, reporting to the gateway until stopped."""

    def __init__(
        self,
        identity: TerminalIdentity,
        track: Track,
        *,
        start_s: float,
        host: str,
        port: int,
        interval_s: float,
        clock: Clock,
        stats: SimStats,
        version: Jt808Version | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.identity = identity
        self.track = track
        self.start_s = start_s
        self.host, self.port = host, port
        self.interval_s = interval_s
        self.clock = clock
        self.stats = stats
        long_id = len(identity.terminal_id.encode("gbk")) > 7
        self.version = version or (Jt808Version.V2019 if long_id else Jt808Version.V2013)
        self.rng = rng or random.Random(identity.phone)
        self.unacked: deque[bytes] = deque(maxlen=5_000)
        self.mileage_km = self.rng.uniform(10_000, 200_000)
        self.last_fix: datetime | None = None
        self.auth_code: str | None = None

    def body_now(self) -> bytes:
        """The location report the terminal would send now."""
        sample = self.track.sample(self.start_s + self.clock.elapsed())
        fix_time = _wall_second()
        if self.last_fix is not None and fix_time <= self.last_fix:
            return b""  # one fix per second at most: (device, time) is the key of a stored fix
        self.last_fix = fix_time
        self.mileage_km += sample.speed_kmh * self.interval_s / 3600
        return location_body(
            lat=sample.lat,
            lon=sample.lon,
            fix_time=fix_time,
            speed_kmh=sample.speed_kmh,
            course_deg=sample.course_deg,
            altitude_m=int(380 + 20 * self.rng.random()),
            satellites=self.rng.randint(9, 18),
            mileage_km=self.mileage_km,
        )

    async def run(self, stop: asyncio.Event, *, first_delay_s: float = 0.0) -> None:
        """Connect, register, authenticate and report until `stop`; reconnect with backoff on failures."""
        if first_delay_s and await _sleep_or_stop(stop, first_delay_s):
            return
        backoff = 1.0
        while not stop.is_set():
            client = TerminalClient(self.identity, version=self.version)
            online = False
            try:
                await client.connect(self.host, self.port)
                if not await self._log_in(client):
                    self.stats.registration_refused += 1
                    await client.close()
                    await _sleep_or_stop(stop, 60.0)
                    continue
                online = True
                self.stats.online += 1
                backoff = 1.0
                await self._resend(client)
                await self._report(client, stop)
                with contextlib.suppress(Exception):
                    await client.logout(timeout_s=2.0)
            except Exception as exc:  # a terminal keeps trying whatever went wrong, as real ones do
                self.stats.disconnects += 1
                log.debug(
                    "%s: %s; reconnecting in %.0f s", self.identity.phone, exc or type(exc).__name__, backoff
                )
            finally:
                if online:
                    self.stats.online -= 1
                await client.close()
            if not stop.is_set():
                await self._record_offline(stop, backoff * self.rng.uniform(0.8, 1.2))
                backoff = min(backoff * 2, 30.0)

    async def _record_offline(self, stop: asyncio.Event, seconds: float) -> None:
        """Keep taking positions while out of contact, as terminals do, to resend them later."""
        until = time.monotonic() + seconds
        while not stop.is_set() and (left := until - time.monotonic()) > 0:
            if await _sleep_or_stop(stop, min(left, self.interval_s)):
                return
            body = self.body_now()
            if body:
                self.unacked.append(body)
                self.stats.sent += 1

    async def _log_in(self, client: TerminalClient) -> bool:
        # A terminal keeps its code: it authenticates straight away and registers only when refused.
        if self.auth_code is not None and await client.authenticate(self.auth_code) == 0:
            return True
        registration = await client.register()
        if registration.result != 0:
            log.warning(
                "terminal %s (%s, %s) refused at registration: result %d",
                self.identity.phone,
                self.identity.terminal_id,
                self.identity.plate,
                registration.result,
            )
            return False
        self.auth_code = registration.auth_code
        return await client.authenticate() == 0

    async def _resend(self, client: TerminalClient) -> None:
        while self.unacked:
            bodies = [self.unacked[i] for i in range(min(RESEND_BATCH, len(self.unacked)))]
            result = await client.report_batch(bodies, blind_area=True)
            if result == 1:
                raise ConnectionError("the platform refused the blind-area batch")
            for _ in bodies:
                self.unacked.popleft()
            self.stats.resent += len(bodies)

    async def _report(self, client: TerminalClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            body = self.body_now()
            if body:
                self.unacked.append(body)
                self.stats.sent += 1
                sent = time.monotonic()
                result = await client.report(body)
                self.stats.latencies_ms.append((time.monotonic() - sent) * 1000)
                if result == 1:
                    raise ConnectionError("the platform no longer accepts this session")
                self.unacked.pop()
                if result == 0:
                    self.stats.acked += 1
                else:
                    self.stats.refused += 1
            interval = client.state.report_interval_s or self.interval_s
            if await _sleep_or_stop(stop, interval):
                return


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep; True when `stop` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))
    return stop.is_set()


@dataclass
class SimVessel:
    """A vessel on a track, with the static data its transponder sends."""

    mmsi: str
    name: str
    imo: int
    track: Track
    start_s: float


def imo_for(seed: str) -> int:
    """A well-formed IMO number (valid check digit) derived from a seed, for simulated vessels."""
    digits = [int(c) for c in str(9_000_00 + int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 100_000)]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return int("".join(map(str, digits)) + str(check))


class VesselFeed:
    """Serves simulated vessels as an NMEA AIS feed: one `!AIVDM` sentence per line, to every client."""

    def __init__(
        self, vessels: Sequence[SimVessel], *, clock: Clock, interval_s: float, stats: SimStats
    ) -> None:
        self.vessels = list(vessels)
        self.clock = clock
        self.interval_s = interval_s
        self.stats = stats
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._ticks = 0

    async def start(self, host: str, port: int) -> None:
        """Listen for feed clients."""
        self._server = await asyncio.start_server(self._accept, host, port)
        self.host, self.port = host, int(self._server.sockets[0].getsockname()[1])
        log.info("AIS vessel feed on %s:%d (%d vessels)", self.host, self.port, len(self.vessels))

    async def _accept(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        self._send([line for v in self.vessels for line in self.static_lines(v)], only=writer)

    def position_lines(self, vessel: SimVessel) -> list[str]:
        """Type 1 position report sentences of a vessel now."""
        sample = vessel.track.sample(vessel.start_s + self.clock.elapsed())
        data: dict[str, str | int | float | bytes | bool] = {
            "msg_type": 1,
            "mmsi": int(vessel.mmsi),
            "status": 0,
            "speed": round(sample.speed_kmh / KNOT_KMH, 1),
            "lat": round(sample.lat, 6),
            "lon": round(sample.lon, 6),
            "course": round(sample.course_deg, 1),
            "heading": round(sample.course_deg) % 360,
            "second": datetime.now(UTC).second,
            "accuracy": True,
        }
        return encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="A")

    def static_lines(self, vessel: SimVessel) -> list[str]:
        """Type 5 static and voyage data sentences (name, IMO, call sign)."""
        data: dict[str, str | int | float | bytes | bool] = {
            "msg_type": 5,
            "mmsi": int(vessel.mmsi),
            "imo": vessel.imo,
            "callsign": "B" + vessel.mmsi[-4:],
            "shipname": vessel.name[:20],
            "ship_type": 70,
            "to_bow": 150,
            "to_stern": 40,
            "to_port": 15,
            "to_starboard": 15,
            "draught": 9.5,
            "destination": "CNTAO",
        }
        return encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel="B", seq_id=1)

    async def run(self, stop: asyncio.Event) -> None:
        """Broadcast positions every interval (and static data every tenth) until `stop`."""
        while not await _sleep_or_stop(stop, self.interval_s):
            self._ticks += 1
            lines = [line for v in self.vessels for line in self.position_lines(v)]
            if self._ticks % 10 == 0:
                lines += [line for v in self.vessels for line in self.static_lines(v)]
            self._send(lines)

    def _send(self, lines: list[str], *, only: asyncio.StreamWriter | None = None) -> None:
        payload = "".join(f"{line}\r\n" for line in lines).encode("ascii")
        for writer in [only] if only is not None else list(self._clients):
            if writer.is_closing() or writer.transport.get_write_buffer_size() > 1_000_000:
                # A client that does not read is dropped rather than buffered without end.
                self._clients.discard(writer)
                writer.close()
                continue
            writer.write(payload)
            self.stats.ais_lines += len(lines)

    async def stop(self) -> None:
        """Close the feed and its clients."""
        for writer in list(self._clients):
            writer.close()
        self._clients.clear()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)


async def provision_terminals(
    maker: async_sessionmaker[AsyncSession], count: int, *, first: int = 0
) -> list[TerminalIdentity]:
    """Throwaway JT/T 808 terminals (simulated, in the simulator fleet organisation) for load and demos."""
    if count <= 0:
        return []
    identities = [
        TerminalIdentity(f"{FLEET_PHONE_PREFIX}{i:07d}", f"S{i:06d}", f"沪Z{i % 100_000:05d}")
        for i in range(first, first + count)
    ]
    async with maker() as session, session.begin():
        org_id = await session.scalar(select(Organisation.id).where(Organisation.name == FLEET_ORG))
        if org_id is None:
            org = Organisation(name=FLEET_ORG, name_zh="一单模拟车队", kind=OrgKind.CARRIER)
            session.add(org)
            await session.flush()
            org_id = org.id
        for chunk in range(0, len(identities), 1000):
            rows = [
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "kind": DeviceKind.JT808,
                    "identifier": ident.phone,
                    "terminal_id": ident.terminal_id,
                    "plate": ident.plate,
                    "simulated": True,
                }
                for ident in identities[chunk : chunk + 1000]
            ]
            stmt = insert(Device).values(rows)
            stmt = stmt.on_conflict_do_update(
                constraint="uq_devices_kind_identifier",
                set_={
                    "terminal_id": stmt.excluded.terminal_id,
                    "plate": stmt.excluded.plate,
                    "simulated": True,
                },
            )
            await session.execute(stmt)
    return identities


@dataclass
class SimulatorConfig:
    """How the simulation runs."""

    seed_dir: Path
    trace_path: Path | None = None
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 7808
    interval_s: float = 5.0
    speedup: float = 1.0
    ais_host: str = "127.0.0.1"
    ais_port: int = 10110
    rng_seed: int = 808


class Simulator:
    """The demo fleet: terminals from demo_devices.csv (simulated rows) and extra fleet terminals."""

    def __init__(self, config: SimulatorConfig, *, say: Callable[[str], None] = print) -> None:
        self.config = config
        self.say = say
        self.stats = SimStats()
        self.clock = Clock(config.speedup)
        self.rng = random.Random(config.rng_seed)
        self.places = load_places(config.seed_dir)
        trace_path = config.trace_path
        self.trace = load_trace(trace_path) if trace_path and trace_path.is_file() else None
        self.terminals: list[SimulatedTerminal] = []
        self.vessels: list[SimVessel] = []
        self.feed: VesselFeed | None = None

    def add_demo_devices(
        self,
        devices: Sequence[DemoDevice],
        plates: dict[str, str] | None = None,
        vessels: dict[str, tuple[str | None, str | None]] | None = None,
        schedules: dict[str, LegSchedule] | None = None,
    ) -> None:
        """Simulate the rows marked simulated, with the plates and vessel details the database holds."""
        # `plates`: identifier → provisioned plate; `vessels`: MMSI → (name, IMO). A vessel the database
        # knows nothing of gets a made-up name and a well-formed IMO number. `schedules`: identifier → the
        # leg under way it carries; such a vehicle sits where its timetable puts it now, not at a seed guess.
        for device in devices:
            if not device.simulated:
                continue
            schedule = (schedules or {}).get(device.identifier)
            if schedule is not None and {schedule.origin, schedule.destination} <= self.places.keys():
                track, start_s = scheduled_track(schedule, self.places, self.rng, datetime.now(UTC))
            else:
                plan = demo_leg(self.config.seed_dir, device.waybill, device.vehicle)
                track, start_s = plan_track(plan, self.places, self.trace, self.rng)
            if device.kind == DeviceKind.JT808:
                plate = (plates or {}).get(device.identifier, device.vehicle)
                self.add_terminal(
                    TerminalIdentity(device.identifier, device.terminal_id, plate), track, start_s
                )
            elif device.kind == DeviceKind.AIS:
                known_name, known_imo = (vessels or {}).get(device.identifier, (None, None))
                name = known_name or self._vessel_name(device) or f"YIDAN SIM {device.identifier[-4:]}"
                imo = int(known_imo) if known_imo and known_imo.isdigit() else imo_for(device.identifier)
                self.vessels.append(SimVessel(device.identifier, name, imo, track, start_s))

    def add_terminal(
        self, identity: TerminalIdentity, track: Track | None = None, start_s: float | None = None
    ) -> None:
        """Simulate one terminal (on a random seeded route when no track is given)."""
        if track is None:
            track, start_s = plan_track(None, self.places, self.trace, self.rng)
        cfg = self.config
        self.terminals.append(
            SimulatedTerminal(
                identity,
                track,
                start_s=start_s or 0.0,
                host=cfg.gateway_host,
                port=cfg.gateway_port,
                interval_s=cfg.interval_s,
                clock=self.clock,
                stats=self.stats,
                rng=random.Random(f"{cfg.rng_seed}:{identity.phone}"),
            )
        )

    def _vessel_name(self, device: DemoDevice) -> str | None:
        path = self.config.seed_dir / "demo_waybills.json"
        if not path.is_file():
            return None
        for bill in json.loads(path.read_text(encoding="utf-8")).get("waybills", []):
            for leg in bill.get("legs", []):
                vehicle = leg.get("vehicle") or {}
                if vehicle.get("mmsi") == device.identifier and vehicle.get("vessel_name"):
                    return str(vehicle["vessel_name"])
        return device.vehicle if device.vehicle and not device.vehicle.isdigit() else None

    async def start_feed(self) -> VesselFeed | None:
        """Serve the vessels' AIS feed (when there are vessels and a port)."""
        if not self.vessels or self.config.ais_port < 0:
            return None
        self.feed = VesselFeed(
            self.vessels, clock=self.clock, interval_s=self.config.interval_s, stats=self.stats
        )
        await self.feed.start(self.config.ais_host, self.config.ais_port)
        return self.feed

    async def run(self, stop: asyncio.Event, *, progress_every_s: float = 10.0) -> SimStats:
        """Drive every terminal and the vessel feed until `stop`, printing progress."""
        tasks = [
            asyncio.create_task(
                t.run(stop, first_delay_s=self.config.interval_s * i / max(len(self.terminals), 1)),
                name=f"sim-{t.identity.phone}",
            )
            for i, t in enumerate(self.terminals)
        ]
        if self.feed is not None:
            tasks.append(asyncio.create_task(self.feed.run(stop), name="sim-ais"))
        self.say(
            f"• simulating {len(self.terminals)} JT/T 808 terminals → {self.config.gateway_host}:"
            f"{self.config.gateway_port}, {len(self.vessels)} AIS vessels"
            + (f" on {self.feed.host}:{self.feed.port}" if self.feed else "")
            + f", reports every {self.config.interval_s:g} s, speed ×{self.config.speedup:g}"
        )
        try:
            while not await _sleep_or_stop(stop, progress_every_s):
                self.say(self.progress_line())
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.feed is not None:
                await self.feed.stop()
            self.say(self.progress_line())
        return self.stats

    def progress_line(self) -> str:
        """One line of what the fleet has done."""
        s = self.stats
        p50, p99 = s.percentile(50), s.percentile(99)
        latency = (
            f"ack p50 {p50:.0f} ms p99 {p99:.0f} ms" if p50 is not None and p99 is not None else "no acks yet"
        )
        unacked = sum(len(t.unacked) for t in self.terminals)
        return (
            f"  {s.online}/{len(self.terminals)} online · {s.acked} reports acked, {s.refused} refused, "
            f"{unacked} waiting, {s.resent} resent · {latency} · {s.disconnects} reconnects · "
            f"AIS lines {s.ais_lines}"
        )
