"""Behaviour of the AIS decoder: units, not-available values, report time, static data, assembly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyais.encode import encode_dict

from yidan.tracking.decoders import ais

RECEIVED = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)


def _sentences(**fields: str | int | float | bytes | bool) -> list[str]:
    return list(encode_dict(fields, sentence_type="VDM"))


def test_position_report_becomes_a_fix_in_kmh() -> None:
    result = ais.decode_sentences(
        _sentences(
            type=1, mmsi=413000001, lat=31.2, lon=121.5, speed=10.0, course=90.0, heading=91, second=25
        ),
        received_at=RECEIVED,
    )
    (fix,) = result.fixes
    assert fix.device_id == "413000001" and fix.source == "ais"
    assert fix.speed_kmh == pytest.approx(18.52) and fix.course_deg == 90.0
    assert fix.fix_time == RECEIVED.replace(second=25) and fix.extra["heading_deg"] == 91


def test_report_second_later_than_receive_second_belongs_to_the_previous_minute() -> None:
    result = ais.decode_sentences(
        _sentences(type=18, mmsi=413000002, lat=1.0, lon=2.0, second=59), received_at=RECEIVED
    )
    assert result.fixes[0].fix_time == RECEIVED.replace(second=59) - timedelta(minutes=1)


def test_not_available_values_are_missing_and_no_position_gives_no_fix() -> None:
    result = ais.decode_sentences(
        _sentences(
            type=3, mmsi=413000003, lat=91.0, lon=181.0, speed=102.3, course=360.0, heading=511, second=60
        ),
        received_at=RECEIVED,
    )
    position = result.value.position  # type: ignore[union-attr]
    assert position is not None
    assert (position.lat, position.lon, position.speed_knots, position.course_deg) == (None, None, None, None)
    assert position.heading_deg is None and position.second is None
    assert result.ok and not result.fixes and "ais.no_position" in result.codes


def test_type_24_parts_carry_static_data() -> None:
    part_a = ais.decode_sentences(
        _sentences(type=24, mmsi=413000004, partno=0, shipname="YIDAN ONE"), received_at=RECEIVED
    )
    part_b = ais.decode_sentences(
        _sentences(type=24, mmsi=413000004, partno=1, ship_type=70, callsign="BYD9", to_bow=50),
        received_at=RECEIVED,
    )
    assert part_a.value.static == ais.VesselStatic(name="YIDAN ONE", part="A", to_bow=None)  # type: ignore[union-attr]
    static_b = part_b.value.static  # type: ignore[union-attr]
    assert static_b is not None and (static_b.callsign, static_b.ship_type, static_b.to_bow) == (
        "BYD9",
        70,
        50,
    )
    assert not part_a.fixes and not part_b.fixes


def test_two_part_type_5_through_the_assembler() -> None:
    first, second = encode_dict(
        {
            "type": 5,
            "mmsi": 413000005,
            "imo": 9876543,
            "shipname": "YIDAN ONE",
            "callsign": "BYD9",
            "ship_type": 70,
            "destination": "CNSHA",
            "draught": 9.5,
        },
        sentence_type="VDM",
        seq_id=3,
    )
    assembler = ais.AisAssembler()
    assert assembler.feed(first, received_at=RECEIVED) == []
    (result,) = assembler.feed(second, received_at=RECEIVED)
    static = result.value.static  # type: ignore[union-attr]
    assert static == ais.VesselStatic(
        name="YIDAN ONE",
        imo=9876543,
        callsign="BYD9",
        ship_type=70,
        destination="CNSHA",
        draught_m=9.5,
        to_bow=0,
        to_stern=0,
        to_port=0,
        to_starboard=0,
    )


def test_fragments_out_of_order_or_abandoned_are_reported() -> None:
    first, second = encode_dict(
        {"type": 5, "mmsi": 413000006, "shipname": "X"}, sentence_type="VDM", seq_id=1
    )
    assembler = ais.AisAssembler(max_pending=2)
    (orphan,) = assembler.feed(second, received_at=RECEIVED)
    assert not orphan.ok and orphan.codes == ("ais.fragment",)
    assembler.feed(first, received_at=RECEIVED)
    assert [r.codes for r in assembler.flush()] == [("ais.incomplete",)]
    for seq in range(1, 4):
        (head, _) = encode_dict(
            {"type": 5, "mmsi": 413000006, "shipname": "X"}, sentence_type="VDM", seq_id=seq
        )
        evicted = assembler.feed(head, received_at=RECEIVED)
    assert [r.codes for r in evicted] == [("ais.incomplete",)]


def test_junk_never_raises_and_naive_times_are_refused() -> None:
    for line in (
        "",
        "foobar",
        "!AIVDM,1,1,,B,,0*25",
        "!AIVDM,9,9,9,9,9,9*00",
        "$GPGGA,1*00",
        "\\g:1*00\\!AI",
    ):
        assert not ais.decode_sentences([line], received_at=RECEIVED).ok
    with pytest.raises(ValueError):
        ais.decode_sentences(["!AIVDM,1,1,,B,,0*25"], received_at=datetime(2024, 1, 1))
