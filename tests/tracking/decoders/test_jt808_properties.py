"""Property tests of the JT/T 808 codec: round trips of bodies and frames, and garbage never raising."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.jt808 import Jt808Version, Terminal
from yidan.tracking.decoders.jt808_body import PARAMETER_TYPES, parameter_value
from yidan.tracking.decoders.jt808_location import LocationReport, encode_location_body
from yidan.tracking.decoders.jt808_stream import MAX_FRAME_BYTES

# Bytes that exercise escaping show up far more often than chance would have them.
tricky_bytes = st.lists(st.sampled_from([0x7E, 0x7D, 0x01, 0x02]) | st.integers(0, 255), max_size=300).map(
    bytes
)
phones = st.text("0123456789", min_size=1, max_size=12)
phones_2019 = st.text("0123456789", min_size=1, max_size=20)
terminals = st.one_of(
    st.builds(Terminal, phones, st.just(Jt808Version.V2013)),
    st.builds(Terminal, phones_2019, st.just(Jt808Version.V2019), st.integers(0, 255)),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
gbk_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.粤京沪测", max_size=40
)


@given(
    lat_e6=st.integers(0, 90_000_000),
    lon_e6=st.integers(0, 180_000_000),
    south=st.booleans(),
    west=st.booleans(),
    moment=moments,
    speed=st.integers(0, 0xFFFF),
    course=st.integers(0, 359),
    altitude=st.integers(0, 0xFFFF),
    alarms=st.integers(0, 0xFFFFFFFF),
    status=st.integers(0, 0xFFFFFFFF),
    items=st.lists(st.tuples(st.integers(0x40, 0xFF), st.binary(max_size=20)), max_size=5),
)
def test_location_body_round_trip(
    lat_e6: int,
    lon_e6: int,
    south: bool,
    west: bool,
    moment: datetime,
    speed: int,
    course: int,
    altitude: int,
    alarms: int,
    status: int,
    items: list[tuple[int, bytes]],
) -> None:
    lat = -lat_e6 / 1e6 if south else lat_e6 / 1e6
    lon = -lon_e6 / 1e6 if west else lon_e6 / 1e6
    body = encode_location_body(
        lat=lat,
        lon=lon,
        fix_time=moment,
        speed_kmh=speed / 10,
        course_deg=course,
        altitude_m=altitude,
        status=status,
        alarms=alarms,
        items=items,
    )
    report = jt808.decode_body(0x0200, body).value
    assert isinstance(report, LocationReport)
    assert (report.lat_e6, report.lon_e6) == (lat_e6, lon_e6)
    assert (report.lat, report.lon) == (lat, lon)
    assert report.fix_time == moment
    assert (report.speed_dkmh, report.direction, report.altitude_m, report.alarms) == (
        speed,
        course,
        altitude,
        alarms,
    )
    assert report.status & ~0b1100 == status & ~0b1100
    assert list(report.items) == items and report.malformed == b""


@given(terminal=terminals, msg_id=st.integers(0, 0xFFFF), body=tricky_bytes, serial=st.integers(0, 0xFFFF))
def test_frame_round_trip(terminal: Terminal, msg_id: int, body: bytes, serial: int) -> None:
    frame = jt808.encode_frame(terminal, msg_id, body, serial=serial)
    assert frame[0] == frame[-1] == 0x7E and 0x7E not in frame[1:-1]
    result = jt808.decode(frame)
    assert result.value is not None, result.messages
    header = result.value.header
    assert (header.msg_id, header.serial, header.version) == (msg_id, serial, terminal.version)
    assert header.terminal_id == (terminal.phone.lstrip("0") or "0")
    assert result.value.raw_body == body and result.value.checksum_ok
    assert jt808.FrameSplitter().feed(frame) == [frame]


@given(
    terminal=terminals,
    serial=st.integers(0, 0xFFFF),
    ack=st.integers(0, 0xFFFF),
    ack_id=st.integers(0, 0xFFFF),
)
def test_platform_response_round_trip(terminal: Terminal, serial: int, ack: int, ack_id: int) -> None:
    result = jt808.decode(
        jt808.encode_platform_response(terminal, serial=serial, ack_serial=ack, ack_id=ack_id)
    )
    assert result.value is not None
    assert result.value.body == jt808.PlatformResponse(ack, ack_id, 0)
    assert result.value.header.version is terminal.version


@given(terminal=terminals, ack=st.integers(0, 0xFFFF), result_code=st.integers(0, 4), code=gbk_text)
def test_registration_response_round_trip(terminal: Terminal, ack: int, result_code: int, code: str) -> None:
    auth = (code or "x") if result_code == 0 else None
    frame = jt808.encode_registration_response(
        terminal, serial=1, ack_serial=ack, result=result_code, auth_code=auth
    )
    decoded = jt808.decode(frame).value
    assert decoded is not None
    assert decoded.body == jt808.RegistrationResponse(ack, result_code, auth)


_DWORDS = [pid for pid, kind in PARAMETER_TYPES.items() if kind == 4]
_STRINGS = [pid for pid, kind in PARAMETER_TYPES.items() if kind == "str"]
parameters = st.dictionaries(
    st.sampled_from(_DWORDS), st.integers(0, 0xFFFFFFFF), max_size=10
) | st.dictionaries(st.sampled_from(_STRINGS), gbk_text.filter(bool), max_size=5)


@given(terminal=terminals, params=parameters)
def test_set_parameters_round_trip(terminal: Terminal, params: dict[int, int | str]) -> None:
    decoded = jt808.decode(jt808.encode_set_parameters(terminal, serial=7, params=params)).value
    assert decoded is not None and isinstance(decoded.body, jt808.SetParameters)
    assert {pid: parameter_value(pid, raw) for pid, raw in decoded.body.params.items()} == params


@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    for strict in (True, False):
        jt808.decode(data, strict=strict)
        jt808.decode(b"\x7e" + data + b"\x7e", strict=strict)
        jt808.decode_unescaped(data, strict=strict)
    jt808.parse_header(data)
    jt808.unescape(data)
    for msg_id in (0x0001, 0x0002, 0x0100, 0x0102, 0x0104, 0x0200, 0x0201, 0x0704, 0x8001, 0x8100, 0x8103):
        for version in Jt808Version:
            jt808.decode_body(msg_id, data, version=version)


@given(st.data())
def test_truncated_and_corrupted_valid_frames_never_raise(data: st.DataObject) -> None:
    body = encode_location_body(
        lat=31.2, lon=121.5, fix_time=datetime(2024, 1, 1, tzinfo=UTC), items=[(0x31, b"\x07")]
    )
    terminal = data.draw(terminals)
    frame = jt808.encode_frame(terminal, 0x0200, body, serial=1)
    cut = data.draw(st.integers(0, len(frame)))
    flip = data.draw(st.integers(0, len(frame) - 1))
    corrupted = bytearray(frame)
    corrupted[flip] ^= data.draw(st.integers(1, 255))
    for candidate in (frame[:cut], frame[cut:], bytes(corrupted)):
        result = jt808.decode(candidate, strict=data.draw(st.booleans()))
        assert result.ok or result.errors


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=300), max_size=30))
def test_splitter_on_garbage_is_bounded_and_never_raises(chunks: list[bytes]) -> None:
    splitter = jt808.FrameSplitter(max_frame=256)
    for chunk in chunks:
        for frame in splitter.feed(chunk):
            assert frame[0] == frame[-1] == 0x7E and 0x7E not in frame[1:-1] and len(frame) <= 256
            jt808.decode(frame)
        assert splitter.buffered < 256
    assert len(splitter.drain_messages()) <= 32


@given(
    st.lists(
        st.tuples(tricky_bytes, st.binary(max_size=20).map(lambda b: b.replace(b"\x7e", b""))), max_size=8
    ),
    st.data(),
)
def test_splitter_recovers_frames_from_any_chunking(
    frames_and_noise: list[tuple[bytes, bytes]], data: st.DataObject
) -> None:
    terminal = Terminal("13800138000")
    frames = [
        jt808.encode_frame(terminal, 0x0200, body, serial=i) for i, (body, _) in enumerate(frames_and_noise)
    ]
    stream = b"".join(noise + frame for frame, (_, noise) in zip(frames, frames_and_noise, strict=True))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    splitter = jt808.FrameSplitter()
    out: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out += splitter.feed(stream[start:end])
    # Noise before the first flag is dropped; noise between two frames sits between flags and comes out
    # as a frame of its own, for the decoder to reject.
    expected: list[bytes] = []
    for i, (frame, (_, noise)) in enumerate(zip(frames, frames_and_noise, strict=True)):
        if i and noise:
            expected.append(b"\x7e" + noise + b"\x7e")
        expected.append(frame)
    assert out == expected
    assert splitter.buffered == (1 if frames else 0)


def test_splitter_caps_a_partial_frame() -> None:
    splitter = jt808.FrameSplitter()
    assert splitter.feed(b"\x7e") == []
    for _ in range(100):
        assert splitter.feed(b"\x01" * 1000) == []
        assert splitter.buffered < MAX_FRAME_BYTES
    assert splitter.discarded_bytes > 90_000 and splitter.drain_messages()


def test_fix_time_is_utc() -> None:
    moment = datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    body = encode_location_body(lat=1.0, lon=2.0, fix_time=moment)
    # On the wire the clock is Beijing time: 08:30 on the same day.
    assert body[22:28].hex() == "240101083000"
    (fix,) = jt808.decode(jt808.encode_frame(Terminal("1"), 0x0200, body, serial=0)).fixes
    assert fix.fix_time == moment and fix.fix_time.utcoffset() == timedelta(0)
