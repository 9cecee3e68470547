"""HTTP batch ingest benchmark: concurrent clients POSTing position batches to the API over real sockets.

The API (`create_app`: its pipeline and post-commit listeners, served by uvicorn) runs in a process of its
own on a scratch database (bench/api_server.py). This process provisions `--devices` JT/T 808 terminals,
each on its own truck of one carrier, and an API key of that carrier with the scope tracking:write; then
`--clients` httpx clients send `--batches` batches of `--batch-size` fixes to POST
/api/v1/tracking/positions, each client sending its next batch once the last one was answered (an answer
means the fixes are committed). A batch holds fixes of `--batch-size` different devices, as a fleet system
forwards them. Prints fixes/s stored, batch latency percentiles, the server's CPU, and checks that nothing
is lost: every result is "stored" and the rows in positions are the fixes sent. Usage:

    .venv/bin/python bench/http_ingest.py --batches 200 --batch-size 500 --clients 8 --devices 1000 \\
        [--json out.json] [--keep]

The PostgreSQL server is TEST_DATABASE_URL, else postgres on 127.0.0.1:5432; Redis is TEST_REDIS_URL,
else redis://127.0.0.1:6379/15. The scratch database is dropped afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from api_server import DEFAULT_REDIS_URL, ApiServer, count_positions, partner_api_key, pct, print_table
from scratch import DEFAULT_ADMIN_URL, drop_database, scratch_database
from sqlalchemy import insert

from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import to_sqlalchemy_url
from yidan.core.migrate import upgrade
from yidan.identity import service as identity
from yidan.identity.principal import OrgKind
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, Vehicle, VehicleKind

URL = "/api/v1/tracking/positions"


async def provision(url: str, devices: int) -> tuple[list[str], str]:
    """A carrier with `devices` terminals, each mounted on its own truck; their numbers and an API key."""
    phones = [f"1{55_0000_0000 + i:010d}" for i in range(devices)]
    since = datetime.now(UTC) - timedelta(days=30)
    engine = make_engine(url, pool_size=2)
    try:
        async with make_sessionmaker(engine)() as session:
            org = await identity.create_organisation(session, name="HTTP bench fleet", kind=OrgKind.CARRIER)
            rows = [(uuid.uuid4(), uuid.uuid4(), phone) for phone in phones]
            await session.execute(
                insert(Vehicle),
                [
                    {"id": v, "org_id": org.id, "kind": VehicleKind.TRUCK, "reference": f"陕D{i:05d}"}
                    for i, (_, v, _) in enumerate(rows)
                ],
            )
            await session.execute(
                insert(Device),
                [
                    {"id": d, "org_id": org.id, "kind": DeviceKind.JT808, "identifier": p, "simulated": True}
                    for d, _, p in rows
                ],
            )
            await session.execute(
                insert(DeviceBinding),
                [
                    {"id": uuid.uuid4(), "device_id": d, "vehicle_id": v, "valid_from": since}
                    for d, v, _ in rows
                ],
            )
            key = await partner_api_key(session, org.id, ["tracking:write"])
            await session.commit()
    finally:
        await engine.dispose()
    return phones, key


def encode_batches(phones: list[str], count: int, size: int) -> list[bytes]:
    """`count` request bodies of `size` fixes: fix g is device g mod D's (g div D)-th, one a second.

    Every device drives east at 60 km/h from its own start; the timeline ends a minute ago. Encoded before
    the run, so that the clients spend their time sending.
    """
    total = count * size
    per_device = math.ceil(total / len(phones))
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    start = end - timedelta(seconds=per_device)
    step_deg = 60 / 3600 / 111.0
    bodies = []
    for b in range(count):
        items = []
        for g in range(b * size, (b + 1) * size):
            d, k = g % len(phones), g // len(phones)
            items.append(
                {
                    "device": phones[d],
                    "fix_time": (start + timedelta(seconds=k)).isoformat(),
                    "lat": round(30.0 + (d % 100) * 0.05, 6),
                    "lon": round(110.0 + (d // 100) * 0.5 + k * step_deg, 6),
                    "speed_kmh": 60.0,
                    "course_deg": 90.0,
                    "altitude_m": 400.0,
                    "satellites": 12,
                }
            )
        bodies.append(json.dumps({"positions": items}, separators=(",", ":")).encode())
    return bodies


class Tally:
    """What the answers said."""

    def __init__(self) -> None:
        self.stored = 0
        self.duplicates = 0
        self.rejected = 0
        self.http_errors: dict[str, int] = {}
        self.reasons: dict[str, int] = {}
        self.latencies: list[float] = []

    def add(self, response: httpx.Response, elapsed_ms: float, *, timed: bool) -> None:
        """Count one answer."""
        if response.status_code != 200:
            key = str(response.status_code)
            self.http_errors[key] = self.http_errors.get(key, 0) + 1
            return
        body = response.json()
        self.stored += body["stored"]
        self.duplicates += body["duplicates"]
        self.rejected += body["rejected"]
        for r in body["results"]:
            if r["status"] == "rejected":
                self.reasons[r["code"]] = self.reasons.get(r["code"], 0) + 1
        if timed:
            self.latencies.append(elapsed_ms)


async def drive(args: argparse.Namespace, server: ApiServer, key: str, bodies: list[bytes]) -> dict[str, Any]:
    """Warm up with one batch per client, then send the rest from `--clients` clients, closed loop."""
    tally = Tally()
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, limits=limits, timeout=120) as http:

        async def send(body: bytes, *, timed: bool) -> None:
            t0 = time.perf_counter()
            r = await http.post(URL, content=body)
            tally.add(r, (time.perf_counter() - t0) * 1000, timed=timed)

        # connections, caches and the first partitions' plans are warm after one batch per client
        warm, rest = bodies[: args.warmup], bodies[args.warmup :]
        await asyncio.gather(*(send(b, timed=False) for b in warm))
        queue = iter(rest)

        async def client() -> None:
            for body in queue:
                await send(body, timed=True)

        server_cpu0 = server.cpu_s()
        own0 = psutil.Process().cpu_times()
        t0 = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(args.clients)))
        elapsed = time.perf_counter() - t0
        own1 = psutil.Process().cpu_times()
        server_cpu = server.cpu_s() - server_cpu0
    timed_fixes = len(rest) * args.batch_size
    lat = tally.latencies
    return {
        "fixes": len(bodies) * args.batch_size,
        "timed_fixes": timed_fixes,
        "batches": len(rest),
        "batch_size": args.batch_size,
        "clients": args.clients,
        "devices": args.devices,
        "seconds": round(elapsed, 3),
        "fixes_per_s": round(timed_fixes / elapsed),
        "batches_per_s": round(len(rest) / elapsed, 1),
        "batch_p50_ms": pct(lat, 50),
        "batch_p90_ms": pct(lat, 90),
        "batch_p99_ms": pct(lat, 99),
        "batch_max_ms": round(max(lat), 1) if lat else 0.0,
        "batch_mean_ms": round(statistics.fmean(lat), 1) if lat else 0.0,
        "stored": tally.stored,
        "duplicates": tally.duplicates,
        "rejected": tally.rejected,
        "rejected_by_code": tally.reasons,
        "http_errors": tally.http_errors,
        "server_cpu_percent": round(100 * server_cpu / elapsed),
        "server_cpu_us_per_fix": round(1e6 * server_cpu / timed_fixes, 1),
        "clients_cpu_percent": round(100 * ((own1.user + own1.system) - (own0.user + own0.system)) / elapsed),
        "server_rss_mb": server.rss_mb(),
    }


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=200, help="timed batches")
    parser.add_argument("--batch-size", type=int, default=500, help="fixes per batch (at most 5,000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=None, help="untimed batches first (default: --clients)")
    parser.add_argument("--pool", type=int, default=10, help="the server's database pool size")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = args.clients
    if args.batch_size > args.devices:
        parser.error("--batch-size must not exceed --devices (a batch holds one fix per device)")
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    admin = to_sqlalchemy_url(args.database_url or DEFAULT_ADMIN_URL)
    name, url = scratch_database(admin, "yidan_bench_http")
    try:
        upgrade(url)
        phones, key = runner(provision(url, args.devices))
        bodies = encode_batches(phones, args.warmup + args.batches, args.batch_size)
        with ApiServer(url, args.redis_url, pool=args.pool) as server:
            result = runner(drive(args, server, key, bodies))
            result["server"] = server.stop()
        rows = count_positions(url)
        result["rows_in_db"] = rows
        result["lost"] = result["fixes"] - rows
        result["all_stored"] = result["stored"] == result["fixes"] == rows
        result["settings"] = {k: v for k, v in vars(args).items() if k not in ("database_url", "json")}
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        result["cpus"] = os.cpu_count()
        print_table(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, default=str))
    finally:
        if not args.keep:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
