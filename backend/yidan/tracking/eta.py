"""Estimated arrival per leg and for the whole waybill, from the vehicle's recent fixes.

Method: the remaining distance along the planned route is the great-circle distance from the current fix to
the current leg's destination, then each later leg's end-to-end distance, each times a detour factor for
its mode (roads, rails and sea lanes are longer than the great circle). The current leg is covered at the
vehicle's recent speed (time-weighted average over a window, shrunk towards the mode's typical speed when
there are few samples, and the typical speed when it is stopped); later legs at their mode's typical speed
and never before their planned departure. The confidence (0..1) falls with few fixes, stale data, erratic
speed, a defaulted speed and each leg further ahead.

An estimate is posted as an EST ARRI event (which also sets the leg's estimated_arrival) only when it
moved materially from the last one. The functions up to ``is_material`` are pure; ``EtaListener`` is the
commit listener around them.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from yidan.core.clock import utcnow
from yidan.core.errors import DomainError
from yidan.locations.geo import haversine_m
from yidan.locations.models import Location, Terminal
from yidan.tracking.models import Position
from yidan.tracking.stored import FixFlag, StoredFix
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Classifier, LegStatus, WaybillStatus
from yidan.waybills.models import Leg, Waybill

log = logging.getLogger("yidan.tracking.eta")

# Typical cruising speeds (km/h): a truck on expressways with stops, a freight train, a container ship
# (~15 kn), a river barge (~8 kn).
MODE_SPEED_KMH = {"TRUCK": 60.0, "RAIL": 55.0, "VESSEL": 28.0, "BARGE": 15.0}
# Route length over great-circle distance, by mode.
DETOUR = {"TRUCK": 1.3, "RAIL": 1.2, "VESSEL": 1.25, "BARGE": 1.4}
# Faster than this for the mode is a bad fix, not a fast vehicle; the speed is capped there.
MAX_SPEED_KMH = {"TRUCK": 120.0, "RAIL": 160.0, "VESSEL": 60.0, "BARGE": 35.0}
STOPPED_KMH = 3.0
WINDOW = timedelta(minutes=30)
# Consecutive fixes closer in time than this are thinned out, so GNSS jitter of 1 Hz reports does not add
# up to phantom distance.
MIN_SEGMENT = timedelta(seconds=20)
# Pseudo-samples of the mode's typical speed mixed into the observed one (few fixes: trust the mode).
PRIOR_SAMPLES = 3.0
ABSOLUTE_CHANGE = timedelta(minutes=30)
RELATIVE_CHANGE = 0.10
MIN_CHANGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One fix as the ETA needs it."""

    at: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None


@dataclass(frozen=True, slots=True)
class SpeedEstimate:
    """The speed an estimate uses, and what it rests on."""

    kmh: float
    observed_kmh: float | None
    samples: int
    variation: float
    stopped: bool
    defaulted: bool


def path_length_m(points: Sequence[TrackPoint]) -> float:
    """The length of a track in metres, point to point."""
    return sum(haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in pairwise(points))


def _thinned(points: Sequence[TrackPoint], min_segment: timedelta) -> list[TrackPoint]:
    kept: list[TrackPoint] = []
    for p in points:
        if not kept or p.at - kept[-1].at >= min_segment:
            kept.append(p)
    if len(points) > 1 and kept[-1] is not points[-1]:
        kept[-1] = points[-1]  # always end at the newest fix
    return kept


def _weighted_cv(values: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    if total <= 0 or len(values) < 2:
        return 0.0
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / total
    if mean <= 0:
        return 0.0
    var = sum(w * (v - mean) ** 2 for v, w in zip(values, weights, strict=True)) / total
    return math.sqrt(var) / mean


def estimate_speed(
    points: Sequence[TrackPoint],
    mode: str,
    *,
    until: datetime | None = None,
    window: timedelta = WINDOW,
    min_segment: timedelta = MIN_SEGMENT,
) -> SpeedEstimate:
    """The speed to plan with: the recent average, else the mode's typical speed when stopped or unknown."""
    typical = MODE_SPEED_KMH.get(mode, 50.0)
    ceiling = MAX_SPEED_KMH.get(mode, 150.0)
    ordered = sorted(points, key=lambda p: p.at)
    if until is None and ordered:
        until = ordered[-1].at
    recent = [p for p in ordered if until is not None and until - window <= p.at <= until]
    reported = [p.speed_kmh for p in recent if p.speed_kmh is not None and math.isfinite(p.speed_kmh)]
    observed: float | None = None
    variation = 0.0
    samples = 0
    if reported and len(reported) * 2 >= len(recent):
        # Doppler speeds from the receiver beat positions differenced over jitter when they are there.
        observed = sum(reported) / len(reported)
        samples = len(reported)
        variation = _weighted_cv(reported, [1.0] * len(reported))
    else:
        kept = _thinned(recent, min_segment)
        speeds: list[float] = []
        weights: list[float] = []
        for a, b in pairwise(kept):
            dt = (b.at - a.at).total_seconds()
            if dt > 0:
                speeds.append(haversine_m(a.lat, a.lon, b.lat, b.lon) / dt * 3.6)
                weights.append(dt)
        if weights:
            observed = sum(s * w for s, w in zip(speeds, weights, strict=True)) / sum(weights)
            samples = len(speeds)
            variation = _weighted_cv(speeds, weights)
    if observed is None:
        return SpeedEstimate(typical, None, 0, 0.0, stopped=False, defaulted=True)
    observed = min(observed, ceiling)
    if observed < STOPPED_KMH:
        return SpeedEstimate(typical, observed, samples, variation, stopped=True, defaulted=True)
    kmh = (observed * samples + typical * PRIOR_SAMPLES) / (samples + PRIOR_SAMPLES)
    return SpeedEstimate(kmh, observed, samples, variation, stopped=False, defaulted=False)


def confidence(speed: SpeedEstimate, *, age: timedelta, legs_ahead: int = 0) -> float:
    """How much to trust an estimate, 0..1: fewer fixes, older data, erratic speed and later legs lower it."""
    value = 0.3 + 0.7 * min(1.0, speed.samples / 10)
    minutes = max(0.0, age.total_seconds() / 60)
    # fresh for ten minutes, then falling linearly to a floor at two hours
    value *= max(0.1, 1.0 - max(0.0, minutes - 10) / 110)
    value *= 1 / (1 + min(speed.variation, 3.0))
    if speed.defaulted:
        value *= 0.6
    value *= 0.85**legs_ahead
    return round(min(1.0, max(0.0, value)), 3)


@dataclass(frozen=True, slots=True)
class LegPlan:
    """A leg's mode, ends (lat, lon) and schedule, as the estimate needs them."""

    seq: int
    mode: str
    origin: tuple[float, float]
    destination: tuple[float, float]
    planned_departure: datetime


@dataclass(frozen=True, slots=True)
class LegEstimate:
    """The estimated arrival of one leg."""

    seq: int
    eta: datetime
    remaining_m: float
    confidence: float


@dataclass(frozen=True, slots=True)
class RouteEstimate:
    """Estimates for the current and every later leg; the last one is the waybill's."""

    legs: tuple[LegEstimate, ...]
    speed: SpeedEstimate

    @property
    def eta(self) -> datetime:
        """When the whole journey ends."""
        return self.legs[-1].eta

    @property
    def remaining_m(self) -> float:
        """Route distance still to go, all legs."""
        return self.legs[-1].remaining_m

    @property
    def confidence(self) -> float:
        """Confidence in the journey's end."""
        return self.legs[-1].confidence


def estimate_route(
    legs: Sequence[LegPlan],
    current_seq: int,
    position: tuple[float, float],
    at: datetime,
    speed: SpeedEstimate,
    *,
    now: datetime,
) -> RouteEstimate:
    """ETA of the current leg from a fix, then of each later leg; distances are cumulative."""
    ordered = sorted(legs, key=lambda leg: leg.seq)
    start = next(i for i, leg in enumerate(ordered) if leg.seq == current_seq)
    age = max(timedelta(0), now - at)
    current = ordered[start]
    distance = haversine_m(*position, *current.destination) * DETOUR.get(current.mode, 1.3)
    eta = at + timedelta(hours=distance / 1000 / speed.kmh)
    out = [LegEstimate(current.seq, eta, distance, confidence(speed, age=age))]
    for ahead, leg in enumerate(ordered[start + 1 :], start=1):
        length = haversine_m(*leg.origin, *leg.destination) * DETOUR.get(leg.mode, 1.3)
        distance += length
        # a train or ship keeps its timetable: it does not leave early because the cargo came early
        departure = max(eta, leg.planned_departure)
        eta = departure + timedelta(hours=length / 1000 / MODE_SPEED_KMH.get(leg.mode, 50.0))
        out.append(LegEstimate(leg.seq, eta, distance, confidence(speed, age=age, legs_ahead=ahead)))
    return RouteEstimate(tuple(out), speed)


def is_material(previous: datetime | None, new: datetime, *, now: datetime) -> bool:
    """Whether a new estimate moved enough from the last one to be posted (30 min, or 10 % of time to go)."""
    if previous is None:
        return True
    change = abs(new - previous)
    if change > ABSOLUTE_CHANGE:
        return True
    to_go = max(timedelta(0), new - now)
    return change > max(MIN_CHANGE, to_go * RELATIVE_CHANGE)


# ---- the listener ----


@dataclass(frozen=True, slots=True)
class PostedEstimate:
    """An EST ARRI the listener posted."""

    waybill_id: uuid.UUID
    leg_seq: int
    eta: datetime
    confidence: float


class EtaListener:
    """A commit listener: re-estimates the legs in transit and posts EST ARRI events when they move."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        min_interval: timedelta = timedelta(seconds=60),
        window: timedelta = WINDOW,
        source: str = "tracking",
    ) -> None:
        self._sessionmaker = sessionmaker
        self.min_interval = min_interval
        self.window = window
        self.source = source
        self._last_run: dict[uuid.UUID, datetime] = {}

    async def __call__(self, fixes: Sequence[StoredFix]) -> None:
        """Process a committed batch; failures are logged, never raised into the pipeline."""
        try:
            await self.process(fixes)
        except Exception:
            log.exception("ETA processing failed for a batch of %d fixes", len(fixes))

    async def process(
        self, fixes: Sequence[StoredFix], *, now: datetime | None = None
    ) -> list[PostedEstimate]:
        """Estimate each leg from its newest fix in the batch (at most once per min_interval of fix time)."""
        newest: dict[uuid.UUID, tuple[StoredFix, uuid.UUID]] = {}
        for sf in fixes:
            if sf.flags & (FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED):
                continue
            for ref in sf.legs:
                seen = newest.get(ref.leg_id)
                if seen is None or sf.fix.fix_time > seen[0].fix.fix_time:
                    newest[ref.leg_id] = (sf, ref.waybill_id)
        due: dict[uuid.UUID, list[tuple[uuid.UUID, StoredFix]]] = defaultdict(list)
        for leg_id, (sf, waybill_id) in newest.items():
            last = self._last_run.get(leg_id)
            if last is not None and sf.fix.fix_time - last < self.min_interval:
                continue
            due[waybill_id].append((leg_id, sf))
        if len(self._last_run) > 100_000:
            self._last_run.clear()
        posted: list[PostedEstimate] = []
        for waybill_id, items in due.items():
            async with self._sessionmaker() as session, session.begin():
                for leg_id, sf in items:
                    done = await self._estimate(session, waybill_id, leg_id, sf, now or utcnow())
                    if done is not None:
                        posted.extend(done)
                        self._last_run[leg_id] = sf.fix.fix_time
        return posted

    async def _estimate(
        self, session: AsyncSession, waybill_id: uuid.UUID, leg_id: uuid.UUID, sf: StoredFix, now: datetime
    ) -> list[PostedEstimate] | None:
        """The estimates posted (None when the leg is not travelling, so nothing was estimated)."""
        # the lock makes the "moved materially" check and the post one step among concurrent batches
        waybill = await session.scalar(
            select(Waybill)
            .where(Waybill.id == waybill_id)
            .with_for_update(of=Waybill)
            .options(selectinload(Waybill.legs))
            .execution_options(populate_existing=True)
        )
        if waybill is None or waybill.status is not WaybillStatus.IN_TRANSIT:
            return None
        current = next((leg for leg in waybill.legs if leg.id == leg_id), None)
        if current is None or current.status is not LegStatus.DEPARTED:
            return None  # estimates follow a leg only while it travels
        rows = await session.execute(
            select(Position.fix_time, Position.lat, Position.lon, Position.speed_kmh)
            .where(
                Position.device_id == sf.device_id,
                Position.fix_time > sf.fix.fix_time - self.window,
                Position.fix_time <= sf.fix.fix_time,
                Position.flags.op("&")(int(FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED)) == 0,
            )
            .order_by(Position.fix_time)
        )
        points = [TrackPoint(t, lat, lon, v) for t, lat, lon, v in rows]
        if not points:
            points = [TrackPoint(sf.fix.fix_time, sf.fix.lat, sf.fix.lon, sf.fix.speed_kmh)]
        speed = estimate_speed(points, current.mode.value, until=sf.fix.fix_time, window=self.window)
        plans = await leg_plans(session, [leg for leg in waybill.legs if leg.seq >= current.seq])
        route = estimate_route(plans, current.seq, (sf.fix.lat, sf.fix.lon), sf.fix.fix_time, speed, now=now)
        out: list[PostedEstimate] = []
        legs = {leg.seq: leg for leg in waybill.legs}
        for est in route.legs:
            leg = legs[est.seq]
            if leg.actual_arrival is not None or not is_material(leg.estimated_arrival, est.eta, now=now):
                continue
            payload: dict[str, object] = {
                "confidence": est.confidence,
                "remaining_km": round(est.remaining_m / 1000, 1),
                "speed_kmh": round(speed.kmh, 1),
                "observed_kmh": None if speed.observed_kmh is None else round(speed.observed_kmh, 1),
                "samples": speed.samples,
                "basis_fix_time": sf.fix.fix_time.isoformat(),
                "device": sf.device_identifier,
                "waybill_eta": route.eta.isoformat(),
            }
            try:
                async with session.begin_nested():
                    event = await waybills.record_system_transport_event(
                        session,
                        waybill_id,
                        leg.id,
                        "ARRI",
                        est.eta,
                        self.source,
                        classifier=Classifier.EST,
                        description=f"estimated from tracking, confidence {est.confidence:.2f}",
                        payload=payload,
                    )
            except DomainError as exc:
                log.info("EST ARRI for leg %s of %s not posted: %s", leg.seq, waybill.number, exc.detail)
                continue
            if event is not None:
                out.append(PostedEstimate(waybill_id, leg.seq, est.eta, est.confidence))
        return out


async def leg_plans(session: AsyncSession, legs: Sequence[Leg]) -> list[LegPlan]:
    """The legs with the coordinates of their ends (terminal when named, else the place)."""
    terminals = {t for leg in legs for t in (leg.from_terminal, leg.to_terminal) if t}
    places = {p for leg in legs for p in (leg.from_unlocode, leg.to_unlocode)}
    points: dict[str, tuple[float, float]] = {}
    if terminals:
        for code, lat, lon in await session.execute(
            select(Terminal.code, Terminal.lat, Terminal.lon).where(Terminal.code.in_(terminals))
        ):
            points[f"t:{code}"] = (lat, lon)
    for code, lat, lon in await session.execute(
        select(Location.unlocode, Location.lat, Location.lon).where(Location.unlocode.in_(places))
    ):
        points[f"p:{code}"] = (lat, lon)

    def end(terminal: str | None, place: str) -> tuple[float, float]:
        return points.get(f"t:{terminal}") or points[f"p:{place}"]

    return [
        LegPlan(
            leg.seq,
            leg.mode.value,
            end(leg.from_terminal, leg.from_unlocode),
            end(leg.to_terminal, leg.to_unlocode),
            leg.planned_departure,
        )
        for leg in legs
    ]
