"""The gateway under stress: backpressure, graceful stop, many terminals, a killed process."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.tracking.gateway_support import (
    GatedSink,
    RawTerminal,
    body_at,
    connected,
    count_positions,
    new_phone,
    online,
    positions_of,
    provision,
)

from yidan.identity.principal import OrgKind
from yidan.settings import Settings
from yidan.tracking.decoders.jt808 import Jt808Message, MessageId, PlatformResponse, Terminal, encode_frame
from yidan.tracking.gateway import Gateway
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.terminal_client import TerminalClient, TerminalIdentity, location_body


@pytest.fixture
async def org_id(factory) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return (await factory.org(OrgKind.CARRIER)).id


@pytest.fixture
async def pipeline(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[Pipeline]:
    p = Pipeline(sessionmaker, batch_ms=5)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def gateway(
    pipeline: Pipeline, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Gateway]:
    gw = Gateway(pipeline, sessionmaker, host="127.0.0.1", port=0, idle_timeout_s=60)
    await gw.start()
    yield gw
    await gw.stop()


# -- backpressure and shutdown ----------------------------------------------------------------------


async def test_backpressure_stops_reading_and_loses_nothing(
    pipeline: Pipeline,
    sessionmaker,
    org_id,  # type: ignore[no-untyped-def]
) -> None:
    sink = GatedSink(pipeline)
    gw = Gateway(sink, sessionmaker, port=0)
    await gw.start()
    try:
        phone = new_phone()
        device = await provision(sessionmaker, org_id, phone, auth_code="bp")
        terminal = Terminal(phone)
        raw = await RawTerminal.open(gw)
        await raw.write(encode_frame(terminal, MessageId.AUTHENTICATION, b"bp", serial=0))
        await raw.read_messages(1)
        sink.gate.clear()  # the pipeline is "full": submit waits
        total = 600
        frames = [
            encode_frame(terminal, MessageId.LOCATION, body_at(3000 - i), serial=i + 1) for i in range(total)
        ]
        await raw.write(b"".join(frames[:10]))
        await asyncio.sleep(0.2)
        (conn,) = [c for c in gw._connections if c.device is not None]
        frames_read = gw.stats.frames
        assert sink.calls == 1 and conn.in_flight is not None
        # More keeps coming; the gateway does not read it while the submit waits.
        for chunk in range(10, total, 50):
            raw.writer.write(b"".join(frames[chunk : chunk + 50]))
        await asyncio.sleep(0.3)
        assert gw.stats.frames - frames_read <= 64 and sink.calls == 1
        # What it holds is at most one read, however much the terminal wrote.
        assert conn._reading_paused and sum(map(len, conn.inbox)) <= gw.limits.read_size
        assert raw.frames == [] and await count_positions(sessionmaker, [device.id]) == 0
        sink.gate.set()
        answers = await raw.read_messages(total, timeout_s=30)
        assert all(isinstance(m.body, PlatformResponse) and m.body.result == 0 for m in answers)
        assert [m.body.ack_serial for m in answers] == list(range(1, total + 1))  # type: ignore[union-attr]
        assert await count_positions(sessionmaker, [device.id]) == total
        await raw.close()
    finally:
        await gw.stop()


async def test_small_slow_pipeline_many_terminals_nothing_lost(sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    small = Pipeline(sessionmaker, max_pending=8, batch_size=8, batch_ms=1)
    await small.start()
    gw = Gateway(small, sessionmaker, port=0)
    await gw.start()
    try:
        phones = [new_phone() for _ in range(20)]
        devices = [await provision(sessionmaker, org_id, p, auth_code="x") for p in phones]

        async def drive(phone: str) -> list[int]:
            client = await connected(gw, TerminalIdentity(phone, "T808001", "陕A·D2345"))
            assert await client.authenticate("x") == 0
            serials = [client.send(MessageId.LOCATION, body_at(600 - i)) for i in range(30)]
            acks = [client.expect(MessageId.LOCATION, s) for s in serials]
            results = [m.body.result for m in await asyncio.wait_for(asyncio.gather(*acks), 60)]  # type: ignore[union-attr]
            await client.close()
            return results

        results = await asyncio.gather(*(drive(p) for p in phones))
        assert all(r == [0] * 30 for r in results)
        assert await count_positions(sessionmaker, [d.id for d in devices]) == 20 * 30
        assert small.stats.stored == 600
    finally:
        await gw.stop()
        await small.stop()


async def test_graceful_stop_finishes_pending_submits(pipeline: Pipeline, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    sink = GatedSink(pipeline)
    gw = Gateway(sink, sessionmaker, port=0)
    await gw.start()
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone, auth_code="stop")
    client = await connected(gw, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    assert await client.authenticate("stop") == 0
    sink.gate.clear()
    serial = client.send(MessageId.LOCATION, body_at(50))
    ack = client.expect(MessageId.LOCATION, serial)
    await asyncio.sleep(0.1)
    stopping = asyncio.create_task(gw.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # waiting for the submit in flight
    with pytest.raises(OSError):  # no longer accepting
        await asyncio.open_connection("127.0.0.1", gw.port)
    sink.gate.set()
    answer = (await asyncio.wait_for(ack, 10)).body
    assert isinstance(answer, PlatformResponse) and answer.result == 0
    await asyncio.wait_for(stopping, 10)
    assert len(await positions_of(sessionmaker, device.id)) == 1
    await asyncio.wait_for(client.closed.wait(), 5)
    await client.close()


# -- scale ----------------------------------------------------------------------------------------------


async def test_two_hundred_concurrent_terminals(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    count, reports = int(os.environ.get("GATEWAY_TEST_TERMINALS", "200")), 5
    phones = [f"17{i:09d}"[:11] for i in random.sample(range(10**9), count)]
    devices = [
        await provision(sessionmaker, org_id, p, terminal_id=f"C{i:06d}") for i, p in enumerate(phones)
    ]

    async def drive(i: int, phone: str) -> list[int]:
        client = await online(gateway, TerminalIdentity(phone, f"C{i:06d}", "陕A·D2345"))
        results = [await client.report(body_at(200 - k, lat=30 + i / 100)) for k in range(reports)]
        await client.close()
        return results

    results = await asyncio.gather(*(drive(i, p) for i, p in enumerate(phones)))
    assert all(r == [0] * reports for r in results)
    assert await count_positions(sessionmaker, [d.id for d in devices]) == count * reports


# -- a gateway process killed mid-stream ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _start_gateway_process(
    settings: Settings, port: int, processes: int = 1
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "YIDAN_DATABASE_URL": settings.database_url or "",
        "YIDAN_REDIS_URL": settings.redis_url or "",
        "YIDAN_DATA_DIR": str(settings.data_dir),
        "YIDAN_JWT_SECRET": "gateway-kill-test",
    }
    code = "import sys; from yidan.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-c", code, "gateway", "--port", str(port), "--processes", str(processes)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return proc
        except OSError:
            assert proc.poll() is None, "the gateway process exited"
            await asyncio.sleep(0.1)
    proc.kill()
    raise AssertionError("the gateway process did not start listening")


async def test_sigkill_mid_stream_loses_no_acknowledged_report(
    settings: Settings, sessionmaker, org_id
) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    terminals = 10
    phones = [new_phone() for _ in range(terminals)]
    devices = [await provision(sessionmaker, org_id, p, auth_code="kill") for p in phones]
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    acked: list[set[datetime]] = [set() for _ in phones]
    unacked: list[dict[datetime, bytes]] = [{} for _ in phones]
    sent = [0] * terminals

    def body(i: int, k: int) -> tuple[datetime, bytes]:
        moment = base + timedelta(seconds=k)
        return moment, location_body(lat=31 + i / 100, lon=121 + k / 10_000, fix_time=moment, speed_kmh=40)

    async def stream(i: int, stop: asyncio.Event) -> None:
        """Report with up to five reports in flight until the connection dies."""
        client = await connected_to(port, phones[i])
        assert await client.authenticate("kill") == 0
        in_flight: dict[int, tuple[datetime, asyncio.Future[Jt808Message]]] = {}
        try:
            while not stop.is_set() or in_flight:
                while len(in_flight) < 5 and not stop.is_set():
                    moment, payload = body(i, sent[i])
                    sent[i] += 1
                    unacked[i][moment] = payload
                    serial = client.send(MessageId.LOCATION, payload)
                    in_flight[serial] = (moment, client.expect(MessageId.LOCATION, serial))
                serial = next(iter(in_flight))
                moment, future = in_flight.pop(serial)
                answer = (await asyncio.wait_for(future, 10)).body
                assert isinstance(answer, PlatformResponse) and answer.result == 0
                acked[i].add(moment)
                del unacked[i][moment]
        except (ConnectionError, OSError):
            pass
        finally:
            await client.close()

    async def connected_to(port: int, phone: str) -> TerminalClient:
        client = TerminalClient(TerminalIdentity(phone, "T808001", "陕A·D2345"))
        await client.connect("127.0.0.1", port)
        return client

    proc = await _start_gateway_process(settings, port)
    try:
        stop = asyncio.Event()
        streams = [asyncio.create_task(stream(i, stop)) for i in range(terminals)]
        await asyncio.sleep(2.0)
        proc.send_signal(signal.SIGKILL)  # no graceful anything
        proc.wait(timeout=10)
        await asyncio.wait_for(asyncio.gather(*streams), 30)
        assert sum(map(len, acked)) > 50 and sum(map(len, unacked)) > 0
        # Every acknowledged report is in the database.
        for device, done in zip(devices, acked, strict=True):
            stored = {r.fix_time for r in await positions_of(sessionmaker, device.id)}
            assert done <= stored
        # The terminals come back and resend the rest as a blind-area batch.
        proc = await _start_gateway_process(settings, port)
        for i, phone in enumerate(phones):
            client = await connected_to(port, phone)
            assert await client.authenticate("kill") == 0
            if unacked[i]:
                assert await client.report_batch(list(unacked[i].values()), blind_area=True) == 0
            await client.close()
        for i, device in enumerate(devices):
            stored = {r.fix_time for r in await positions_of(sessionmaker, device.id)}
            assert stored == {body(i, k)[0] for k in range(sent[i])}  # nothing lost, nothing extra
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


async def test_a_gateway_of_several_processes_shares_its_port_and_stops_as_one(
    settings: Settings, sessionmaker, org_id
) -> None:  # type: ignore[no-untyped-def]
    import psutil

    port = _free_port()
    phones = [new_phone() for _ in range(24)]
    devices = [await provision(sessionmaker, org_id, p, auth_code="multi") for p in phones]
    proc = await _start_gateway_process(settings, port, processes=3)
    try:
        parent = psutil.Process(proc.pid)
        for _ in range(100):  # the workers bind the port a moment after the first process
            workers = parent.children()
            listening = {
                c.pid
                for c in psutil.net_connections("tcp")
                if c.laddr and c.laddr.port == port and c.status == "LISTEN"
            }
            if len(workers) == 2 and {w.pid for w in workers} | {proc.pid} <= listening:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"expected 3 processes listening on {port}")
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
        served_by: set[int] = set()
        for i, phone in enumerate(phones):
            client = TerminalClient(TerminalIdentity(phone, "T808001", "陕A·D2345"))
            await client.connect("127.0.0.1", port)
            assert await client.authenticate("multi") == 0
            # which process accepted this connection: the one holding the other end of our socket
            local = client.local_address
            owner = next(
                c.pid
                for c in psutil.net_connections("tcp")
                if c.raddr and c.raddr == local and c.pid is not None
            )
            served_by.add(owner)
            assert (
                await client.report(location_body(lat=31, lon=121, fix_time=base + timedelta(seconds=i))) == 0
            )
            await client.close()
        assert len(served_by) >= 2, "the kernel spread the terminals over the processes"
        for device in devices:
            assert len(await positions_of(sessionmaker, device.id)) == 1
        # the first process killed outright: its workers notice and stop by themselves
        pids = [w.pid for w in parent.children()]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=20)
        assert not alive, "no worker outlives the gateway"
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
