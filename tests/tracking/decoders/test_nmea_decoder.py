"""Behaviour of the NMEA decoder: which sentences give fixes, talkers, dates, merging of epochs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import reduce
from operator import xor

import pytest

from yidan.tracking.decoders import nmea


def _sentence(body: str) -> str:
    return f"${body}*{reduce(xor, body.encode(), 0):02X}"


RMC = "{t}RMC,235959.50,{s},3114.8950,N,12135.2442,E,10.0,87.5,311224,,,A"
GGA = "{t}GGA,{time},3114.8950,N,12135.2442,E,{q},09,0.9,12.5,M,8.3,M,,"


@pytest.mark.parametrize("talker", ["GP", "BD", "GB", "GN", "GL", "GA"])
def test_rmc_with_status_a_is_a_fix_for_every_talker(talker: str) -> None:
    result = nmea.decode_sentence(_sentence(RMC.format(t=talker, s="A")), device_id="rx-1")
    (fix,) = result.fixes
    assert fix.fix_time == datetime(2024, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert fix.lat == pytest.approx(31.24825) and fix.lon == pytest.approx(121.587403333)
    assert fix.speed_kmh == pytest.approx(18.52) and fix.course_deg == 87.5
    assert result.value is not None and result.value.talker == talker


def test_rmc_with_status_v_gives_a_message_not_a_fix() -> None:
    result = nmea.decode_sentence(_sentence(RMC.format(t="GN", s="V")), device_id="rx-1")
    assert result.ok and not result.fixes and "nmea.no_fix" in result.codes


def test_gga_needs_quality_and_a_date() -> None:
    no_quality = nmea.decode_sentence(
        _sentence(GGA.format(t="GN", time="010203", q=0)), device_id="r", date=date(2025, 1, 1)
    )
    assert not no_quality.fixes and "nmea.no_fix" in no_quality.codes
    (fix,) = nmea.decode_sentence(
        _sentence(GGA.format(t="BD", time="010203", q=1)), device_id="r", date=date(2025, 1, 1)
    ).fixes
    assert (fix.satellites, fix.altitude_m, fix.fix_time) == (
        9,
        12.5,
        datetime(2025, 1, 1, 1, 2, 3, tzinfo=UTC),
    )


def test_log_merges_an_epoch_and_dates_gga_across_midnight() -> None:
    lines = [
        _sentence(RMC.format(t="GN", s="A")),
        _sentence(GGA.format(t="GN", time="235959.50", q=1)),
        _sentence(GGA.format(t="GN", time="000000.50", q=1)),
    ]
    log = nmea.decode_log(lines, device_id="r")
    first, second = log.fixes
    assert (
        first.speed_kmh == pytest.approx(18.52)
        and first.satellites == 9
        and first.extra["sentence"] == "RMC+GGA"
    )
    assert second.fix_time == datetime(2025, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)


def test_bad_or_missing_checksum_is_rejected() -> None:
    good = _sentence(RMC.format(t="GP", s="A"))
    assert nmea.decode_sentence(good[:-2] + "00", device_id="r").codes == ("nmea.checksum",)
    assert nmea.decode_sentence(good.split("*")[0], device_id="r").codes == ("nmea.checksum",)
    assert nmea.decode_sentence(good.split("*")[0], device_id="r", verify_checksum=False).fixes


def test_unreadable_fields_become_messages() -> None:
    result = nmea.decode_sentence(
        _sentence("GPRMC,25x959,A,31x4.8950,N,12135.2442,E,fast,,311224,,,A"), device_id="r"
    )
    assert result.ok and not result.fixes
    assert {m.field for m in result.messages if m.code == "nmea.field"} == {"RMC[1]", "RMC[3]", "RMC[7]"}
