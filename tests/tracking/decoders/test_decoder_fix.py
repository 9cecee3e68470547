"""The Fix and DecodeResult shapes every decoder shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from yidan.tracking.decoders import DecodeMessage, DecodeResult, Fix, Severity


def test_fix_time_is_normalised_to_utc_and_must_be_aware() -> None:
    beijing = datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    fix = Fix(device_id="d", source="http", fix_time=beijing, lat=1, lon=2)
    assert fix.fix_time.tzinfo is UTC and fix.fix_time.hour == 0
    with pytest.raises(ValueError):
        Fix(device_id="d", source="http", fix_time=datetime(2024, 1, 1), lat=1, lon=2)


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181), (float("nan"), 0)])
def test_fix_refuses_positions_off_the_globe(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        Fix(device_id="d", source="http", fix_time=datetime.now(UTC), lat=lat, lon=lon)


def test_result_helpers() -> None:
    warning = DecodeMessage.warning("x.w", "tolerated", offset=3)
    error = DecodeMessage.error("x.e", "broken", field="lat")
    result: DecodeResult[int] = DecodeResult(1, (warning,))
    assert result.ok and result.errors == () and result.codes == ("x.w",)
    rejected: DecodeResult[int] = DecodeResult.rejected(error)
    assert not rejected.ok and rejected.errors == (error,) and error.severity is Severity.ERROR
    assert str(error) == "[x.e] broken (field lat)" and warning.where == "offset 3"
