"""The quick 0x0200 reader answers exactly as the general JT/T 808 decoder, or leaves the frame to it."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from test_jt808_corpus import ENTRIES

from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.jt808 import Jt808Version, Terminal
from yidan.tracking.decoders.jt808_body import MessageId
from yidan.tracking.decoders.jt808_location import STATUS_POSITIONED, encode_location_body
from yidan.tracking.decoders.jt808_quick import quick_location, quick_unescape

phones = st.text("0123456789", min_size=1, max_size=12)
terminals = st.one_of(
    st.builds(Terminal, phones, st.just(Jt808Version.V2013)),
    st.builds(Terminal, st.text("0123456789", min_size=1, max_size=20), st.just(Jt808Version.V2019)),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
)
# standard items at their width and at odd widths, structured ones, and unknown ones, repeats allowed
items = st.lists(
    st.one_of(
        st.tuples(st.sampled_from([0x01, 0x25, 0x2B]), st.binary(min_size=4, max_size=4)),
        st.tuples(st.sampled_from([0x02, 0x03, 0x04, 0x2A]), st.binary(min_size=2, max_size=2)),
        st.tuples(st.sampled_from([0x30, 0x31]), st.binary(min_size=1, max_size=1)),
        st.tuples(st.sampled_from([0x01, 0x30, 0x31, 0x05, 0x11, 0x12, 0x13]), st.binary(max_size=8)),
        st.tuples(st.integers(0x40, 0xFF), st.binary(max_size=12)),
    ),
    max_size=6,
)


def _content(frame: bytes) -> bytes:
    content = jt808.unescape(frame[1:-1]).value
    assert content is not None
    return content


def _same_as_general(content: bytes) -> bool:
    """Whether quick_location agrees with the general decoder; True when it read the frame itself."""
    quick = quick_location(content)
    if quick is None:
        return False
    general = jt808.decode_unescaped(content, strict=True)
    assert general.value is not None, general.messages
    assert general.messages == (), "the quick reader took a frame the general decoder has words about"
    header, fix = quick
    assert header == general.value.header
    assert (fix,) == general.fixes
    assert fix.extra == general.fixes[0].extra
    assert list(fix.extra) == list(general.fixes[0].extra)  # same key order, so the same stored JSON
    return True


@settings(max_examples=400)
@given(
    terminal=terminals,
    serial=st.integers(0, 0xFFFF),
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    moment=moments,
    speed=st.floats(0, 6553),
    course=st.integers(0, 0xFFFF),
    altitude=st.integers(0, 0xFFFF),
    status=st.integers(0, 0xFFFFFFFF),
    alarms=st.integers(0, 0xFFFFFFFF),
    extra=items,
)
def test_location_frames_read_as_the_general_decoder_reads_them(
    terminal: Terminal,
    serial: int,
    lat: float,
    lon: float,
    moment: datetime,
    speed: float,
    course: int,
    altitude: int,
    status: int,
    alarms: int,
    extra: list[tuple[int, bytes]],
) -> None:
    body = encode_location_body(
        lat=lat,
        lon=lon,
        fix_time=moment,
        speed_kmh=speed,
        course_deg=0,
        altitude_m=altitude,
        status=status,
        alarms=alarms,
        items=extra,
    )
    # the direction field as sent, including values no compass has
    body = body[:20] + struct.pack(">H", course) + body[22:]
    _same_as_general(_content(jt808.encode_frame(terminal, MessageId.LOCATION, body, serial=serial)))


@given(data=st.binary(min_size=13, max_size=120), cut=st.integers(0, 120))
def test_any_bytes_are_read_alike_or_left_to_the_general_decoder(data: bytes, cut: int) -> None:
    frame = jt808.encode_frame(Terminal("13800000001"), MessageId.LOCATION, data, serial=1)
    content = _content(frame)
    _same_as_general(content)
    _same_as_general(content[:cut])
    _same_as_general(content[:-1] + bytes([content[-1] ^ 1]))  # bad check code: never read quickly


def test_the_usual_report_is_read_quickly_and_the_rest_is_not() -> None:
    body = encode_location_body(
        lat=34.3,
        lon=108.9,
        fix_time=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        speed_kmh=62.5,
        course_deg=90,
        status=STATUS_POSITIONED,
        items=[(0x01, (1234).to_bytes(4, "big")), (0x30, b"\x1c"), (0x31, b"\x0c"), (0xE1, b"\xab")],
    )
    frame = jt808.encode_frame(Terminal("013800000001"), MessageId.LOCATION, body, serial=7)
    assert _same_as_general(_content(frame))
    header, fix = quick_location(_content(frame)) or (None, None)
    assert header is not None and fix is not None
    assert (header.phone, header.serial, fix.device_id) == ("013800000001", 7, "13800000001")
    assert fix.extra == {"mileage_km": 123.4, "signal_strength": 28, "items": {"0xE1": "ab"}}
    assert fix.satellites == 12 and fix.fix_time == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    # no fix, a packaged or a heartbeat frame: the general decoder's
    unpositioned = body[:4] + (0).to_bytes(4, "big") + body[8:]
    for other in (
        jt808.encode_frame(Terminal("13800000001"), MessageId.LOCATION, unpositioned, serial=1),
        jt808.encode_frame(Terminal("13800000001"), MessageId.LOCATION, body, serial=1, package=(2, 1)),
        jt808.encode_frame(Terminal("13800000001"), MessageId.HEARTBEAT, b"", serial=1),
    ):
        assert quick_location(_content(other)) is None


def test_corpus_frames_read_quickly_agree_with_the_general_decoder() -> None:
    quick = 0
    for entry in ENTRIES:
        frame = entry.frame
        if len(frame) < 2 or frame[0] != 0x7E or frame[-1] != 0x7E:
            continue
        content = jt808.unescape(frame[1:-1]).value if entry.section != "C" else frame[1:-1]
        if content is not None and _same_as_general(content):
            quick += 1
    # the corpus holds real location reports from several vendors; a good share are plain ones
    assert quick >= 10, quick


@given(
    terminal=st.one_of(
        st.builds(Terminal, phones, st.just(Jt808Version.V2013)),
        st.builds(
            Terminal,
            st.text("0123456789", min_size=1, max_size=20),
            st.just(Jt808Version.V2019),
            st.integers(0, 255),
        ),
    ),
    serial=st.integers(0, 0x1FFFF),
    ack_serial=st.integers(0, 0xFFFF),
    ack_id=st.sampled_from([0x0200, 0x0704, 0x0002, 0x7E7D, 0x7D7E]),
    result=st.integers(0, 4),
)
def test_the_cached_acknowledgement_is_the_encoded_one_byte_for_byte(
    terminal: Terminal, serial: int, ack_serial: int, ack_id: int, result: int
) -> None:
    expected = jt808.encode_platform_response(
        terminal, serial=serial, ack_serial=ack_serial, ack_id=ack_id, result=result
    )
    got = jt808.platform_response(
        terminal.phone, terminal.version, terminal.protocol_version, serial, ack_serial, ack_id, result
    )
    assert got == expected


@given(
    content=st.lists(st.sampled_from([0x7E, 0x7D, 0x01, 0x02]) | st.integers(0, 255), max_size=80).map(bytes)
)
def test_quick_unescaping_undoes_escaping_and_refuses_what_the_general_one_would_question(
    content: bytes,
) -> None:
    frame = b"\x7e" + jt808.escape(content) + b"\x7e"
    assert quick_unescape(frame) == content
    general = jt808.unescape(content)
    quick = quick_unescape(b"\x7e" + content + b"\x7e")  # the raw bytes read as if escaped
    if quick is not None:
        assert general.messages == () and general.value == quick
