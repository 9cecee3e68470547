"""The long-running tracking processes behind `yidan gateway`, `yidan ais-feed` and `yidan simulate`.

Each opens the database and Redis, starts a position pipeline with the same post-commit listeners as
the API process (live push, geofences, ETA), runs until SIGINT/SIGTERM, then stops in order: feeds
first (their submits in flight are committed and acknowledged), then the pipeline, then connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.redis import make_redis
from yidan.settings import PROJECT_ROOT, Settings
from yidan.tracking.ais_feed import AisFeedClient
from yidan.tracking.gateway import Gateway
from yidan.tracking.gateway_commands import CommandListener
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, LegAssignment, Vehicle, VehicleKind
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.sim_routes import LegSchedule
from yidan.tracking.simulator import Simulator, SimulatorConfig, load_demo_devices, provision_terminals
from yidan.waybills.models import Leg

log = logging.getLogger("yidan.tracking.processes")

TRACE_FILE = PROJECT_ROOT.parent / "shared" / "corpora" / "traces" / "barefoot_x0001-001.json"


@dataclass(frozen=True, slots=True)
class Runtime:
    """What a tracking process works with."""

    sessionmaker: async_sessionmaker[AsyncSession]
    pipeline: Pipeline
    redis: Redis


@asynccontextmanager
async def tracking_runtime(
    settings: Settings, database_url: str, redis_url: str, *, listeners: bool = True
) -> AsyncIterator[Runtime]:
    """Database, Redis and a started pipeline with its listeners; drained and closed on exit."""
    from yidan.tracking.listeners import register_listeners

    engine = make_engine(database_url, pool_size=settings.db_pool_size, echo=settings.db_echo)
    maker = make_sessionmaker(engine)
    redis = make_redis(redis_url)
    pipeline = Pipeline(maker)
    await pipeline.start()
    # The listeners are written against the app's state; a process without the app offers the same three.
    if listeners:
        state = SimpleNamespace(pipeline=pipeline, redis=redis, sessionmaker=maker)
        register_listeners(SimpleNamespace(state=state))
    try:
        yield Runtime(maker, pipeline, redis)
    finally:
        await pipeline.stop()
        stats = pipeline.stats
        log.info(
            "pipeline stopped: %d stored, %d duplicates, %d rejected",
            stats.stored,
            stats.duplicates,
            stats.rejected,
        )
        await redis.aclose()
        await engine.dispose()


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    """Run main(stop) on uvloop when installed; SIGINT/SIGTERM set `stop` for a graceful shutdown."""

    async def runner() -> int:
        """Main with the signal handlers in place."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        return await main(stop)

    try:
        import uvloop
    except ImportError:
        return asyncio.run(runner())
    return uvloop.run(runner())


# Young-generation size for a gateway: a report's objects die young by reference counting, but thousands
# of reports wait for their commit at any time; with the default threshold (700) they are scanned again
# and again and pushed into the old generation, whose full collections then pause the loop for 100s of ms.
GATEWAY_GC_THRESHOLD = (50_000, 50, 100)


def tune_gc_for_streaming() -> None:
    """Freeze what start-up made (never garbage) and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GATEWAY_GC_THRESHOLD)


async def run_gateway(
    settings: Settings,
    database_url: str,
    redis_url: str,
    stop: asyncio.Event,
    *,
    host: str,
    port: int,
    processes: int = 1,
    parent: int | None = None,
) -> int:
    """`yidan gateway`: the JT/T 808 server until stopped.

    With processes > 1 this first process starts the others on the same port (SO_REUSEPORT: the kernel
    spreads new connections over all of them), restarts one that dies, and stops them when it stops; a
    worker (`parent` set) stops by itself when its parent is gone.
    """
    async with tracking_runtime(settings, database_url, redis_url) as rt:
        gateway = Gateway(
            rt.pipeline,
            rt.sessionmaker,
            host=host,
            port=port,
            idle_timeout_s=settings.gateway_idle_timeout_s,
            max_connections=settings.gateway_max_connections,
            reuse_port=True,
        )
        await gateway.start()
        tune_gc_for_streaming()
        helpers = [
            asyncio.create_task(_log_gateway(gateway, stop)),
            asyncio.create_task(CommandListener(gateway, rt.redis).run(stop)),
        ]
        workers = GatewayWorkers(max(0, processes - 1), database_url, redis_url, host, gateway.port)
        if parent is None:
            workers.start()
            helpers.append(asyncio.create_task(workers.watch(stop)))
            print(
                f"• JT/T 808 gateway listening on {host}:{gateway.port} in {workers.count + 1} "
                f"process{'es' if workers.count else ''}  (Ctrl-C stops it)",
                flush=True,
            )
        else:
            helpers.append(asyncio.create_task(_watch_parent(parent, stop)))
        await stop.wait()
        if parent is None:
            print("• stopping the gateway: finishing submits in flight …", flush=True)
        workers.signal_stop()
        await gateway.stop()
        await asyncio.gather(*helpers)
        await workers.wait()
    return 0


class GatewayWorkers:
    """The other `yidan gateway` processes of a multi-process gateway, on the first one's port."""

    def __init__(self, count: int, database_url: str, redis_url: str, host: str, port: int) -> None:
        self.count = count
        self.host, self.port = host, port
        self.env = {**os.environ, "YIDAN_DATABASE_URL": database_url, "YIDAN_REDIS_URL": redis_url}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.restarts = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "yidan.cli", "gateway", "--processes", "1"]
        command += ["--host", self.host, "--port", str(self.port), "--worker-of", str(os.getpid())]
        # the same output as this process; the same process group, so Ctrl-C reaches them all at once
        return subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL)  # noqa: S603

    def start(self) -> None:
        """Start the workers."""
        self.procs = [self._spawn() for _ in range(self.count)]

    async def watch(self, stop: asyncio.Event, every_s: float = 1.0) -> None:
        """Restart a worker that exited while the gateway runs (its terminals reconnect and resend)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
            if stop.is_set():
                return
            for i, proc in enumerate(self.procs):
                if proc.poll() is not None:
                    self.restarts += 1
                    log.error("gateway worker %d exited with %s; starting another", proc.pid, proc.returncode)
                    self.procs[i] = self._spawn()

    def signal_stop(self) -> None:
        """Ask every worker to stop (each finishes its submits in flight)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    async def wait(self, timeout_s: float = 30.0) -> None:
        """Wait for the workers to exit; kill those that take longer than timeout_s."""
        deadline = time.monotonic() + timeout_s
        for proc in self.procs:
            try:
                await asyncio.to_thread(proc.wait, max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("gateway worker %d did not stop in %.0f s: killed", proc.pid, timeout_s)
                proc.kill()
                proc.wait()


async def _watch_parent(parent: int, stop: asyncio.Event, every_s: float = 0.5) -> None:
    """Stop a worker whose parent gateway process is gone (killed, not only stopped)."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the first gateway process (%d) is gone: stopping", parent)
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


async def _log_gateway(gateway: Gateway, stop: asyncio.Event, every_s: float = 60.0) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)
        s = gateway.stats
        log.info(
            "gateway: %d connections (%d authenticated), %d frames, %d fixes stored, %d duplicate, "
            "%d rejected, %d bad frames, %d reaped",
            gateway.connection_count,
            gateway.authenticated_count,
            s.frames,
            s.fixes_stored,
            s.fixes_duplicate,
            s.fixes_rejected,
            s.bad_frames,
            s.reaped,
        )


async def run_ais_feed(
    settings: Settings, database_url: str, redis_url: str, stop: asyncio.Event, *, host: str, port: int
) -> int:
    """`yidan ais-feed`: read an AIS TCP feed into the pipeline until stopped."""
    async with tracking_runtime(settings, database_url, redis_url) as rt:
        client = AisFeedClient(rt.pipeline, rt.sessionmaker, host, port)
        print(f"• reading AIS from {host}:{port}  (Ctrl-C stops it)", flush=True)
        await client.run(stop)
        s = client.stats
        print(
            f"• AIS feed: {s.lines} lines, {s.messages} messages, {s.fixes_stored} fixes stored, "
            f"{s.fixes_untracked} of untracked vessels, {s.statics_applied} vessel details updated",
            flush=True,
        )
    return 0


@dataclass(frozen=True, slots=True)
class SimulateOptions:
    """What `yidan simulate` was asked for."""

    gateway_host: str
    gateway_port: int
    terminals: int = 0
    interval_s: float = 5.0
    speedup: float = 1.0
    ais_port: int = 10110
    ais_client: bool = True
    with_gateway: bool = False
    duration_s: float | None = None
    seed_dir: Path | None = None


async def run_simulation(
    settings: Settings, database_url: str, redis_url: str, stop: asyncio.Event, options: SimulateOptions
) -> int:
    """`yidan simulate`: the demo fleet (and, if asked, the gateway and AIS client in this process)."""
    seed_dir = options.seed_dir or settings.seed_dir
    async with tracking_runtime(settings, database_url, redis_url) as rt:
        sim = Simulator(
            SimulatorConfig(
                seed_dir=seed_dir,
                trace_path=TRACE_FILE,
                gateway_host=options.gateway_host,
                gateway_port=options.gateway_port,
                interval_s=options.interval_s,
                speedup=options.speedup,
                ais_port=options.ais_port,
            )
        )
        demo = [d for d in load_demo_devices(seed_dir) if d.simulated]
        provisioned = await _provisioned(rt.sessionmaker)
        missing = [d for d in demo if (d.kind, d.identifier) not in provisioned]
        if missing:
            print(
                f"  ! {len(missing)} demo devices are not in the database yet (run `yidan seed`): "
                + ", ".join(d.identifier for d in missing),
                flush=True,
            )
        plates = {ident: plate for (kind, ident), plate in provisioned.items() if kind == "jt808" and plate}
        sim.add_demo_devices(
            [d for d in demo if d not in missing],
            plates,
            await _vessels(rt.sessionmaker),
            await _schedules(rt.sessionmaker, [d.identifier for d in demo]),
        )
        for identity in await provision_terminals(rt.sessionmaker, options.terminals):
            sim.add_terminal(identity)
        if not sim.terminals and not sim.vessels:
            print(
                "  nothing to simulate: no simulated rows in demo_devices.csv and --terminals 0", flush=True
            )
            return 1
        gateway: Gateway | None = None
        tasks: list[asyncio.Task[None]] = []
        if options.with_gateway:
            gateway = Gateway(
                rt.pipeline, rt.sessionmaker, host=options.gateway_host, port=options.gateway_port
            )
            await gateway.start()
            tasks.append(asyncio.create_task(CommandListener(gateway, rt.redis).run(stop)))
            sim.config.gateway_port = gateway.port
            for terminal in sim.terminals:
                terminal.port = gateway.port
            print(f"• JT/T 808 gateway in this process on {options.gateway_host}:{gateway.port}", flush=True)
        feed = await sim.start_feed()
        if feed is not None and options.ais_client:
            client = AisFeedClient(rt.pipeline, rt.sessionmaker, feed.host, feed.port, batch_ms=200)
            tasks.append(asyncio.create_task(client.run(stop), name="ais-client"))
        if options.duration_s:
            tasks.append(asyncio.create_task(_stop_after(stop, options.duration_s)))
        try:
            await sim.run(stop)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if gateway is not None:
                await gateway.stop()
    return 0


async def _stop_after(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    stop.set()


async def _vessels(maker: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str | None, str | None]]:
    """MMSI → (name, IMO) of the vessels and barges in the database."""
    async with maker() as session:
        rows = await session.execute(
            select(Vehicle.reference, Vehicle.name, Vehicle.imo).where(
                Vehicle.kind.in_([VehicleKind.VESSEL, VehicleKind.BARGE])
            )
        )
        return {ref: (name, imo) for ref, name, imo in rows}


async def _provisioned(maker: async_sessionmaker[AsyncSession]) -> dict[tuple[str, str], str | None]:
    """(kind, identifier) → plate of every JT/T 808 and AIS device in the database."""
    async with maker() as session:
        rows = await session.execute(
            select(Device.kind, Device.identifier, Device.plate).where(
                Device.kind.in_([DeviceKind.JT808, DeviceKind.AIS])
            )
        )
        return {(str(kind), ident): plate for kind, ident, plate in rows}


async def _schedules(
    maker: async_sessionmaker[AsyncSession], identifiers: list[str]
) -> dict[str, LegSchedule]:
    """Identifier → the departed, not yet arrived leg its vehicle is assigned to now (when there is one)."""
    if not identifiers:
        return {}
    async with maker() as session:
        rows = await session.execute(
            select(
                Device.identifier,
                Leg.mode,
                Leg.from_unlocode,
                Leg.to_unlocode,
                Leg.actual_departure,
                Leg.planned_departure,
                Leg.planned_arrival,
            )
            .join(DeviceBinding, DeviceBinding.device_id == Device.id)
            .join(LegAssignment, LegAssignment.vehicle_id == DeviceBinding.vehicle_id)
            .join(Leg, Leg.id == LegAssignment.leg_id)
            .where(
                Device.identifier.in_(identifiers),
                DeviceBinding.valid_to.is_(None),
                Leg.actual_departure.is_not(None),
                Leg.actual_arrival.is_(None),
            )
        )
        return {
            ident: LegSchedule(str(mode), origin, destination, actual or planned, arrival)
            for ident, mode, origin, destination, actual, planned, arrival in rows
        }
