"""Where simulated vehicles drive: tracks between seeded places, and a real GPS trace for town driving.

A `Track` is a timed polyline; a vehicle's position at any moment is interpolated on it, driving back
along it after it reaches the end, so a simulation can run for as long as it is left running.
"""

from __future__ import annotations

import bisect
import csv
import itertools
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

EARTH_RADIUS_M = 6_371_008.8
# Cruising speeds by transport mode, km/h (a vessel at about 14 knots).
CRUISE_KMH = {"TRUCK": 65.0, "RAIL": 90.0, "VESSEL": 26.0, "BARGE": 18.0}
# How long a scheduled vehicle waits at its destination before the track would turn it back (30 days).
ARRIVED_HOLD_S = 30 * 86_400.0
# Well inside the smallest place geofence (a river port, 3 km), so a waiting vehicle never "departs".
YARD_RADIUS_M = 2_000.0
_POINT = re.compile(r"POINT\(\s*(-?[\d.]+)\s+(-?[\d.]+)\s*\)")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, 0 = north, clockwise."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


@dataclass(frozen=True, slots=True)
class Sample:
    """A vehicle's state at one moment."""

    lat: float
    lon: float
    speed_kmh: float
    course_deg: float


class Track:
    """A polyline with a time (seconds from its start) at every point."""

    def __init__(self, times: Sequence[float], points: Sequence[tuple[float, float]]) -> None:
        if len(times) != len(points) or len(points) < 2:
            raise ValueError("a track needs at least two timed points")
        self.times = list(times)
        self.points = list(points)

    @property
    def duration_s(self) -> float:
        """Time to drive it once."""
        return self.times[-1] - self.times[0]

    def _at(self, t: float) -> tuple[float, float]:
        t = min(max(t, self.times[0]), self.times[-1])
        i = max(1, bisect.bisect_left(self.times, t))
        t0, t1 = self.times[i - 1], self.times[i]
        (a_lat, a_lon), (b_lat, b_lon) = self.points[i - 1], self.points[i]
        f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
        return a_lat + (b_lat - a_lat) * f, a_lon + (b_lon - a_lon) * f

    def sample(self, elapsed_s: float) -> Sample:
        """Where the vehicle is after `elapsed_s` seconds of driving there and back again."""
        span = max(self.duration_s, 1.0)
        lap, within = divmod(max(elapsed_s, 0.0), span)
        backwards = int(lap) % 2 == 1
        t = self.times[0] + (span - within if backwards else within)
        step = -1.0 if backwards else 1.0
        lat, lon = self._at(t)
        ahead_lat, ahead_lon = self._at(t + step)
        moved = distance_m(lat, lon, ahead_lat, ahead_lon)
        if moved < 0.05:
            # Standing, or at a turning point: keep the heading of the road.
            back_lat, back_lon = self._at(t - 5 * step)
            course = bearing_deg(back_lat, back_lon, lat, lon) if (back_lat, back_lon) != (lat, lon) else 0.0
            return Sample(lat, lon, 0.0, course)
        return Sample(lat, lon, moved * 3.6, bearing_deg(lat, lon, ahead_lat, ahead_lon))


def line_track(
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    speed_kmh: float,
    rng: random.Random,
    via: Sequence[tuple[float, float]] = (),
    step_km: float = 2.0,
) -> Track:
    """Straight stretches between the points, with the speed drifting ±10 % like real traffic."""
    corners = [start, *via, end]
    points: list[tuple[float, float]] = [start]
    for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(corners):
        n = max(1, math.ceil(distance_m(a_lat, a_lon, b_lat, b_lon) / 1000 / step_km))
        points.extend(
            (a_lat + (b_lat - a_lat) * k / n, a_lon + (b_lon - a_lon) * k / n) for k in range(1, n + 1)
        )
    times = [0.0]
    for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(points):
        speed_ms = speed_kmh * rng.uniform(0.9, 1.1) / 3.6
        times.append(times[-1] + max(distance_m(a_lat, a_lon, b_lat, b_lon) / speed_ms, 0.5))
    return Track(times, points)


def load_trace(path: Path) -> list[tuple[float, float, float]]:
    """A recorded GPS trace as (seconds from its start, lat, lon); WKT POINT(lon lat) with local times."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    out: list[tuple[float, float, float]] = []
    start: datetime | None = None
    for row in rows:
        match = _POINT.search(str(row.get("point", "")))
        if not match:
            continue
        moment = datetime.strptime(str(row["time"]), "%Y-%m-%d %H:%M:%S%z")
        start = start or moment
        t = (moment - start).total_seconds()
        if out and t <= out[-1][0]:
            continue
        out.append((t, float(match.group(2)), float(match.group(1))))
    return out


def trace_track(
    trace: Sequence[tuple[float, float, float]],
    origin: tuple[float, float],
    *,
    max_radius_m: float | None = None,
) -> Track:
    """A recorded drive moved to start at `origin` (shrunk to stay within `max_radius_m` when given)."""
    # Real stops, turns, speeds and GNSS scatter; shrinking slows the speeds in proportion.
    t0, lat0, lon0 = trace[0]
    squeeze = 1.0
    if max_radius_m is not None:
        reach = max(distance_m(lat0, lon0, lat, lon) for _, lat, lon in trace)
        squeeze = min(1.0, max_radius_m / max(reach, 1.0))
    scale = math.cos(math.radians(lat0)) / max(math.cos(math.radians(origin[0])), 1e-6)
    return Track(
        [t - t0 for t, _, _ in trace],
        [
            (origin[0] + (lat - lat0) * squeeze, origin[1] + (lon - lon0) * scale * squeeze)
            for _, lat, lon in trace
        ],
    )


def load_places(seed_dir: Path) -> dict[str, tuple[float, float]]:
    """Seeded places by UN/LOCODE."""
    with (seed_dir / "locations.csv").open(encoding="utf-8", newline="") as fh:
        return {r["unlocode"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh) if r.get("lat")}


@dataclass(frozen=True, slots=True)
class LegPlan:
    """A seeded leg a vehicle drives: its mode, ends and how far along it should be now."""

    mode: str
    origin: str
    destination: str
    progress: float = 0.0
    started: bool = True


def demo_leg(seed_dir: Path, waybill: str, vehicle: str) -> LegPlan | None:
    """The leg of a demo waybill (by reference) carried by a vehicle (plate, MMSI or train number)."""
    path = seed_dir / "demo_waybills.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    wanted = vehicle.replace("·", "").replace(" ", "").upper()
    for bill in data.get("waybills", []):
        if waybill and bill.get("reference") != waybill:
            continue
        for leg in bill.get("legs", []):
            ids = {
                str(v).replace("·", "").replace(" ", "").upper() for v in (leg.get("vehicle") or {}).values()
            }
            if wanted not in ids:
                continue
            dep, arr = float(leg.get("dep", 0)), float(leg.get("arr", 0))
            # Seeded hours are relative to the seed run; a leg under way starts where it should be now.
            progress = -dep / (arr - dep) if dep < 0 < arr else 0.0
            return LegPlan(str(leg.get("mode", "TRUCK")), leg["from"], leg["to"], progress, started=dep <= 0)
    return None


def plan_track(
    plan: LegPlan | None,
    places: dict[str, tuple[float, float]],
    trace: Sequence[tuple[float, float, float]] | None,
    rng: random.Random,
) -> tuple[Track, float]:
    """The track a vehicle follows and where on it (seconds) to start."""
    if plan is None or plan.origin not in places:
        codes = sorted(c for c, (lat, lon) in places.items() if 18 < lat < 46 and 100 < lon < 125)
        a, b = rng.sample(codes, 2)
        plan = LegPlan("TRUCK", a, b, rng.random())
    start = places[plan.origin]
    end = places.get(plan.destination, start)
    if distance_m(*start, *end) < 5_000 or not plan.started:
        # A town leg (depot to warehouse) drives the recorded trace around the place. A vehicle whose leg
        # has not begun only moves about its yard: leaving the origin's geofence would report a departure.
        radius = None if plan.started else YARD_RADIUS_M
        if trace:
            track = trace_track(trace, start, max_radius_m=radius)
        else:
            corner = (start[0] + 0.01, start[1] + 0.01) if radius else (start[0] + 0.05, start[1] + 0.05)
            track = line_track(start, corner, speed_kmh=35.0 if radius is None else 10.0, rng=rng)
        return track, plan.progress * track.duration_s
    via: list[tuple[float, float]] = []
    if plan.mode == "VESSEL":
        # Keep coastal shipping off the land: round a point well out to sea, east of both ports.
        via = [((start[0] + end[0]) / 2, max(start[1], end[1]) + 1.5)]
    track = line_track(start, end, speed_kmh=CRUISE_KMH.get(plan.mode, 60.0), rng=rng, via=via)
    return track, plan.progress * track.duration_s


@dataclass(frozen=True, slots=True)
class LegSchedule:
    """A leg under way as the database holds it: its mode, ends, departure and planned arrival."""

    mode: str
    origin: str
    destination: str
    departure: datetime
    arrival: datetime


def leg_progress(departure: datetime, arrival: datetime, now: datetime) -> float:
    """How far along (0–1) a leg timed from `departure` to `arrival` should be at `now`."""
    span = (arrival - departure).total_seconds()
    if span <= 0:
        return 1.0 if now >= arrival else 0.0
    return min(max((now - departure).total_seconds() / span, 0.0), 1.0)


def scheduled_track(
    schedule: LegSchedule, places: dict[str, tuple[float, float]], rng: random.Random, now: datetime
) -> tuple[Track, float]:
    """A departed leg's track timed to its schedule, and where on it (seconds) the vehicle is at `now`."""
    plan = LegPlan(schedule.mode, schedule.origin, schedule.destination)
    route, _ = plan_track(plan, places, None, rng)
    # Even speed over the whole leg, so the share of the distance covered is the share of the time gone.
    steps = [distance_m(*a, *b) for a, b in itertools.pairwise(route.points)]
    total = sum(steps) or 1.0
    span = max((schedule.arrival - schedule.departure).total_seconds(), 1.0)
    times = [0.0, *(span * d / total for d in itertools.accumulate(steps))]
    # After arriving it waits there: driving back would leave and re-enter geofences of a finished leg.
    track = Track([*times, times[-1] + ARRIVED_HOLD_S], [*route.points, route.points[-1]])
    return track, leg_progress(schedule.departure, schedule.arrival, now) * span
