"""The JT/T 808 gateway protocol over real TCP on 127.0.0.1, with the real pipeline on the test database."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tests.tracking.gateway_support import (
    GatedSink,
    RawTerminal,
    body_at,
    connected,
    device_row,
    new_phone,
    online,
    positions_of,
    provision,
)

from yidan.core.redis import make_redis
from yidan.identity.principal import OrgKind
from yidan.settings import Settings
from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.jt808 import (
    Jt808Version,
    MessageId,
    PlatformResponse,
    RegistrationResponse,
    Terminal,
    encode_frame,
)
from yidan.tracking.decoders.jt808_body import Authentication, encode_authentication_body
from yidan.tracking.decoders.jt808_stream import MAX_FRAME_BYTES
from yidan.tracking.gateway import Gateway, TerminalNotConnected
from yidan.tracking.gateway_commands import CommandListener, send_parameters
from yidan.tracking.pipeline import Pipeline
from yidan.tracking.terminal_client import TerminalIdentity

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
FRAMES_FILE = CORPORA / "jt808" / "jt808_frames.txt"
# Real device captures from section C of the corpus (Traccar's decoder tests), found by their headers:
# a 2013 0x0200 of phone 794308010679 (serial 312, fix 2025-11-18 11:26:11 Beijing time), and a 2019
# registration and 0x0704 batch of phone 866496077582164.
REAL_0200 = "7E0200004D7943080106790138"
REAL_2019_REGISTER = "7E0100405C0100000866496077582164"
REAL_2019_BATCH = "7E0704402D0100000866496077582164"


def corpus_frame(header_hex: str) -> bytes:
    """The one corpus frame that starts with these bytes."""
    lines = [ln.strip() for ln in FRAMES_FILE.read_text().splitlines() if ln.startswith(header_hex)]
    assert len(lines) == 1, lines
    return bytes.fromhex(lines[0])


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


# -- registration and authentication ---------------------------------------------------------------


async def test_register_issues_a_fresh_code_each_time(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone)
    client = await connected(gateway, TerminalIdentity(phone, "T808001", "陕AD2345"))  # plate without the dot
    first = await client.register()
    assert first.result == 0 and first.auth_code
    stored = await device_row(sessionmaker, device.id)
    assert stored.auth_code == first.auth_code and stored.registered_at is not None
    second = await client.register()
    assert second.result == 0 and second.auth_code and second.auth_code != first.auth_code
    assert await client.authenticate(first.auth_code) == 1  # the old code is void
    assert await client.authenticate(second.auth_code) == 0
    await client.close()


async def test_register_refusals_use_the_standard_result_codes(
    gateway: Gateway, sessionmaker, org_id
) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    await provision(sessionmaker, org_id, phone)
    unknown = await connected(gateway, TerminalIdentity(new_phone(), "T808001", "陕A·D2345"))
    assert (await unknown.register()).result == 4  # terminal not in the database
    wrong_plate = await connected(gateway, TerminalIdentity(phone, "T808001", "陕A·D9999"))
    answer = await wrong_plate.register()
    assert answer.result == 2 and answer.auth_code is None  # no such vehicle for this terminal
    wrong_terminal = await connected(gateway, TerminalIdentity(phone, "T999999", "陕A·D2345"))
    assert (await wrong_terminal.register()).result == 4
    for client in (unknown, wrong_plate, wrong_terminal):
        await client.close()


async def test_authentication_right_and_wrong_code(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone, auth_code="s3cret-code")
    client = await connected(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    assert await client.authenticate("wrong") == 1
    assert await client.report(body_at(30)) == 1  # not authenticated: refused, not stored
    assert await positions_of(sessionmaker, device.id) == []
    assert await client.authenticate("s3cret-code") == 0
    assert await client.report(body_at(20)) == 0
    assert len(await positions_of(sessionmaker, device.id)) == 1
    await client.close()


async def test_heartbeat_logout_and_last_seen(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone)
    client = await online(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    assert await client.heartbeat() == 0
    await gateway.last_seen.flush()
    assert (await device_row(sessionmaker, device.id)).last_seen_at is not None
    assert await client.logout() == 0
    await asyncio.wait_for(client.closed.wait(), 5)
    await client.close()


# -- locations: acknowledged after commit -----------------------------------------------------------


async def test_location_ack_arrives_only_after_the_row_is_committed(
    pipeline: Pipeline,
    sessionmaker,
    org_id,  # type: ignore[no-untyped-def]
) -> None:
    sink = GatedSink(pipeline, delay_s=0.3)
    gw = Gateway(sink, sessionmaker, port=0)
    await gw.start()
    try:
        phone = new_phone()
        device = await provision(sessionmaker, org_id, phone)
        client = await online(gw, TerminalIdentity(phone, "T808001", "陕A·D2345"))
        loop = asyncio.get_running_loop()
        sent = loop.time()
        assert await client.report(body_at(5, lat=34.25, lon=108.95)) == 0
        acked = loop.time()
        # The ack came after submit returned (which was itself after the commit) ...
        assert sink.returned_at and acked >= sink.returned_at[0] >= sent + 0.3
        # ... and the row is there when the ack is read.
        rows = await positions_of(sessionmaker, device.id)
        assert [(r.lat, r.lon, r.source) for r in rows] == [(34.25, 108.95, "jt808")]
        assert rows[0].speed_kmh == 62.5 and rows[0].course_deg == 90
        await client.close()
    finally:
        await gw.stop()


async def test_batch_0704_is_stored_and_acknowledged_once(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone)
    client = await online(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    bodies = [body_at(300 - 10 * i, lat=34.3 + i / 1000) for i in range(5)]
    assert await client.report_batch(bodies, blind_area=True) == 0
    rows = await positions_of(sessionmaker, device.id)
    assert len(rows) == 5 and all(r.extra and r.extra.get("blind_area") for r in rows)
    # Resent (the terminal missed our ack): duplicates are acknowledged, nothing is stored twice.
    assert await client.report_batch(bodies, blind_area=True) == 0
    assert len(await positions_of(sessionmaker, device.id)) == 5
    await client.close()


async def test_every_fix_rejected_gets_message_error(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone)
    client = await online(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    assert await client.report(body_at(-3600)) == 2  # an hour in the future
    assert await client.report(body_at(10)) == 0
    assert len(await positions_of(sessionmaker, device.id)) == 1
    await client.close()


async def test_2019_terminal_is_answered_in_2019_format(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    long_id = "YIDAN-2019-TERMINAL-0001"  # 2019 allows 30 bytes
    device = await provision(sessionmaker, org_id, phone, terminal_id=long_id)
    client = await connected(
        gateway, TerminalIdentity(phone, long_id, "陕A·D2345"), version=Jt808Version.V2019
    )
    from yidan.tracking.decoders.jt808_body import Registration, encode_registration_body

    body = encode_registration_body(
        Registration(Jt808Version.V2019, 61, 100, "YIDAN", "M1", long_id, 1, "陕A·D2345")
    )
    answer = await client.request(MessageId.REGISTRATION, body)
    assert answer.header.version is Jt808Version.V2019 and answer.header.phone == phone.rjust(20, "0")
    assert isinstance(answer.body, RegistrationResponse) and answer.body.result == 0
    client.state.auth_code = answer.body.auth_code
    assert await client.authenticate() == 0
    ack = await client.request(MessageId.LOCATION, body_at(8))
    assert ack.header.version is Jt808Version.V2019
    assert isinstance(ack.body, PlatformResponse) and ack.body.result == 0 and ack.body.ack_id == 0x0200
    assert len(await positions_of(sessionmaker, device.id)) == 1
    await client.close()


# -- real device frames from the corpus ------------------------------------------------------------


@pytest.mark.skipif(not FRAMES_FILE.is_file(), reason="JT/T 808 corpus not found (../shared/corpora)")
async def test_real_2013_location_frame(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    frame = corpus_frame(REAL_0200)
    expected = jt808.decode(frame).fixes[0]
    device = await provision(sessionmaker, org_id, "794308010679", auth_code="real-device")
    client = await connected(gateway, TerminalIdentity("794308010679", "T808001", "陕A·D2345"))
    assert await client.authenticate("real-device") == 0
    ack = client.expect(MessageId.LOCATION, 312)
    client._writer.write(frame)  # type: ignore[union-attr]  # the capture exactly as the device sent it
    answer = (await asyncio.wait_for(ack, 10)).body
    assert isinstance(answer, PlatformResponse) and answer.result == 0
    rows = await positions_of(sessionmaker, device.id)
    assert [(r.fix_time, r.lat, r.lon, r.satellites) for r in rows] == [
        (expected.fix_time, expected.lat, expected.lon, expected.satellites)
    ]
    await client.close()


@pytest.mark.skipif(not FRAMES_FILE.is_file(), reason="JT/T 808 corpus not found (../shared/corpora)")
async def test_real_2019_registration_and_batch(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    # Provisioned as the device registers: terminal id 866496077582164, no plate (colour 4, empty).
    device = await provision(
        sessionmaker, org_id, "866496077582164", terminal_id="866496077582164", plate=None
    )
    raw = await RawTerminal.open(gateway)
    await raw.write(corpus_frame(REAL_2019_REGISTER))
    (answer,) = await raw.read_messages(1)
    assert answer.header.version is Jt808Version.V2019 and answer.header.phone == "00000866496077582164"
    assert isinstance(answer.body, RegistrationResponse) and answer.body.result == 0
    assert answer.body.ack_serial == 21016 and answer.body.auth_code
    terminal = Terminal("00000866496077582164", Jt808Version.V2019)
    auth = encode_authentication_body(
        Authentication(answer.body.auth_code, "866496077582164", "1.0"), terminal.version
    )
    await raw.write(encode_frame(terminal, MessageId.AUTHENTICATION, auth, serial=21017))
    await raw.write(corpus_frame(REAL_2019_BATCH))
    auth_ack, batch_ack = await raw.read_messages(2)
    assert isinstance(auth_ack.body, PlatformResponse) and auth_ack.body.result == 0
    assert isinstance(batch_ack.body, PlatformResponse)
    assert (batch_ack.body.ack_id, batch_ack.body.ack_serial, batch_ack.body.result) == (0x0704, 34845, 0)
    assert batch_ack.header.version is Jt808Version.V2019
    rows = await positions_of(sessionmaker, device.id)
    assert [(r.lat, r.lon, r.satellites) for r in rows] == [(-27.263378, 153.037383, 14)]
    await raw.close()


# -- framing, garbage, limits ------------------------------------------------------------------------


async def test_sticky_partial_frames(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone, auth_code="sticky")
    terminal = Terminal(phone)
    raw = await RawTerminal.open(gateway)
    auth = encode_frame(terminal, MessageId.AUTHENTICATION, b"sticky", serial=1)
    first = encode_frame(terminal, MessageId.LOCATION, body_at(40), serial=2)
    for i in range(len(auth)):  # byte by byte
        await raw.write(auth[i : i + 1])
    for i in range(len(first)):
        await raw.write(first[i : i + 1])
    beat = encode_frame(terminal, MessageId.HEARTBEAT, b"", serial=3)
    second = encode_frame(terminal, MessageId.LOCATION, body_at(35), serial=4)
    third = encode_frame(terminal, MessageId.LOCATION, body_at(34), serial=5)
    # Two frames in one write, and a third split across two writes with the next one.
    await raw.write(beat + second + third[:7])
    await raw.write(third[7:] + encode_frame(terminal, MessageId.HEARTBEAT, b"", serial=6))
    answers = await raw.read_messages(6)
    acks = [
        (m.body.ack_id, m.body.ack_serial, m.body.result)
        for m in answers
        if isinstance(m.body, PlatformResponse)
    ]
    assert acks == [
        (0x0102, 1, 0),
        (0x0200, 2, 0),
        (0x0002, 3, 0),
        (0x0200, 4, 0),
        (0x0200, 5, 0),
        (0x0002, 6, 0),
    ]
    # Outgoing serials count per terminal from 0.
    assert [m.header.serial for m in answers] == list(range(6))
    assert len(await positions_of(sessionmaker, device.id)) == 3
    await raw.close()


async def test_garbage_and_oversized_input_do_not_hurt_the_server(
    gateway: Gateway,
    sessionmaker,
    org_id,  # type: ignore[no-untyped-def]
) -> None:
    rng = random.Random(808)
    # 1. Pure noise without flags: the connection is dropped once it passes the garbage budget.
    noise = await RawTerminal.open(gateway)
    await noise.write(bytes(rng.choice(range(0x00, 0x7E)) for _ in range(200_000)))
    assert await noise.closed_by_peer()
    # 2. An endless "frame" (a flag, then no closing flag) and broken frames on a working session.
    phone = new_phone()
    device = await provision(sessionmaker, org_id, phone, auth_code="junk")
    terminal = Terminal(phone)
    raw = await RawTerminal.open(gateway)
    await raw.write(encode_frame(terminal, MessageId.AUTHENTICATION, b"junk", serial=1))
    (auth,) = await raw.read_messages(1)
    assert isinstance(auth.body, PlatformResponse) and auth.body.result == 0
    await raw.write(b"\x7e" + bytes(rng.choice(range(0x00, 0x7D)) for _ in range(3 * MAX_FRAME_BYTES)))
    await asyncio.sleep(0.2)
    conns = [c for c in gateway._connections if c.device is not None and c.device.id == device.id]
    assert conns and all(c.splitter.buffered <= MAX_FRAME_BYTES for c in conns)
    await raw.write(b"\x7e\x7d\x03\x7e")  # bad escape
    await raw.write(b"\x7e\x01\x02\x7e")  # too short for a header
    good = encode_frame(terminal, MessageId.LOCATION, body_at(12), serial=2)
    corrupt = bytearray(good)
    corrupt[-2] ^= (
        0x01 if corrupt[-2] not in (0x7C, 0x7F, 0x7D) else 0x10
    )  # wrong check code, read tolerantly
    await raw.write(bytes(corrupt))
    (ack,) = await raw.read_messages(1)
    assert isinstance(ack.body, PlatformResponse) and (ack.body.ack_serial, ack.body.result) == (2, 0)
    assert gateway.stats.tolerated["jt808.checksum"] >= 1
    rows = await positions_of(sessionmaker, device.id)
    assert len(rows) == 1 and rows[0].extra and rows[0].extra.get("tolerated") == ["jt808.checksum"]
    # 3. The server still serves everyone else.
    other = new_phone()
    await provision(sessionmaker, org_id, other)
    client = await online(gateway, TerminalIdentity(other, "T808001", "陕A·D2345"))
    assert await client.report(body_at(3)) == 0
    await client.close()
    await raw.close()


async def test_idle_connections_are_reaped(pipeline: Pipeline, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    gw = Gateway(pipeline, sessionmaker, port=0, idle_timeout_s=0.3)
    await gw.start()
    try:
        raw = await RawTerminal.open(gw)
        started = asyncio.get_running_loop().time()
        assert await raw.closed_by_peer(timeout_s=5)
        assert asyncio.get_running_loop().time() - started < 3
        assert gw.stats.reaped >= 1 and gw.connection_count == 0
    finally:
        await gw.stop()


async def test_connection_cap(pipeline: Pipeline, sessionmaker) -> None:  # type: ignore[no-untyped-def]
    gw = Gateway(pipeline, sessionmaker, port=0, max_connections=2)
    await gw.start()
    try:
        first, second = await RawTerminal.open(gw), await RawTerminal.open(gw)
        third = await RawTerminal.open(gw)
        assert await third.closed_by_peer()
        assert gw.stats.refused == 1 and gw.connection_count == 2
        for raw in (first, second, third):
            await raw.close()
    finally:
        await gw.stop()


async def test_a_new_session_replaces_the_old_one(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    await provision(sessionmaker, org_id, phone, auth_code="again")
    identity = TerminalIdentity(phone, "T808001", "陕A·D2345")
    old = await connected(gateway, identity)
    assert await old.authenticate("again") == 0
    new = await connected(gateway, identity)
    assert await new.authenticate("again") == 0
    await asyncio.wait_for(old.closed.wait(), 5)
    assert gateway.session_of(phone) is not None
    await old.close()
    await new.close()


# -- operator actions ---------------------------------------------------------------------------------


async def test_set_report_interval_reaches_the_terminal(gateway: Gateway, sessionmaker, org_id) -> None:  # type: ignore[no-untyped-def]
    phone = new_phone()
    await provision(sessionmaker, org_id, phone)
    client = await online(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
    answer = await gateway.set_report_interval(phone, 15)
    assert (answer.ack_id, answer.result) == (0x8103, 0)
    assert client.state.report_interval_s == 15
    with pytest.raises(TerminalNotConnected):
        await gateway.set_report_interval(new_phone(), 15)
    await client.close()


async def test_operator_command_reaches_the_terminal_through_redis(
    gateway: Gateway,
    sessionmaker,
    org_id,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    redis = make_redis(settings.redis_url or "")
    stop = asyncio.Event()
    listener = CommandListener(gateway, redis)
    task = asyncio.create_task(listener.run(stop))
    try:
        await asyncio.wait_for(listener.ready.wait(), 5)
        phone = new_phone()
        await provision(sessionmaker, org_id, phone)
        client = await online(gateway, TerminalIdentity(phone, "T808001", "陕A·D2345"))
        # As an API process would: it does not hold the session, it only knows Redis.
        answer = await send_parameters(redis, phone, {0x0029: 20, 0x0001: 60})
        assert (answer["result"], answer["ack_id"]) == (0, 0x8103)
        assert client.state.report_interval_s == 20 and client.state.parameters[0x0001] == 60
        with pytest.raises(TerminalNotConnected):
            await send_parameters(redis, new_phone(), {0x0029: 20}, timeout_s=3)
        await client.close()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await redis.aclose()
