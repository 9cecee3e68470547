"""JT/T 808 gateway load benchmark: K terminals over TCP, location reports acknowledged after commit.

The gateway runs in its own process (as `yidan gateway` does: uvloop, the pipeline with its post-commit
listeners, a scratch database on the local PostgreSQL), and this process plays K terminals: each
connects, authenticates, then location reports go out at an aggregate `--rate` (open loop: a report is
sent on schedule whether or not earlier ones were acknowledged, up to `--max-outstanding` per terminal).
Prints reports/s acknowledged, report→ack latency percentiles, zero-loss check (acknowledged ⊆ stored,
sent = stored), the gateway's memory and CPU, and the rate of a bare COPY of the same rows. Usage:

    .venv/bin/python bench/gateway.py --terminals 5000 --rate 10000 --duration 30 [--json out.json]

Like `yidan gateway`, it runs one gateway process per CPU on one port (`--gateway-procs N` to change it).

The PostgreSQL server is TEST_DATABASE_URL, else postgres on 127.0.0.1:5432; Redis is TEST_REDIS_URL,
else redis://127.0.0.1:6379/14. The scratch database is dropped afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import struct
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from scratch import DEFAULT_ADMIN_URL, drop_database, raise_fd_limit, scratch_database

from yidan.core.embedded import to_libpq_url, to_sqlalchemy_url
from yidan.core.migrate import upgrade
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.decoders.jt808 import FrameSplitter, Terminal, encode_frame, unescape
from yidan.tracking.decoders.jt808_body import MessageId
from yidan.tracking.pipeline import PHASES
from yidan.tracking.terminal_client import location_body

AUTH_CODE = "bench-code"


# -- the gateway process ------------------------------------------------------------------------------


class NullSink:
    """A pipeline that stores nothing and answers at once: what the gateway costs on its own."""

    async def submit(self, fixes: Sequence[Fix], *, devices: Sequence[uuid.UUID | None] | None = None) -> Any:
        """Every fix "stored", at once."""
        from yidan.tracking.pipeline import FixResult, Outcome, SubmitReport

        await asyncio.sleep(0)
        return SubmitReport(tuple(FixResult(Outcome.STORED) for _ in fixes))


async def serve(args: argparse.Namespace) -> None:
    """Child process: the gateway with its pipeline until SIGTERM; prints PORT first and STATS last."""
    from yidan.settings import Settings
    from yidan.tracking.gateway import Gateway
    from yidan.tracking.processes import tracking_runtime, tune_gc_for_streaming

    settings = Settings(database_url=args.database_url, redis_url=args.redis_url, db_pool_size=args.pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    listeners = not args.no_listeners
    async with tracking_runtime(settings, args.database_url, args.redis_url, listeners=listeners) as rt:
        gateway = Gateway(
            NullSink() if args.null_sink else rt.pipeline,
            rt.sessionmaker,
            host="127.0.0.1",
            port=args.port,
            idle_timeout_s=600,
            reuse_port=True,
            max_connections=100_000,
        )
        await gateway.start()
        print(f"PORT {gateway.port}", flush=True)
        lags: list[float] = []
        if not args.default_gc:
            tune_gc_for_streaming()  # as `yidan gateway` does

        async def watch_loop() -> None:
            """How late a 10 ms sleep wakes up: the event loop's lag, which every reply waits behind."""
            while True:
                t0 = loop.time()
                await asyncio.sleep(0.01)
                lags.append((loop.time() - t0 - 0.01) * 1000)

        watcher = asyncio.create_task(watch_loop())
        await stop.wait()
        watcher.cancel()
        await gateway.stop()
        s, p = gateway.stats, rt.pipeline.stats
        stats = {
            "frames": s.frames,
            "bad_frames": s.bad_frames,
            "fixes_stored": s.fixes_stored,
            "fixes_duplicate": s.fixes_duplicate,
            "fixes_rejected": s.fixes_rejected,
            "submit_failures": s.submit_failures,
            "pipeline_batches": p.batches,
            "pipeline_retries": p.retries,
            "pipeline_fixes_per_batch": round(p.batch_fixes / max(p.batches, 1)),
            "pipeline_batch_ms_mean": round(1000 * p.batch_seconds / max(p.batches, 1)),
            **{
                f"batch_ms_{name}": round(1000 * sec / max(p.batches, 1))
                for name, sec in p.phase_seconds.items()
            },
            "loop_lag_ms_p50": round(statistics.median(lags), 1) if lags else 0.0,
            "loop_lag_ms_p99": round(sorted(lags)[int(0.99 * (len(lags) - 1))], 1) if lags else 0.0,
        }
    print("STATS " + json.dumps(stats), flush=True)


# -- the terminals ----------------------------------------------------------------------------------


class Processes:
    """The gateway processes, measured together."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = [psutil.Process(pid) for pid in pids]

    def rss(self) -> int:
        """Resident memory of all of them, bytes."""
        return sum(p.memory_info().rss for p in self.procs)

    def cpu_s(self) -> float:
        """CPU seconds used by all of them."""
        return sum(t.user + t.system for t in (p.cpu_times() for p in self.procs))

    def system_s(self) -> float:
        """Of which in the kernel (sockets, TCP)."""
        return sum(p.cpu_times().system for p in self.procs)


def database_cpu_s() -> float:
    """CPU seconds used so far by the PostgreSQL server processes on this machine (0 when not visible)."""
    total = 0.0
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if proc.info["name"] in ("postgres", "postmaster") and proc.info["cpu_times"] is not None:
            times = proc.info["cpu_times"]
            total += times.user + times.system
    return total


class Load:
    """Counters and latencies shared by all terminals."""

    def __init__(self) -> None:
        self.sent = 0
        self.acked = 0
        self.refused = 0
        self.held_back = 0
        self.measuring = False
        self.latencies: list[float] = []
        self.acked_in_window = 0


class BenchTerminal(asyncio.Protocol):
    """One terminal: a lean protocol, since thousands of them share this process with the measurement."""

    def __init__(self, phone: str, index: int, load: Load, base: datetime) -> None:
        self.terminal = Terminal(phone)
        self.index = index
        self.load = load
        self.base = base
        self.serial = 0
        self.reports = 0
        self.sent_at: dict[int, float] = {}
        self.ready: deque[tuple[int, bytes]] = deque()
        self.splitter = FrameSplitter()
        self.transport: asyncio.Transport | None = None
        self.authenticated: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Connected."""
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        """Disconnected: nothing more will be acknowledged."""
        if not self.lost.done():
            self.lost.set_result(None)
        if not self.authenticated.done():
            self.authenticated.set_exception(ConnectionError("closed before authentication"))

    def send(self, msg_id: int, body: bytes) -> int:
        """Write one message; its serial number."""
        serial = self.serial
        self.serial = (serial + 1) & 0xFFFF
        assert self.transport is not None
        self.transport.write(encode_frame(self.terminal, msg_id, body, serial=serial))
        return serial

    def authenticate(self) -> None:
        """Send 0x0102 with the provisioned code."""
        self.send(MessageId.AUTHENTICATION, AUTH_CODE.encode())

    def prepare(self, count: int) -> None:
        """Encode the next `count` location reports now, so that sending one costs only the write.

        The terminals share this process with the measurement; real terminals encode on their own CPUs.
        A synthetic timeline one second per report, so that (device, fix time) never repeats.
        """
        first = self.reports + len(self.ready)
        for k in range(first, first + count):
            body = location_body(
                lat=30.0 + (self.index % 100) * 0.05 + k * 0.0001,
                lon=110.0 + (self.index // 100) * 0.05,
                fix_time=self.base + timedelta(seconds=k),
                speed_kmh=36.0,
                course_deg=0.0,
            )
            serial = (k + 1) & 0xFFFF  # serial 0 is the authentication
            self.ready.append((serial, encode_frame(self.terminal, MessageId.LOCATION, body, serial=serial)))

    def report(self) -> None:
        """Send the next 0x0200 location report."""
        if not self.ready:
            self.prepare(1)
        serial, frame = self.ready.popleft()
        self.reports += 1
        assert self.transport is not None
        self.transport.write(frame)
        self.sent_at[serial] = time.perf_counter()
        self.load.sent += 1

    def data_received(self, data: bytes) -> None:
        """Match 0x8001 answers to what was sent."""
        now = time.perf_counter()
        for frame in self.splitter.feed(data):
            # answers are rarely escaped; unescape only those that are
            content = unescape(frame[1:-1]).value if 0x7D in frame else frame[1:-1]
            if content is None or len(content) < 18 or content[0:2] != b"\x80\x01":
                continue
            ack_serial, ack_id, result = struct.unpack_from(">HHB", content, 12)
            if ack_id == MessageId.AUTHENTICATION:
                if not self.authenticated.done():
                    self.authenticated.set_result(result == 0)
                continue
            sent = self.sent_at.pop(ack_serial, None)
            if sent is None:
                continue
            load = self.load
            if result == 0:
                load.acked += 1
            else:
                load.refused += 1
            if load.measuring:
                load.latencies.append((now - sent) * 1000)
                load.acked_in_window += 1


async def connect_all(
    phones: list[str], port: int, load: Load, base: datetime, wave: int
) -> list[BenchTerminal]:
    """Connect and authenticate every terminal, `wave` at a time so the listen backlog never overflows."""
    loop = asyncio.get_running_loop()
    terminals: list[BenchTerminal] = []

    async def one(i: int, phone: str) -> BenchTerminal:
        """One terminal, connected (with retries) and authenticated."""
        for attempt in range(5):
            try:
                _, proto = await loop.create_connection(
                    lambda: BenchTerminal(phone, i, load, base), "127.0.0.1", port
                )
                break
            except OSError:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise ConnectionError(f"terminal {phone} could not connect")
        proto.authenticate()
        if not await asyncio.wait_for(proto.authenticated, 60):
            raise RuntimeError(f"terminal {phone} was refused")
        return proto

    for start in range(0, len(phones), wave):
        terminals += await asyncio.gather(
            *(one(start + i, p) for i, p in enumerate(phones[start : start + wave]))
        )
    return terminals


async def drive(args: argparse.Namespace, port: int, phones: list[str], gateway: Processes) -> dict[str, Any]:
    """Connect the terminals, send at the target rate, measure, then wait for every ack."""
    load = Load()
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    rss_before = gateway.rss()
    t0 = time.perf_counter()
    terminals = await connect_all(phones, port, load, base, args.wave)
    connect_s = time.perf_counter() - t0
    rss_idle = gateway.rss()
    print(f"  {len(terminals)} terminals connected and authenticated in {connect_s:.1f} s", flush=True)
    per_terminal = int(args.rate * (args.warmup + args.duration) / max(len(terminals), 1)) + 2
    t1 = time.perf_counter()
    for term in terminals:
        term.prepare(per_terminal)
    print(
        f"  {per_terminal * len(terminals):,} location reports encoded in {time.perf_counter() - t1:.1f} s",
        flush=True,
    )

    rss_peak = rss_idle
    cpu_start = gateway.cpu_s()
    sys_start = gateway.system_s()
    own_start = psutil.Process().cpu_times()
    db_start = database_cpu_s()
    total_s = args.warmup + args.duration
    started = time.perf_counter()
    measure_from = started + args.warmup
    window_sent_from = 0
    next_index = 0
    last_sample = started
    while True:
        now = time.perf_counter()
        if now >= started + total_s:
            break
        if not load.measuring and now >= measure_from:
            load.measuring = True
            window_sent_from = load.sent
            cpu_start, own_start = gateway.cpu_s(), psutil.Process().cpu_times()
            sys_start = gateway.system_s()
            db_start = database_cpu_s()
        due = int((now - started) * args.rate) - (load.sent + load.held_back)
        for _ in range(max(0, due)):
            term = terminals[next_index]
            next_index = (next_index + 1) % len(terminals)
            if len(term.sent_at) >= args.max_outstanding:
                load.held_back += 1  # this terminal waits for its acks, as a real one would
                continue
            term.report()
        if now - last_sample > 1.0:
            rss_peak = max(rss_peak, gateway.rss())
            last_sample = now
        await asyncio.sleep(0.005)
    window_s = time.perf_counter() - measure_from
    load.measuring = False
    cpu_end, own_end = gateway.cpu_s(), psutil.Process().cpu_times()
    window_sent = load.sent - window_sent_from
    acked_in_window = load.acked_in_window
    # Drain: everything sent must be acknowledged (nothing is dropped, only delayed).
    deadline = time.perf_counter() + 120
    while load.acked + load.refused < load.sent and time.perf_counter() < deadline:
        rss_peak = max(rss_peak, gateway.rss())
        await asyncio.sleep(0.1)
    latencies = sorted(load.latencies)
    for term in terminals:
        assert term.transport is not None
        term.transport.close()

    def pct(q: float) -> float:
        """A latency percentile, ms."""
        return (
            round(latencies[min(len(latencies) - 1, int(q / 100 * len(latencies)))], 1) if latencies else 0.0
        )

    gw_cpu = cpu_end - cpu_start
    gw_sys = gateway.system_s() - sys_start
    db_cpu = database_cpu_s() - db_start
    own_cpu = (own_end.user + own_end.system) - (own_start.user + own_start.system)
    return {
        "terminals": len(terminals),
        "connect_and_auth_s": round(connect_s, 1),
        "target_rate": args.rate,
        "window_s": round(window_s, 1),
        "sent_in_window": window_sent,
        "sent_per_s": round(window_sent / window_s),
        "acked_per_s": round(acked_in_window / window_s),
        "sent_total": load.sent,
        "acked_total": load.acked,
        "refused_total": load.refused,
        "unacked_after_drain": load.sent - load.acked - load.refused,
        "held_back_by_backpressure": load.held_back,
        "ack_latency_ms_p50": pct(50),
        "ack_latency_ms_p90": pct(90),
        "ack_latency_ms_p99": pct(99),
        "ack_latency_ms_max": round(latencies[-1], 1) if latencies else 0.0,
        "ack_latency_ms_mean": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "gateway_rss_mb_idle_connected": round(rss_idle / 2**20, 1),
        "gateway_rss_mb_peak": round(rss_peak / 2**20, 1),
        "gateway_rss_mb_before_connections": round(rss_before / 2**20, 1),
        "gateway_rss_kb_per_connection": round((rss_idle - rss_before) / 1024 / max(len(terminals), 1), 1),
        "gateway_cpu_percent": round(100 * gw_cpu / window_s),
        "gateway_kernel_cpu_percent": round(100 * gw_sys / window_s),
        "gateway_cpu_us_per_report": round(1e6 * gw_cpu / max(acked_in_window, 1)),
        "terminals_cpu_percent": round(100 * own_cpu / window_s),
        "postgres_cpu_percent": round(100 * db_cpu / window_s),
    }


# -- database -----------------------------------------------------------------------------------------


def provision(url: str, count: int) -> list[str]:
    """`count` terminals with a known authentication code, each mounted on its own truck."""
    phones = [f"1{66_0000_0000 + i:010d}" for i in range(count)]
    org = uuid.uuid4()
    since = datetime.now(UTC) - timedelta(days=30)
    devices = [(uuid.uuid4(), uuid.uuid4()) for _ in phones]
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute(
            "INSERT INTO organisations (id, name, kind, created_at) "
            "VALUES (%s, 'Gateway bench fleet', 'carrier', now())",
            (org,),
        )
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO vehicles (id, org_id, kind, reference) VALUES (%s, %s, 'truck', %s)",
                [(vehicle, org, f"陕C{i:05d}") for i, (_, vehicle) in enumerate(devices)],
            )
            cur.executemany(
                "INSERT INTO devices (id, org_id, kind, identifier, terminal_id, auth_code, simulated) "
                "VALUES (%s, %s, 'jt808', %s, %s, %s, true)",
                [
                    (device, org, phone, f"B{i:06d}", AUTH_CODE)
                    for i, ((device, _), phone) in enumerate(zip(devices, phones, strict=True))
                ],
            )
            cur.executemany(
                "INSERT INTO device_bindings (id, device_id, vehicle_id, valid_from) VALUES (%s, %s, %s, %s)",
                [(uuid.uuid4(), device, vehicle, since) for device, vehicle in devices],
            )
        conn.commit()
    return phones


def bare_copy(url: str) -> dict[str, Any]:
    """The stored rows copied again by one binary COPY into an empty table shaped like positions."""
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute("CREATE TABLE positions_bare (LIKE positions INCLUDING ALL)")
        columns = conn.execute(
            "SELECT attname, atttypid::int FROM pg_attribute "
            "WHERE attrelid = 'positions'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ).fetchall()
        names = ", ".join(c for c, _ in columns)  # column names from the catalogue, not from input
        rows = conn.execute(f"SELECT {names} FROM positions").fetchall()  # noqa: S608
        conn.commit()
        t0 = time.perf_counter()
        copy_sql = f"COPY positions_bare ({names}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.set_types([oid for _, oid in columns])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - t0
    return {"rows": len(rows), "rows_per_s": round(len(rows) / elapsed)}


# -- main -------------------------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode")
    srv = sub.add_parser("serve", help="(internal) the gateway process")
    srv.add_argument("--database-url", required=True)
    srv.add_argument("--redis-url", required=True)
    srv.add_argument("--pool", type=int, default=10)
    srv.add_argument("--port", type=int, default=0)
    srv.add_argument("--profile", help="write a cProfile of the gateway process here")
    srv.add_argument("--no-listeners", action="store_true")
    srv.add_argument("--null-sink", action="store_true")
    srv.add_argument("--default-gc", action="store_true")
    parser.add_argument("--terminals", type=int, default=5_000)
    parser.add_argument(
        "--gateway-procs",
        type=int,
        default=os.cpu_count() or 1,
        help="gateway processes sharing the port (default: one per CPU, as `yidan gateway` runs)",
    )
    parser.add_argument(
        "--rate", type=float, default=10_000.0, help="location reports per second, all terminals"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--max-outstanding", type=int, default=50, help="unacknowledged reports per terminal")
    parser.add_argument("--wave", type=int, default=500, help="terminals connecting at once")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/14"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--profile", help="profile the gateway process into this file (cProfile)")
    parser.add_argument(
        "--no-listeners",
        action="store_true",
        help="no live push, geofences or ETA after commit (storage only)",
    )
    parser.add_argument(
        "--null-sink",
        action="store_true",
        help="acknowledge without storing: the gateway's own cost, no database",
    )
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="leave Python's garbage collector as it comes (the gateway tunes it for streaming)",
    )
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    if args.mode == "serve":
        raise_fd_limit(200_000)
        if not args.profile:
            runner(serve(args))
            return
        import cProfile

        with cProfile.Profile() as profile:
            runner(serve(args))
        profile.dump_stats(args.profile)
        return

    fd_limit = raise_fd_limit(args.terminals + 1_000)
    if fd_limit < args.terminals + 100:
        print(
            f"  open-files limit {fd_limit}: running {fd_limit - 200} terminals instead of {args.terminals}"
        )
        args.terminals = fd_limit - 200
    admin = to_sqlalchemy_url(args.database_url or DEFAULT_ADMIN_URL)
    name, url = scratch_database(admin, "yidan_bench_gw")
    servers: list[subprocess.Popen[str]] = []
    try:
        upgrade(url)
        phones = provision(url, args.terminals)
        port = 0
        for _ in range(max(1, args.gateway_procs)):
            # The command line is this script and URLs this run made: nothing from outside reaches it.
            server = subprocess.Popen(  # noqa: S603
                [sys.executable, __file__, "serve", "--database-url", url, "--redis-url", args.redis_url]
                + ["--port", str(port)]
                + (["--profile", args.profile] if args.profile else [])
                + (["--no-listeners"] if args.no_listeners else [])
                + (["--null-sink"] if args.null_sink else [])
                + (["--default-gc"] if args.default_gc else []),
                stdout=subprocess.PIPE,
                text=True,
                # Its own session, as a service would run: under the kernel's per-session scheduling
                # (autogroup) the gateway does not share one slice of CPU with the simulated terminals.
                start_new_session=True,
            )
            servers.append(server)
            assert server.stdout is not None
            line = server.stdout.readline()
            if not line.startswith("PORT "):
                raise RuntimeError(f"gateway did not start: {line!r}")
            port = int(line.split()[1])
        result = runner(drive(args, port, phones, Processes([s.pid for s in servers])))
        totals: dict[str, float] = {}
        # counters add up over the gateway processes; means and lags: the worst process
        worst = ("loop_lag_ms_p50", "loop_lag_ms_p99", "pipeline_fixes_per_batch", "pipeline_batch_ms_mean")
        worst += tuple(f"batch_ms_{name}" for name in PHASES)
        for server in servers:
            server.send_signal(signal.SIGTERM)
            out, _ = server.communicate(timeout=120)
            stats_line = next((ln for ln in out.splitlines() if ln.startswith("STATS ")), "STATS {}")
            for key, value in json.loads(stats_line[6:]).items():
                totals[key] = max(totals.get(key, 0), value) if key in worst else totals.get(key, 0) + value
        result["gateway_procs"] = len(servers)
        result["gateway"] = totals
        with psycopg.connect(to_libpq_url(url)) as conn:
            row = conn.execute("SELECT count(*) FROM positions").fetchone()
            stored = int(row[0]) if row else 0
        result["rows_stored"] = stored
        if not args.null_sink:
            result["lost"] = result["sent_total"] - stored
            bare = bare_copy(url)
            result["bare_copy_rows_per_s"] = bare["rows_per_s"]
            result["fraction_of_bare_copy"] = round(result["acked_per_s"] / bare["rows_per_s"], 3)
        result["listeners"] = not args.no_listeners
        result["null_sink"] = args.null_sink
        result["gc_tuned"] = not args.default_gc
        result["machine"] = {
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "fd_limit": fd_limit,
            "python": sys.version.split()[0],
        }
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, default=str))
    finally:
        for server in servers:
            if server.poll() is None:
                server.kill()
        if not args.keep:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
