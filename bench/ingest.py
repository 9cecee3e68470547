"""Position pipeline benchmark: fixes from many devices through Pipeline.submit into a scratch database.

Each simulated device submits its fixes one report at a time and waits for the commit, as a JT/T 808
terminal does (the gateway acknowledges only after commit). Prints fixes/s, submit-to-commit latency
percentiles, and the rate of a bare binary COPY of the same rows for comparison; checks that every
fix sent is stored. Usage:

    .venv/bin/python bench/ingest.py --fixes 200000 --devices 1000 [--json out.json] [--keep]

The PostgreSQL server is TEST_DATABASE_URL, else postgres on 127.0.0.1:5432; the scratch database is
dropped afterwards unless --keep is given.
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

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from scratch import drop_database, scratch_database

from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import to_libpq_url, to_sqlalchemy_url
from yidan.core.migrate import upgrade
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.pipeline import Pipeline


def _provision(url: str, devices: int) -> list[str]:
    """An organisation with `devices` JT/T 808 terminals, each mounted on its own truck."""
    phones = [f"1{77_0000_0000 + i:010d}" for i in range(devices)]
    org = uuid.uuid4()
    since = datetime.now(UTC) - timedelta(days=30)
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute(
            "INSERT INTO organisations (id, name, kind, created_at) "
            "VALUES (%s, 'Bench fleet', 'carrier', now())",
            (org,),
        )
        with conn.cursor() as cur:
            for i, phone in enumerate(phones):
                device, vehicle = uuid.uuid4(), uuid.uuid4()
                cur.execute(
                    "INSERT INTO vehicles (id, org_id, kind, reference) VALUES (%s, %s, 'truck', %s)",
                    (vehicle, org, f"陕B{i:05d}"),
                )
                cur.execute(
                    "INSERT INTO devices (id, org_id, kind, identifier, simulated) "
                    "VALUES (%s, %s, 'jt808', %s, true)",
                    (device, org, phone),
                )
                cur.execute(
                    "INSERT INTO device_bindings (id, device_id, vehicle_id, valid_from) "
                    "VALUES (%s, %s, %s, %s)",
                    (uuid.uuid4(), device, vehicle, since),
                )
        conn.commit()
    return phones


def _tracks(phones: list[str], per_device: int) -> list[list[Fix]]:
    """Each device drives east at 60 km/h from its own start, one fix a second, ending a minute ago."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    start = end - timedelta(seconds=per_device)
    step_deg = 60 / 3600 / 111.0
    tracks = []
    for k, phone in enumerate(phones):
        lat, lon = 30.0 + (k % 100) * 0.05, 110.0 + (k // 100) * 0.5
        tracks.append(
            [
                Fix(
                    device_id=phone,
                    source="jt808",
                    fix_time=start + timedelta(seconds=i),
                    lat=lat,
                    lon=lon + i * step_deg,
                    speed_kmh=60.0,
                    course_deg=90.0,
                    altitude_m=400.0,
                    satellites=12,
                    status=2,
                    alarms=0,
                )
                for i in range(per_device)
            ]
        )
    return tracks


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


async def _run(url: str, tracks: list[list[Fix]], args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url, pool_size=args.writers + 2)
    pipeline = Pipeline(
        make_sessionmaker(engine),
        max_pending=args.max_pending,
        batch_size=args.batch_size,
        batch_ms=args.batch_ms,
        writers=args.writers,
    )
    await pipeline.start()
    latencies: list[float] = []

    async def device(fixes: list[Fix]) -> None:
        for i in range(0, len(fixes), args.per_submit):
            t0 = time.perf_counter()
            await pipeline.submit(fixes[i : i + args.per_submit])
            latencies.append((time.perf_counter() - t0) * 1000)

    # one warm-up report per device so caches and connections are ready, as on a running gateway
    await asyncio.gather(*(pipeline.submit(t[:1]) for t in tracks))
    rest = [t[1:] for t in tracks]
    sent = sum(len(t) for t in rest)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(device(t) for t in rest))
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    stats = pipeline.stats
    await pipeline.stop()
    await engine.dispose()
    return {
        "fixes": sent,
        "seconds": round(elapsed, 3),
        "fixes_per_s": round(sent / elapsed),
        "submit_p50_ms": round(statistics.median(latencies), 1),
        "submit_p99_ms": round(_pct(latencies, 99), 1),
        "submit_max_ms": round(max(latencies), 1),
        # this process's CPU per fix (pipeline and the simulated devices), steadier than wall time on a
        # shared machine
        "python_cpu_us_per_fix": round(cpu / sent * 1e6, 1),
        "batches": stats.batches,
        "mean_batch": round((stats.stored + stats.duplicates + stats.rejected) / max(1, stats.batches)),
        "stored": stats.stored,
        "rejected": stats.rejected,
        "failed": stats.failed,
    }


def _bare_copy(url: str) -> dict[str, Any]:
    """The same rows, copied again by one binary COPY into an empty table shaped like positions."""
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.execute("CREATE TABLE positions_bare (LIKE positions INCLUDING ALL)")
        rows = conn.execute("SELECT * FROM positions").fetchall()
        columns = [d.name for d in conn.execute("SELECT * FROM positions LIMIT 0").description or []]
        conn.commit()
        t0 = time.perf_counter()
        copy_sql = f"COPY positions_bare ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.set_types(
                [
                    "uuid",
                    "timestamptz",
                    "timestamptz",
                    "float8",
                    "float8",
                    "float8",
                    "float8",
                    "float8",
                    "int2",
                    "int8",
                    "int8",
                    "varchar",
                    "int4",
                    "jsonb",
                ]
            )
            for row in rows:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - t0
    return {"rows": len(rows), "seconds": round(elapsed, 3), "rows_per_s": round(len(rows) / elapsed)}


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fixes", type=int, default=200_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--per-submit", type=int, default=1, help="fixes per submit call (a 0x0200 is 1)")
    parser.add_argument("--max-pending", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=2_000)
    parser.add_argument("--batch-ms", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    admin = to_sqlalchemy_url(args.database_url or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name, url = scratch_database(admin, "yidan_bench")
    try:
        upgrade(url)
        phones = _provision(url, args.devices)
        tracks = _tracks(phones, max(2, args.fixes // args.devices + 1))
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        result = runner(_run(url, tracks, args))
        with psycopg.connect(to_libpq_url(url)) as conn:
            row = conn.execute("SELECT count(*) FROM positions").fetchone()
            rows = int(row[0]) if row else 0
        bare = _bare_copy(url)
        result["rows_in_db"] = rows
        result["lost"] = result["fixes"] + args.devices - rows
        result["bare_copy_rows_per_s"] = bare["rows_per_s"]
        result["fraction_of_bare_copy"] = round(result["fixes_per_s"] / bare["rows_per_s"], 3)
        result["settings"] = {k: v for k, v in vars(args).items() if k not in ("database_url", "json")}
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        result["cpus"] = os.cpu_count()
        width = max(len(k) for k in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, default=str))
    finally:
        if not args.keep:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
