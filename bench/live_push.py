"""Live push latency: a fix acknowledged by the HTTP batch endpoint, to 1,000 SSE subscribers of its waybill.

The API (`create_app`, served by uvicorn) runs in a process of its own on a scratch database
(bench/api_server.py). This process books a waybill whose truck leg is carried by a truck with a JT/T 808
terminal (a leg assignment, as the carrier's dispatcher makes it), logs the shipper in, and opens
`--subscribers` streams of GET /api/v1/waybills/{number}/live with the shipper's token. A third process
then reports the truck's fixes through POST /api/v1/tracking/positions with the carrier's tracking:write
API key, one fix a request at `--rate` a second for `--duration` seconds, and notes for each when the POST
returned (the fix committed and acknowledged). Every subscriber notes when the event carrying each fix
arrived. Prints p50/p99/max of (received − acknowledged) over all subscriber × fix pairs, and how many
deliveries were expected and received. Both clocks are CLOCK_MONOTONIC, one clock for the whole machine.

The subscribers are lean asyncio protocols speaking HTTP/1.1 (chunked SSE), stamped as their bytes come
in, so that 1,000 of them in one process cost little next to what is measured. Usage:

    .venv/bin/python bench/live_push.py --subscribers 1000 --rate 5 --duration 20 [--json out.json] [--keep]

The PostgreSQL server is TEST_DATABASE_URL, else postgres on 127.0.0.1:5432; Redis is TEST_REDIS_URL,
else redis://127.0.0.1:6379/15. The scratch database is dropped afterwards unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
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
from scratch import DEFAULT_ADMIN_URL, drop_database, raise_fd_limit, scratch_database

from yidan.core.db import make_engine, make_sessionmaker
from yidan.core.embedded import to_sqlalchemy_url
from yidan.core.migrate import upgrade
from yidan.identity import service as identity
from yidan.identity.principal import OrgKind, Principal, Role
from yidan.seed import SeedReport, seed_reference
from yidan.tracking import fleet
from yidan.tracking.live import utc_iso
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, Vehicle, VehicleKind
from yidan.tracking.schemas import AssignmentIn
from yidan.waybills import service as waybills
from yidan.waybills.schemas import WaybillIn

ROOT = Path(__file__).resolve().parents[1]
POSITIONS = "/api/v1/tracking/positions"
# On the G30 west of Xi'an: no terminal or place geofence nearby, so no automatic event moves the leg.
START = (34.2800, 108.4000)
PHONE = "13911112222"
PLATE = "陕A·B2026"
KEY_ENV = "YIDAN_BENCH_API_KEY"


# -- provisioning ---------------------------------------------------------------------------------------


async def provision(url: str) -> dict[str, str]:
    """A booked Xi'an truck leg carried by a truck with a terminal; the waybill, a shipper login, a key."""
    engine = make_engine(url, pool_size=2)
    password = secrets.token_urlsafe(16)
    now = datetime.now(UTC)
    try:
        async with make_sessionmaker(engine)() as session:
            await seed_reference(session, ROOT / "seed_data", SeedReport())
            shipper_org = await identity.create_organisation(
                session, name="Live bench shipper", kind=OrgKind.SHIPPER
            )
            carrier = await identity.create_organisation(
                session, name="Live bench trucking", kind=OrgKind.CARRIER
            )
            email = f"shipper-{uuid.uuid4().hex[:8]}@bench.yidan"
            await identity.create_user(
                session,
                org_id=shipper_org.id,
                email=email,
                name="Bench shipper",
                role=Role.SHIPPER,
                password=password,
            )
            truck = Vehicle(org_id=carrier.id, kind=VehicleKind.TRUCK, reference="陕AB2026")
            device = Device(org_id=carrier.id, kind=DeviceKind.JT808, identifier=PHONE, plate=PLATE)
            session.add_all([truck, device])
            await session.flush()
            session.add(
                DeviceBinding(device_id=device.id, vehicle_id=truck.id, valid_from=now - timedelta(days=1))
            )
            owner = Principal(
                org_id=shipper_org.id, org_kind=OrgKind.SHIPPER, role=Role.SHIPPER, label="bench:shipper"
            )
            waybill = await waybills.create_waybill(
                session,
                owner,
                WaybillIn.model_validate(
                    {
                        "book": True,
                        "consignee": {"name": "Bench consignee", "address": "Xi'an"},
                        "cargo_lines": [{"description": "parts", "packages": 4, "gross_weight_kg": 1200}],
                        "legs": [
                            {
                                "mode": "TRUCK",
                                "carrier_id": str(carrier.id),
                                "vehicle": {"truck_plate": PLATE},
                                "from_unlocode": "CNXIA",
                                "to_unlocode": "CNXIA",
                                "to_address": "Consignee warehouse, Xi'an",
                                "planned_departure": (now + timedelta(hours=1)).isoformat(),
                                "planned_arrival": (now + timedelta(hours=6)).isoformat(),
                            }
                        ],
                    }
                ),
            )
            dispatcher = Principal(
                org_id=carrier.id, org_kind=OrgKind.CARRIER, role=Role.DISPATCHER, label="bench:dispatcher"
            )
            await fleet.assign_vehicle(
                session,
                dispatcher,
                waybill.number,
                1,
                AssignmentIn(vehicle=truck.reference, valid_from=now - timedelta(hours=1)),
            )
            key = await partner_api_key(session, carrier.id, ["tracking:write"])
            await session.commit()
    finally:
        await engine.dispose()
    return {"waybill": waybill.number, "email": email, "password": password, "key": key}


def fix_body(i: int, at: datetime) -> bytes:
    """The i-th fix of the truck, creeping east at walking pace (never an implausible speed)."""
    item = {
        "device": PHONE,
        "fix_time": at.isoformat(),
        "lat": START[0],
        "lon": round(START[1] + i * 1e-5, 6),
        "speed_kmh": 18.0,
        "course_deg": 90.0,
        "satellites": 14,
    }
    return json.dumps({"positions": [item]}).encode()


def now_ms() -> datetime:
    """Now in UTC to the millisecond, the precision of a live event's fix_time."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


# -- the subscribers ------------------------------------------------------------------------------------


class Subscriber(asyncio.Protocol):
    """One SSE client: an HTTP/1.1 GET, then position events noted by fix time as they arrive."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.head = bytearray()
        self.headers_done = False
        self.chunked = False
        self.raw = bytearray()  # chunked body not yet decoded
        self.need: int | None = None  # bytes left of the current chunk
        self.text = bytearray()  # decoded body not yet split into events
        self.arrivals: dict[str, float] = {}
        self.events = 0
        loop = asyncio.get_running_loop()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the request."""
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        """The stream ended."""
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("the stream closed before it went live"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        """Stamp, then decode what came."""
        now = time.monotonic()
        if not self.headers_done:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            head, rest = bytes(self.head[:end]).lower(), bytes(self.head[end + 4 :])
            self.head.clear()
            self.headers_done = True
            if not head.startswith((b"http/1.1 200", b"http/1.0 200")):
                status = head.split(b"\r\n", 1)[0].decode(errors="replace")
                if not self.ready.done():
                    self.ready.set_exception(RuntimeError(f"the live stream answered {status}"))
                return
            self.chunked = b"transfer-encoding: chunked" in head
            data = rest
        if self.chunked:
            self._dechunk(data)
        else:
            self.text += data
        self._events(now)

    def _dechunk(self, data: bytes) -> None:
        raw = self.raw
        raw += data
        while True:
            if self.need is None:
                eol = raw.find(b"\r\n")
                if eol < 0:
                    return
                size = int(bytes(raw[:eol]).split(b";", 1)[0], 16)
                del raw[: eol + 2]
                if size == 0:
                    return
                self.need = size
            if len(raw) < self.need + 2:
                return
            self.text += raw[: self.need]
            del raw[: self.need + 2]
            self.need = None

    def _events(self, now: float) -> None:
        text = self.text
        start = 0
        while (end := text.find(b"\n\n", start)) >= 0:
            event = text[start:end]
            start = end + 2
            if event.startswith(b"event: position"):
                at = event.find(b'"fix_time":"')
                if at >= 0:
                    key = event[at + 12 : at + 36].decode()
                    self.arrivals.setdefault(key, now)
                    self.events += 1
            elif event.startswith(b": live") and not self.ready.done():
                self.ready.set_result(None)
        if start:
            del text[:start]


async def connect_all(port: int, request: bytes, count: int, wave: int) -> list[Subscriber]:
    """Open `count` live streams, `wave` at a time, each until it said it is live."""
    loop = asyncio.get_running_loop()

    async def one() -> Subscriber:
        for attempt in range(5):
            try:
                _, proto = await loop.create_connection(lambda: Subscriber(request), "127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise ConnectionError("a subscriber could not connect")
        await asyncio.wait_for(proto.ready, 60)
        return proto

    subscribers: list[Subscriber] = []
    for start in range(0, count, wave):
        subscribers += await asyncio.gather(*(one() for _ in range(min(wave, count - start))))
    return subscribers


# -- the reporting process --------------------------------------------------------------------------


async def report(args: argparse.Namespace) -> None:
    """Child process: POST one fix a request at the rate; one JSON line per fix, written at the end."""
    key = os.environ[KEY_ENV]
    count = round(args.rate * args.duration)
    lines = []
    async with httpx.AsyncClient(base_url=args.url, headers={"X-API-Key": key}, timeout=30) as http:
        started = time.monotonic()
        for i in range(count):
            due = started + i / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            at = now_ms()
            sent = time.monotonic()
            r = await http.post(
                POSITIONS, content=fix_body(args.first + i, at), headers={"Content-Type": "application/json"}
            )
            acked = time.monotonic()
            stored = r.status_code == 200 and r.json()["stored"] == 1
            line = {"fix_time": utc_iso(at), "sent": sent, "acked": acked, "stored": stored}
            lines.append(json.dumps({**line, "status": r.status_code}))
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


# -- the run ------------------------------------------------------------------------------------------------


async def watch_loop(lags: list[float], stop: asyncio.Event) -> None:
    """This process's event-loop lag: how late a 10 ms sleep wakes up."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        t0 = loop.time()
        await asyncio.sleep(0.01)
        lags.append((loop.time() - t0 - 0.01) * 1000)


async def drive(args: argparse.Namespace, server: ApiServer, setup: dict[str, str]) -> dict[str, Any]:
    """Log in, warm up, open the streams, let the reporter run, wait for the last deliveries, measure."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        r = await http.post(
            "/api/v1/auth/token", data={"username": setup["email"], "password": setup["password"]}
        )
        r.raise_for_status()
        token = r.json()["access_token"]
        # a few fixes before anyone listens: caches are warm, and each stream starts with the latest one
        for i in range(args.warmup):
            r = await http.post(
                POSITIONS,
                content=fix_body(i, now_ms()),
                headers={"X-API-Key": setup["key"], "Content-Type": "application/json"},
            )
            r.raise_for_status()
            await asyncio.sleep(0.05)
    request = (
        f"GET /api/v1/waybills/{setup['waybill']}/live HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\nUser-Agent: yidan-bench\r\n\r\n"
    ).encode()
    t0 = time.monotonic()
    subscribers = await connect_all(server.port, request, args.subscribers, args.wave)
    connect_s = time.monotonic() - t0
    print(f"  {len(subscribers)} live streams open in {connect_s:.1f} s", flush=True)
    initial = sum(1 for s in subscribers if s.events)

    lags: list[float] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_loop(lags, stop))
    server_cpu0, own0 = server.cpu_s(), psutil.Process().cpu_times()
    # The command line is this script and values this run chose; the key goes by the environment.
    reporter = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "report",
        "--url",
        server.url,
        "--rate",
        str(args.rate),
        "--duration",
        str(args.duration),
        "--first",
        str(args.warmup),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, KEY_ENV: setup["key"]},
        start_new_session=True,
    )
    out, _ = await reporter.communicate()
    window_s = time.monotonic() - t0 - connect_s
    server_cpu, own1 = server.cpu_s() - server_cpu0, psutil.Process().cpu_times()
    fixes = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    acked = {f["fix_time"]: f for f in fixes if f["stored"]}

    def complete() -> bool:
        return all(all(k in s.arrivals for k in acked) for s in subscribers)

    deadline = time.monotonic() + args.drain
    while not complete() and time.monotonic() < deadline:  # noqa: ASYNC110 (a poll of plain dicts)
        await asyncio.sleep(0.1)
    stop.set()
    await watcher
    for s in subscribers:
        if s.transport is not None:
            s.transport.close()
    await asyncio.gather(*(s.closed for s in subscribers), return_exceptions=True)

    push: list[float] = []  # received − acknowledged
    from_send: list[float] = []  # received − sent
    for s in subscribers:
        for key, f in acked.items():
            got = s.arrivals.get(key)
            if got is not None:
                push.append((got - f["acked"]) * 1000)
                from_send.append((got - f["sent"]) * 1000)
    post = [(f["acked"] - f["sent"]) * 1000 for f in acked.values()]
    expected = len(subscribers) * len(acked)
    # per fix: when its last subscriber had it, after the acknowledgement
    last = []
    for key, f in acked.items():
        times = [s.arrivals[key] for s in subscribers if key in s.arrivals]
        if times:
            last.append((max(times) - f["acked"]) * 1000)
    own_cpu = (own1.user + own1.system) - (own0.user + own0.system)
    return {
        "subscribers": len(subscribers),
        "connect_s": round(connect_s, 1),
        "streams_with_initial_position": initial,
        "fixes_sent": len(fixes),
        "fixes_acked_stored": len(acked),
        "rate_per_s": args.rate,
        "post_p50_ms": pct(post, 50),
        "post_p99_ms": pct(post, 99),
        "deliveries_expected": expected,
        "deliveries_received": len(push),
        "deliveries_missing": expected - len(push),
        "push_p50_ms": pct(push, 50),
        "push_p90_ms": pct(push, 90),
        "push_p99_ms": pct(push, 99),
        "push_max_ms": round(max(push), 1) if push else 0.0,
        "push_min_ms": round(min(push), 1) if push else 0.0,
        "push_mean_ms": round(statistics.fmean(push), 1) if push else 0.0,
        "push_from_send_p50_ms": pct(from_send, 50),
        "push_from_send_p99_ms": pct(from_send, 99),
        "last_subscriber_p50_ms": pct(last, 50),
        "last_subscriber_max_ms": round(max(last), 1) if last else 0.0,
        "server_cpu_percent": round(100 * server_cpu / window_s),
        "subscribers_cpu_percent": round(100 * own_cpu / window_s),
        "subscribers_loop_lag_ms_p99": pct(lags, 99),
        "server_rss_mb": server.rss_mb(),
    }


def main() -> None:
    """Run the benchmark and print the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode")
    rep = sub.add_parser("report", help="(internal) the process reporting fixes")
    rep.add_argument("--url", required=True)
    rep.add_argument("--rate", type=float, required=True)
    rep.add_argument("--duration", type=float, required=True)
    rep.add_argument("--first", type=int, default=0)
    parser.add_argument("--subscribers", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=5.0, help="fixes per second, one a request")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of reporting")
    parser.add_argument("--warmup", type=int, default=3, help="fixes reported before the streams open")
    parser.add_argument("--wave", type=int, default=100, help="streams opening at once")
    parser.add_argument("--drain", type=float, default=10.0, help="seconds to wait for late deliveries")
    parser.add_argument("--pool", type=int, default=10, help="the server's database pool size")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    if args.mode == "report":
        runner(report(args))
        return

    fd_limit = raise_fd_limit(args.subscribers + 1_000)
    if fd_limit < args.subscribers + 100:
        print(f"  open-files limit {fd_limit}: {fd_limit - 200} subscribers instead of {args.subscribers}")
        args.subscribers = fd_limit - 200
    admin = to_sqlalchemy_url(args.database_url or DEFAULT_ADMIN_URL)
    name, url = scratch_database(admin, "yidan_bench_live")
    try:
        upgrade(url)
        setup = runner(provision(url))
        with ApiServer(url, args.redis_url, pool=args.pool) as server:
            result = runner(drive(args, server, setup))
            result["server"] = server.stop()
        result["rows_in_db"] = count_positions(url)
        hidden = ("database_url", "json", "mode")
        result["settings"] = {k: v for k, v in vars(args).items() if k not in hidden}
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        result["cpus"] = os.cpu_count()
        result["fd_limit"] = fd_limit
        print_table(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, default=str))
    finally:
        if not args.keep:
            drop_database(admin, name)


if __name__ == "__main__":
    main()
