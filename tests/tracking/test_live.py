"""Live positions: Redis publish, the hub and per-vehicle coalescing, SSE and the GraphQL subscription over
real sockets, tenancy, and Redis going away without touching storage."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from tests.tracking.live_support import (
    EAST_CHINA_SEA,
    NBCT,
    Proxy,
    assign,
    book,
    closed_port,
    eventually,
    live_stream,
    next_position,
    sse_frames,
    store_positions,
    stored,
    subscribe_ws,
    vehicle,
)

from yidan.core.redis import make_redis
from yidan.identity.principal import Role
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.geofence import GeofenceListener, GeofenceState
from yidan.tracking.live import LiveFix, LiveHub, LivePublisher, Subscription, channel, utc_iso
from yidan.tracking.models import Position, VehicleKind
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.stored import FixFlag, LegRef

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


@pytest.fixture
async def redis(settings) -> AsyncIterator[Redis]:
    """A client of the test Redis."""
    client = make_redis(settings.redis_url)
    yield client
    await client.aclose()


def _ref(waybill_id: uuid.UUID | None = None) -> LegRef:
    return LegRef(uuid.uuid4(), 1, "TRUCK", waybill_id or uuid.uuid4(), "YD26TEST0001")


def _fake_carrier(name: str):  # type: ignore[no-untyped-def]
    from tests.tracking.live_support import Carrier

    return Carrier(uuid.uuid4(), name, uuid.uuid4(), f"dev-{name}", "jt808")


# ---- messages and publishing ----


def test_live_fix_json_round_trip() -> None:
    fix = LiveFix("YD1", 2, "RAIL", "13800000000", "X8158", utc_iso(T0), 34.1, 108.9, 61.5, 270.0)
    body = json.loads(fix.to_json())
    assert body == {
        "waybill": "YD1",
        "leg_seq": 2,
        "mode": "RAIL",
        "device": "13800000000",
        "vehicle": "X8158",
        "fix_time": utc_iso(T0),
        "lat": 34.1,
        "lon": 108.9,
        "speed_kmh": 61.5,
        "course_deg": 270.0,
    }
    assert body["fix_time"].endswith("Z") and len(body["fix_time"]) == 24
    assert LiveFix.from_json(fix.to_json()) == fix
    assert LiveFix.from_json("not json") is None and LiveFix.from_json('{"waybill": 1}') is None


async def test_each_stored_fix_is_published_on_its_waybills_channels(redis, sessionmaker) -> None:
    truck = _fake_carrier("shared")
    a, b = _ref(), _ref()  # one truck carrying two waybills
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel(a.waybill_id), channel(b.waybill_id))
    publisher = LivePublisher(redis, sessionmaker)
    fixes = [
        stored(truck, T0 + timedelta(seconds=i), 30.0 + i / 1000, 120.0, [a, b], speed=50.0) for i in range(3)
    ]
    fixes.append(stored(truck, T0 + timedelta(seconds=9), 30.0, 120.0, [a], flags=FixFlag.IMPOSSIBLE_SPEED))
    started = time.perf_counter()
    assert await publisher.publish(fixes) == 6
    got: list[tuple[str, dict[str, Any]]] = []
    async with asyncio.timeout(5):
        while len(got) < 6:
            m = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if m:
                got.append((m["channel"], json.loads(m["data"])))
    latency_ms = (time.perf_counter() - started) * 1000
    print(f"\npublish → subscriber for a batch of 6 messages: {latency_ms:.1f} ms")
    await pubsub.aclose()
    assert {c for c, _ in got} == {channel(a.waybill_id), channel(b.waybill_id)}
    first = got[0][1]
    assert first["device"] == truck.identifier and first["leg_seq"] == 1 and first["mode"] == "TRUCK"
    assert first["fix_time"] == utc_iso(T0) and first["speed_kmh"] == 50.0
    assert publisher.published == 6 and publisher.dropped == 0  # the flagged fix is stored, not pushed


async def test_redis_down_drops_pushes_quickly_and_resumes_when_it_returns(settings) -> None:
    dead = LivePublisher(Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=1), timeout_s=0.5)
    fixes = [stored(_fake_carrier("d"), T0, 30.0, 120.0, [_ref()])]
    started = time.perf_counter()
    for _ in range(20):
        await dead(fixes)  # the listener never raises
    assert time.perf_counter() - started < 1.5  # one attempt, then a pause
    assert dead.dropped == 20 and dead.published == 0 and dead.redis_down
    await dead.redis.aclose()

    url = urlparse(settings.redis_url)
    proxy = Proxy(url.hostname or "127.0.0.1", url.port or 6379)
    await proxy.start()
    db = int((url.path or "/0").lstrip("/") or 0)
    publisher = LivePublisher(
        Redis(host="127.0.0.1", port=proxy.port, db=db, socket_connect_timeout=1), retry_after_s=0.2
    )
    assert await publisher.publish(fixes) == 1
    await proxy.cut()
    assert await publisher.publish(fixes) == 0 and publisher.redis_down
    await proxy.start()
    await asyncio.sleep(0.3)  # past the pause
    assert await publisher.publish(fixes) == 1
    assert not publisher.redis_down and publisher.dropped == 1 and publisher.published == 2
    await publisher.redis.aclose()
    await proxy.cut()


async def test_storage_and_other_listeners_go_on_without_redis(client, factory, sessionmaker) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    dead = LivePublisher(Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=1))
    geofence = GeofenceListener(sessionmaker)
    pipeline = Pipeline(sessionmaker)
    pipeline.add_listener(dead)
    pipeline.add_listener(geofence)
    await pipeline.start()
    try:
        fixes = [
            # three hours apart: a plausible speed, so neither fix is flagged
            Fix(device_id=ship.identifier, source="ais", fix_time=T0 - timedelta(hours=h), lat=lat, lon=lon)
            for h, (lat, lon) in zip((3, 0), [NBCT, EAST_CHINA_SEA], strict=True)
        ]
        for f in fixes:
            report = await pipeline.submit([f])
            assert report.stored == 1
    finally:
        await pipeline.stop()
    await dead.redis.aclose()
    async with sessionmaker() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Position).where(Position.device_id == ship.device_id)
        )
        state = await session.get(GeofenceState, ship.device_id)
    assert rows == 2
    assert dead.dropped == 2 and dead.published == 0
    assert state is not None and state.fix_time == fixes[-1].fix_time  # the geofence listener ran on both


# ---- the hub and coalescing ----


def test_subscription_keeps_the_newest_per_vehicle_and_is_bounded() -> None:
    sub = Subscription("c", max_vehicles=2)
    fixes = {
        v: [
            LiveFix("W", 1, "TRUCK", f"d{v}", f"v{v}", utc_iso(T0 + timedelta(seconds=s)), 0, 0, None, None)
            for s in range(5)
        ]
        for v in range(3)
    }
    for s in range(5):
        for v in range(2):
            sub.offer(fixes[v][s])
    sub.offer(fixes[0][2])  # older than what is pending: ignored
    assert sub.pending() == 2 and sub.coalesced == 8
    got = sub.drain()
    assert [f.fix_time for f in got] == [utc_iso(T0 + timedelta(seconds=4))] * 2
    sub.offer(fixes[0][3])  # older than what the client has seen: never sent
    assert sub.pending() == 0
    sub.offer(
        fixes[0][4].__class__(**{**fixes[0][4].as_dict(), "fix_time": utc_iso(T0 + timedelta(seconds=9))})
    )
    sub.offer(
        fixes[1][4].__class__(**{**fixes[1][4].as_dict(), "fix_time": utc_iso(T0 + timedelta(seconds=9))})
    )
    sub.offer(fixes[2][0])  # a third vehicle while two are pending: the oldest entry makes room
    assert sub.pending() == 2 and sub.evicted == 1


async def test_a_slow_consumer_gets_only_the_latest_per_vehicle_and_slows_nobody(redis, sessionmaker) -> None:
    hub = LiveHub(redis)
    ref = _ref()
    trucks = [_fake_carrier(f"t{i}") for i in range(3)]
    publisher = LivePublisher(redis)
    per_vehicle = 200
    async with hub.subscribe(channel(ref.waybill_id)) as slow, hub.subscribe(channel(ref.waybill_id)) as fast:
        seen: dict[str, str] = {}
        last = utc_iso(T0 + timedelta(seconds=per_vehicle - 1))

        async def consume() -> None:
            while len(seen) < 3 or any(t != last for t in seen.values()):
                for fix in await fast.next(1.0):
                    assert fix.fix_time > seen.get(fix.key, "")  # in order, never backwards
                    seen[fix.key] = fix.fix_time

        consumer = asyncio.create_task(consume())
        for s in range(per_vehicle):
            await publisher.publish(
                [stored(t, T0 + timedelta(seconds=s), 30.0, 120.0 + s / 1e4, [ref]) for t in trucks]
            )
        await asyncio.wait_for(consumer, 10)
        # the slow one has read nothing: it holds one fix per vehicle, the newest
        assert slow.pending() == 3
        assert slow.received == 3 * per_vehicle and slow.coalesced == 3 * per_vehicle - 3
        got = slow.drain()
        assert sorted(f.device for f in got) == sorted(t.identifier for t in trucks)
        assert {f.fix_time for f in got} == {last}
        print(
            f"\nfast consumer: {fast.received} received, {fast.coalesced} coalesced; slow: {slow.received} received, 3 delivered"
        )
    assert hub.channels == 0
    await hub.close()


async def test_hub_resubscribes_and_asks_for_a_resync_after_losing_redis(settings, redis) -> None:
    url = urlparse(settings.redis_url)
    db = int((url.path or "/0").lstrip("/") or 0)
    proxy = Proxy(url.hostname or "127.0.0.1", url.port or 6379)
    await proxy.start()
    hub = LiveHub(
        Redis(host="127.0.0.1", port=proxy.port, db=db, decode_responses=True), reconnect_after_s=0.1
    )
    ref = _ref()
    publisher = LivePublisher(redis)
    truck = _fake_carrier("r")
    async with hub.subscribe(channel(ref.waybill_id)) as sub:
        await publisher.publish([stored(truck, T0, 30.0, 120.0, [ref])])
        assert len(await sub.next(2)) == 1
        await proxy.cut()
        await asyncio.sleep(0.3)
        await proxy.start()
        await eventually(lambda: sub.resync)
        async with asyncio.timeout(5):
            while True:  # publish until the renewed subscription is in place
                await publisher.publish([stored(truck, datetime.now(UTC), 30.0, 120.0, [ref])])
                if await sub.next(0.2):
                    break
    assert hub.reconnects + hub.resubscribed >= 1
    await hub.close()
    await hub.redis.aclose()
    await proxy.cut()


# ---- SSE ----


async def test_sse_sends_latest_positions_then_live_ones(
    client, factory, sessionmaker, app, live_server
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    await store_positions(sessionmaker, [stored(ship, T0, *NBCT, [wb.ref(1)], speed=0.0)])
    publisher = LivePublisher(app.state.redis, sessionmaker)
    async with live_stream(live_server, wb.number, wb.shipper_headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        frames = sse_frames(r)
        first = await next_position(frames)
        assert first["device"] == ship.identifier and first["vehicle"] == ship.reference
        assert first["fix_time"] == utc_iso(T0) and first["lat"] == NBCT[0] and first["leg_seq"] == 1
        later = stored(ship, T0 + timedelta(minutes=1), *EAST_CHINA_SEA, [wb.ref(1)], speed=25.0, course=80.0)
        started = time.perf_counter()
        await publisher.publish([later])
        live = await next_position(frames)
        print(f"\nSSE: publish → client {1000 * (time.perf_counter() - started):.1f} ms")
        assert live["fix_time"] == utc_iso(later.fix.fix_time) and live["course_deg"] == 80.0
        assert live["waybill"] == wb.number and live["mode"] == "VESSEL"


async def test_sse_keep_alive_comments(client, factory, app, live_server) -> None:
    wb = await book(client, factory)
    app.state.live_keepalive_s = 0.2
    try:
        async with live_stream(live_server, wb.number, wb.shipper_headers) as r:
            comments = []
            async with asyncio.timeout(3):
                async for event, text in sse_frames(r):
                    if event == "comment":
                        comments.append(text)
                    if comments.count("keep-alive") >= 2:
                        break
            assert comments[0] == "live"
    finally:
        del app.state.live_keepalive_s


async def test_sse_is_authorised_like_the_waybill(client, factory) -> None:
    wb = await book(client, factory)
    stranger = await factory.account(Role.SHIPPER)
    r = await client.get(f"/api/v1/waybills/{wb.number}/live", headers=stranger.headers)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_found"
    assert (await client.get(f"/api/v1/waybills/{wb.number}", headers=stranger.headers)).status_code == 404
    r = await client.get(f"/api/v1/waybills/{wb.number}/live")
    assert r.status_code == 401
    r = await client.get("/api/v1/waybills/YD00NOSUCH0/live", headers=wb.shipper_headers)
    assert r.status_code == 404


async def test_sse_fan_out_and_a_stalled_client_does_not_hold_up_the_others(
    client,
    factory,
    sessionmaker,
    app,
    live_server,
) -> None:
    n = int(os.environ.get("YIDAN_SSE_CLIENTS", "100"))
    wb = await book(client, factory)
    ref = wb.ref(1)
    trucks = [_fake_carrier(f"f{i}") for i in range(3)]
    publisher = LivePublisher(app.state.redis)
    # a client whose connection stopped taking data: after the first frames, every send blocks for good
    token = wb.shipper_headers["Authorization"].encode()
    sent_frames: list[bytes] = []
    never = asyncio.Event()
    requested: list[bool] = []

    async def receive() -> dict[str, Any]:
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent_frames.append(message.get("body", b""))
            if len(sent_frames) > 3:
                await never.wait()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/api/v1/waybills/{wb.number}/live",
        "raw_path": f"/api/v1/waybills/{wb.number}/live".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"authorization", token), (b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    stalled = asyncio.create_task(app(scope, receive, send))

    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
    first_marker, last_marker = utc_iso(T0 + timedelta(days=1)), utc_iso(T0 + timedelta(days=2))
    arrived: dict[str, list[float]] = {first_marker: [], last_marker: []}
    async with httpx.AsyncClient(base_url=f"http://{live_server}", timeout=60, limits=limits) as http:
        ready = asyncio.Event()
        connected = 0

        async def listen() -> None:
            nonlocal connected
            async with http.stream(
                "GET", f"/api/v1/waybills/{wb.number}/live", headers=wb.shipper_headers
            ) as r:
                assert r.status_code == 200
                async for event, data in sse_frames(r):
                    if event == "comment" and data == "live":
                        connected += 1
                        if connected == n:
                            ready.set()
                    if event == "position" and (t := json.loads(data)["fix_time"]) in arrived:
                        arrived[t].append(time.perf_counter())
                        if t == last_marker:
                            return

        tasks = [asyncio.create_task(listen()) for _ in range(n)]
        await asyncio.wait_for(ready.wait(), 120)
        # one fix to n idle clients: the live push latency
        sent = time.perf_counter()
        await publisher.publish([stored(trucks[0], T0 + timedelta(days=1), 30.0, 120.0, [ref])])
        await eventually(lambda: len(arrived[first_marker]) == n, 60)
        # then a flood of 3 vehicles × 3000 fixes, far more than the stalled client can take
        for s in range(0, 3000, 100):
            batch = [
                stored(t, T0 + timedelta(seconds=s + k), 30.0, 120.0, [ref])
                for k in range(100)
                for t in trucks
            ]
            await publisher.publish(batch)
        await publisher.publish([stored(trucks[0], T0 + timedelta(days=2), 30.0, 120.0, [ref])])
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    lat = sorted((t - sent) * 1000 for t in arrived[first_marker])
    p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"\nSSE fan-out of one fix to {n} clients: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms"
    )
    assert len(arrived[last_marker]) == n  # nobody was held up by the stalled client
    assert publisher.dropped == 0
    # the stalled client's subscription holds at most one fix per vehicle, whatever was published
    hub = app.state.live_hub
    # the others are gone once they hung up
    await eventually(lambda: len(hub._subs.get(channel(wb.id), ())) <= 1, 30)
    (left,) = hub._subs[channel(wb.id)]
    assert len(sent_frames) == 4  # the stream stopped at the blocked send
    # the other two trucks' 6000 fixes collapsed into their newest; the first truck's flood was older than
    # its marker, so it was never even queued
    assert left.received == 9002 and left.pending() == 3 and left.coalesced > 5900
    print(f"stalled client: {left.received} fixes offered, {left.pending()} waiting (one per vehicle)")
    stalled.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stalled
    await eventually(lambda: channel(wb.id) not in hub._subs, 10)


# ---- GraphQL subscription over a real websocket ----


async def test_graphql_subscription_streams_positions(
    client, factory, sessionmaker, app, live_server
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    await store_positions(sessionmaker, [stored(ship, T0, *NBCT, [wb.ref(1)])])
    ws = await subscribe_ws(live_server, wb.number, {"Authorization": wb.shipper_headers["Authorization"]})
    try:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "next", first
        fix = first["payload"]["data"]["waybillTracking"]
        assert fix["device"] == ship.identifier and fix["mode"] == "VESSEL" and fix["legSeq"] == 1
        assert fix["waybillNumber"] == wb.number and fix["lat"] == NBCT[0]
        await LivePublisher(app.state.redis).publish(
            [stored(ship, T0 + timedelta(minutes=2), *EAST_CHINA_SEA, [wb.ref(1)], speed=30.0)]
        )
        live = json.loads(await asyncio.wait_for(ws.recv(), 5))["payload"]["data"]["waybillTracking"]
        assert live["lat"] == EAST_CHINA_SEA[0] and live["speedKmh"] == 30.0
        assert datetime.fromisoformat(live["fixTime"]) == T0 + timedelta(minutes=2)
        # the subscription holds no pooled database connection while it waits
        assert app.state.engine.pool.checkedout() <= 2
    finally:
        await ws.close()
    await eventually(lambda: channel(wb.id) not in app.state.live_hub._subs)  # nothing left behind


async def test_graphql_subscription_with_credentials_in_the_handshake(
    client, factory, sessionmaker, live_server
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    await store_positions(sessionmaker, [stored(ship, T0, *NBCT, [wb.ref(1)])])
    ws = await subscribe_ws(live_server, wb.number, {}, headers=wb.shipper_headers)
    try:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (
            msg["type"] == "next" and msg["payload"]["data"]["waybillTracking"]["device"] == ship.identifier
        )
    finally:
        await ws.close()


async def test_graphql_subscription_tenancy(client, factory, live_server) -> None:
    wb = await book(client, factory)
    stranger = await factory.account(Role.SHIPPER)
    ws = await subscribe_ws(live_server, wb.number, {"Authorization": stranger.headers["Authorization"]})
    try:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert msg["type"] in ("next", "error"), msg
        errors = msg["payload"]["errors"] if msg["type"] == "next" else msg["payload"]
        assert errors[0]["extensions"]["code"] == "not_found", errors
    finally:
        await ws.close()
    ws = await subscribe_ws(live_server, wb.number, {})
    try:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        errors = msg["payload"]["errors"] if msg["type"] == "next" else msg["payload"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", errors
    finally:
        await ws.close()
    ws = await subscribe_ws(live_server, wb.number, {"Authorization": "Bearer not-a-token"})
    try:
        msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
        errors = msg["payload"]["errors"] if msg["type"] == "next" else msg["payload"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", errors
    finally:
        await ws.close()


# ---- end to end: the app's own pipeline and listeners ----


async def test_a_fix_submitted_to_the_app_pipeline_reaches_an_sse_client(
    client,
    factory,
    sessionmaker,
    app,
    live_server,
) -> None:
    assert getattr(app.state, "tracking_listeners", None) is not None
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    async with live_stream(live_server, wb.number, wb.shipper_headers) as r:
        frames = sse_frames(r)
        async with asyncio.timeout(5):
            async for event, data in frames:
                if event == "comment" and data == "live":
                    break
        fix = Fix(
            device_id=ship.identifier,
            source="ais",
            fix_time=datetime.now(UTC).replace(microsecond=0),
            lat=NBCT[0],
            lon=NBCT[1],
            speed_kmh=3.0,
        )
        started = time.perf_counter()
        report = await app.state.pipeline.submit([fix])
        acked = time.perf_counter()
        assert report.stored == 1
        got = await next_position(frames)
        done = time.perf_counter()
        print(
            f"\npipeline: submit → commit {1000 * (acked - started):.1f} ms, commit → SSE client {1000 * (done - acked):.1f} ms"
        )
        assert got["device"] == ship.identifier and got["vehicle"] == ship.reference
