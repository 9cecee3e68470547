"""Plausibility of a fix: what is refused outright, what is repaired, and what is kept but flagged."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta

from yidan.tracking.decoders.fix import Fix
from yidan.tracking.models import DeviceKind, VehicleKind
from yidan.tracking.stored import FixFlag

# Fastest plausible movement per vehicle (or, for a device on no vehicle, per device) kind, in km/h.
MAX_SPEED_KMH: dict[VehicleKind | DeviceKind, float] = {
    VehicleKind.VESSEL: 120.0,
    VehicleKind.BARGE: 60.0,
    VehicleKind.TRUCK: 250.0,
    VehicleKind.TRAIN: 450.0,
    DeviceKind.AIS: 120.0,
    DeviceKind.JT808: 250.0,
}
# GNSS scatter: two fixes seconds apart may sit tens of metres apart while standing still.
JITTER_KM = 0.3
EARTH_RADIUS_KM = 6371.0088
STATUS_POSITIONED = 1 << 1  # JT/T 808 status bit 1
INT8_MAX = 2**63
# Flags, as plain ints on the hot path (IntFlag arithmetic is slow), and back as FixFlag for results.
IMPOSSIBLE_SPEED = int(FixFlag.IMPOSSIBLE_SPEED)
NOT_POSITIONED = int(FixFlag.NOT_POSITIONED)
ALARM = int(FixFlag.ALARM)
# a fix flagged so is no baseline for the next one's speed, and never its device's latest position
NOT_BASELINE = IMPOSSIBLE_SPEED | NOT_POSITIONED
AS_FLAG = tuple(FixFlag(i) for i in range(8))

Point = tuple[datetime, float, float]  # fix time, lat, lon


@dataclasses.dataclass(frozen=True, slots=True)
class Refusal:
    """Why a fix is not stored: a stable code and a sentence."""

    code: str
    reason: str


def check_fix(fix: Fix, *, now: datetime, skew: timedelta) -> tuple[Fix, int] | Refusal:
    """The fix as it will be stored, with its flags; or why it is refused (future, no position)."""
    if fix.fix_time > now + skew:
        ahead = int((fix.fix_time - now).total_seconds())
        return Refusal(
            "future_fix", f"fix time {fix.fix_time.isoformat()} is {ahead} s ahead of the server clock"
        )
    if fix.lat == 0.0 and fix.lon == 0.0:
        return Refusal("no_position", "position 0, 0 is what a receiver without a fix reports")
    speed, course, altitude = fix.speed_kmh, fix.course_deg, fix.altitude_m
    satellites, status, alarms = fix.satellites, fix.status, fix.alarms
    # NaN fails every comparison, so one chain both accepts the usual fix and catches the odd one
    usual = (
        (speed is None or 0.0 <= speed < math.inf)
        and (course is None or 0.0 <= course < 360.0)
        and (altitude is None or -math.inf < altitude < math.inf)
        and (satellites is None or 0 <= satellites <= 255)
        and (status is None or 0 <= status < INT8_MAX)
        and (alarms is None or 0 <= alarms < INT8_MAX)
    )
    if not usual:
        if speed is not None and speed < 0:
            return Refusal("invalid_speed", f"speed {speed} km/h is negative")
        fix = _repaired(fix)
    flags = 0
    if fix.alarms:
        flags |= ALARM
    if fix.source == "jt808" and fix.status is not None and not fix.status & STATUS_POSITIONED:
        flags |= NOT_POSITIONED
    return fix, flags


def _repaired(fix: Fix) -> Fix:
    """Values a device cannot mean (NaN, course 400°, 9,999 satellites) become unknown or wrap around."""
    changes: dict[str, object] = {}
    for name in ("speed_kmh", "course_deg", "altitude_m"):
        value = getattr(fix, name)
        if value is not None and not math.isfinite(value):
            changes[name] = None
    if fix.course_deg is not None and math.isfinite(fix.course_deg) and not 0 <= fix.course_deg < 360:
        changes["course_deg"] = fix.course_deg % 360.0
    if fix.satellites is not None and not 0 <= fix.satellites <= 255:
        changes["satellites"] = None
    for name in ("status", "alarms"):
        value = getattr(fix, name)
        if value is not None and not 0 <= value < INT8_MAX:
            changes[name] = None
    return dataclasses.replace(fix, **changes) if changes else fix  # type: ignore[arg-type]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance of two valid WGS84 points, in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def impossible(prev: Point, fix: Fix, limit_kmh: float) -> bool:
    """Whether reaching fix from prev needs more than limit_kmh (beyond GNSS scatter)."""
    hours = max((fix.fix_time - prev[0]).total_seconds(), 1.0) / 3600.0
    km = distance_km(prev[1], prev[2], fix.lat, fix.lon) - JITTER_KM
    return km > 0 and km / hours > limit_kmh
