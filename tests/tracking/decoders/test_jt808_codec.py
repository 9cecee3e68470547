"""Behaviour of the JT/T 808 codec the gateway relies on: replies, editions, packages, positions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.jt808 import Jt808Version, Terminal
from yidan.tracking.decoders.jt808_body import (
    Authentication,
    Registration,
    encode_authentication_body,
    encode_registration_body,
)
from yidan.tracking.decoders.jt808_location import (
    STATUS_POSITIONED,
    encode_batch_body,
    encode_location_body,
)

WHEN = datetime(2024, 3, 1, 4, 5, 6, tzinfo=UTC)


def test_reply_to_a_2019_terminal_uses_its_header() -> None:
    registration = Registration(Jt808Version.V2019, 44, 300, "YIDAN", "BD-1", "T-0001", 2, "粤B12345")
    frame = jt808.encode_frame(
        Terminal("13912345678", Jt808Version.V2019, 1),
        0x0100,
        encode_registration_body(registration),
        serial=5,
    )
    incoming = jt808.decode(frame).value
    assert incoming is not None and incoming.body == registration
    reply = jt808.encode_registration_response(
        Terminal.from_header(incoming.header), serial=1, ack_serial=incoming.header.serial, auth_code="AUTH-9"
    )
    answer = jt808.decode(reply).value
    assert answer is not None
    assert answer.header.version is Jt808Version.V2019 and answer.header.phone == incoming.header.phone
    assert answer.body == jt808.RegistrationResponse(5, 0, "AUTH-9")


@pytest.mark.parametrize("version", [Jt808Version.V2011, Jt808Version.V2013])
def test_registration_editions_are_told_apart_by_layout(version: Jt808Version) -> None:
    model = "www.808." if version is Jt808Version.V2011 else "www.808.com"
    registration = Registration(version, 31, 115, "cd", model, "7654321", 1, "测A1234")
    frame = jt808.encode_frame(
        Terminal("12345678901"), 0x0100, encode_registration_body(registration), serial=0
    )
    assert jt808.decode(frame).value.body == registration  # type: ignore[union-attr]


@pytest.mark.parametrize("version", [Jt808Version.V2013, Jt808Version.V2019])
def test_authentication_round_trip(version: Jt808Version) -> None:
    auth = (
        Authentication("17299841738", "123456789012345", "3.7.15")
        if version is Jt808Version.V2019
        else Authentication("abc")
    )
    frame = jt808.encode_frame(
        Terminal("1", version), 0x0102, encode_authentication_body(auth, version), serial=0
    )
    assert jt808.decode(frame).value.body == auth  # type: ignore[union-attr]


def test_failed_registration_carries_no_code_and_success_needs_one() -> None:
    reply = jt808.encode_registration_response(Terminal("1"), serial=1, ack_serial=2, result=4)
    assert jt808.decode(reply).value.body == jt808.RegistrationResponse(2, 4, None)  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        jt808.encode_registration_response(Terminal("1"), serial=1, ack_serial=2)


def test_set_default_report_interval() -> None:
    frame = jt808.encode_set_parameters(
        Terminal("13800138000"), serial=3, params={0x0029: 30, 0x0013: "gw.example"}
    )
    body = jt808.decode(frame).value.body  # type: ignore[union-attr]
    assert isinstance(body, jt808.SetParameters)
    assert body.params == {0x0029: (30).to_bytes(4, "big"), 0x0013: b"gw.example"}
    with pytest.raises(ValueError):
        jt808.encode_set_parameters(Terminal("1"), serial=3, params={0xF000: 1})


def test_location_fix_units_and_additional_items() -> None:
    items = [
        (0x01, (1234).to_bytes(4, "big")),
        (0x02, (456).to_bytes(2, "big")),
        (0x30, b"\x1f"),
        (0x31, b"\x0c"),
    ]
    items.append((0xE1, b"\xde\xad"))
    body = encode_location_body(
        lat=-33.865, lon=-151.2094, fix_time=WHEN, speed_kmh=72.5, course_deg=270, altitude_m=58, items=items
    )
    result = jt808.decode(jt808.encode_frame(Terminal("013912345678"), 0x0200, body, serial=9))
    (fix,) = result.fixes
    assert fix.device_id == "13912345678" and fix.source == "jt808"
    assert (fix.lat, fix.lon, fix.speed_kmh, fix.course_deg, fix.altitude_m) == (
        -33.865,
        -151.2094,
        72.5,
        270.0,
        58.0,
    )
    assert fix.satellites == 12 and fix.fix_time == WHEN
    assert (
        fix.extra["mileage_km"] == 123.4
        and fix.extra["fuel_l"] == 45.6
        and fix.extra["signal_strength"] == 31
    )
    assert fix.extra["items"] == {"0xE1": "dead"}


def test_report_without_gnss_fix_gives_no_fix_but_a_message() -> None:
    body = encode_location_body(lat=0, lon=0, fix_time=WHEN, status=0)
    body = body[:4] + (0).to_bytes(4, "big") + body[8:]
    result = jt808.decode(jt808.encode_frame(Terminal("1"), 0x0200, body, serial=1))
    assert result.ok and not result.fixes and "jt808.no_fix" in result.codes


def test_truncated_additional_item_is_kept_raw() -> None:
    body = encode_location_body(lat=1, lon=2, fix_time=WHEN) + bytes(
        [0x31, 0x01, 0x05, 0xF6, 0x04, 0x14, 0x50]
    )
    result = jt808.decode_body(0x0200, body)
    assert isinstance(result.value, jt808.LocationReport)
    assert result.value.values["satellites"] == 5 and result.value.malformed == bytes(
        [0xF6, 0x04, 0x14, 0x50]
    )
    assert "jt808.item_truncated" in result.codes


def test_blind_area_batch_is_marked() -> None:
    bodies = [
        encode_location_body(lat=30 + i, lon=120, fix_time=WHEN, status=STATUS_POSITIONED) for i in range(3)
    ]
    frame = jt808.encode_frame(Terminal("1"), 0x0704, encode_batch_body(bodies, blind_area=True), serial=1)
    result = jt808.decode(frame)
    assert [f.lat for f in result.fixes] == [30, 31, 32]
    assert all(f.extra["blind_area"] for f in result.fixes)


def test_sub_packaged_message_is_joined() -> None:
    bodies = [encode_location_body(lat=10 + i, lon=100, fix_time=WHEN) for i in range(40)]
    whole = encode_batch_body(bodies)
    size = 500
    chunks = [whole[i : i + size] for i in range(0, len(whole), size)]
    parts = []
    for index, chunk in enumerate(chunks, start=1):
        frame = jt808.encode_frame(Terminal("1"), 0x0704, chunk, serial=index, package=(len(chunks), index))
        decoded = jt808.decode(frame)
        assert decoded.value is not None and decoded.value.body is None and "jt808.package" in decoded.codes
        parts.append(decoded.value)
    joined = jt808.join_packages(list(reversed(parts)))
    assert isinstance(joined.value and joined.value.body, jt808.BatchLocation) and len(joined.fixes) == 40
    assert not jt808.join_packages(parts[:-1]).ok


def test_lenient_decoding_keeps_frames_with_a_bad_check_code() -> None:
    frame = bytearray(jt808.encode_platform_response(Terminal("1"), serial=1, ack_serial=2, ack_id=0x0200))
    frame[-2] ^= 0x01
    assert jt808.decode(bytes(frame)).codes == ("jt808.checksum",)
    lenient = jt808.decode(bytes(frame), strict=False)
    assert lenient.ok and not lenient.value.checksum_ok  # type: ignore[union-attr]


def test_phone_that_does_not_fit_is_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError):
        jt808.encode_frame(Terminal("1234567890123"), 0x0002, b"", serial=0)
    with pytest.raises(ValueError):
        jt808.encode_frame(Terminal("1"), 0x0200, bytes(1024), serial=0)
