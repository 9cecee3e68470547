"""A waybill's track for the map: positions per leg, simplified by zoom, as GeoJSON with the planned route.

Which positions belong to a leg follows the pipeline's attribution: the vehicles assigned to the leg over
the assignment's interval, and the vessel (MMSI) or truck (plate) named on the leg over the leg's window
(from a while before departure until a while after arrival); a device counts for a vehicle while it is
bound to it, and an AIS transponder or a JT/T 808 terminal counts directly when its MMSI or registered
plate is the one named on the leg. Tracks are thinned with Douglas-Peucker at a tolerance of one pixel
at the requested zoom (no zoom: every stored fix).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.errors import ValidationFailed
from yidan.identity.principal import Principal
from yidan.locations.geo import EARTH_RADIUS_M
from yidan.tracking.attribution import Window, leg_window, normalise_plate
from yidan.tracking.eta import leg_plans
from yidan.tracking.live import utc_iso
from yidan.tracking.models import (
    Device,
    DeviceBinding,
    DeviceKind,
    LegAssignment,
    Position,
    Vehicle,
    VehicleKind,
)
from yidan.tracking.stored import FixFlag
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Mode
from yidan.waybills.models import Leg

# Stored fixes read per leg before simplification; a longer leg is thinned evenly to this many.
MAX_POINTS = 20_000
# Metres per pixel at zoom 0 on the equator (256-pixel Web Mercator tiles).
ZOOM0_M_PER_PX = 2 * math.pi * 6_378_137 / 256
TOLERANCE_PX = 1.0
UNTRUSTED = int(FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED)
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


@dataclass(frozen=True, slots=True)
class TrackFix:
    """A stored fix on a leg's track."""

    at: datetime
    lat: float
    lon: float
    device: str


def tolerance_m(zoom: int | None, lat: float) -> float:
    """Douglas-Peucker tolerance (metres) for a zoom level: one pixel on the ground at that latitude."""
    if zoom is None:
        return 0.0
    return TOLERANCE_PX * ZOOM0_M_PER_PX * math.cos(math.radians(lat)) / 2**zoom


def simplify(points: Sequence[tuple[float, float]], tolerance: float) -> list[int]:
    """Indices kept by Douglas-Peucker over (lon, lat) points; repeated points are dropped in any case."""
    idx = [i for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(idx) > 1 and idx[-1] != len(points) - 1:
        idx.append(len(points) - 1)
    if tolerance <= 0 or len(idx) < 3:
        return idx
    lat0 = math.radians(sum(points[i][1] for i in idx) / len(idx))
    # an equirectangular projection about the track's mean latitude: exact enough at a pixel's scale
    xy = [(points[i][0] * math.cos(lat0) * _M_PER_DEG, points[i][1] * _M_PER_DEG) for i in idx]
    keep = [False] * len(xy)
    keep[0] = keep[-1] = True
    stack = [(0, len(xy) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = xy[first], xy[last]
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        worst, at = -1.0, -1
        for k in range(first + 1, last):
            px, py = xy[k]
            if length2 == 0:
                d = math.hypot(px - x1, py - y1)
            else:
                t = max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length2))
                d = math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))
            if d > worst:
                worst, at = d, k
        if at > 0 and worst > tolerance:
            keep[at] = True
            stack.append((first, at))
            stack.append((at, last))
    return [idx[k] for k, kept in enumerate(keep) if kept]


def _clip(window: Window, start: datetime | None, end: datetime | None) -> Window | None:
    lo = max(window.start, start) if start else window.start
    ends = [t for t in (window.end, end) if t is not None]
    hi = min(ends) if ends else None
    if hi is not None and hi <= lo:
        return None
    return Window(lo, hi)


async def _vehicle_sources(
    session: AsyncSession, legs: Sequence[Leg]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, Window]]]:
    """For each leg, the vehicles carrying it and over which interval."""
    out: dict[uuid.UUID, list[tuple[uuid.UUID, Window]]] = {leg.id: [] for leg in legs}
    rows = await session.execute(
        select(
            LegAssignment.leg_id, LegAssignment.vehicle_id, LegAssignment.valid_from, LegAssignment.valid_to
        )
        .where(LegAssignment.leg_id.in_(out))
        .order_by(LegAssignment.valid_from)
    )
    for leg_id, vehicle_id, start, end in rows:
        out[leg_id].append((vehicle_id, Window(start, end)))
    for leg in legs:
        wanted: list[tuple[VehicleKind, str]] = []
        if leg.mmsi and leg.mode in (Mode.VESSEL, Mode.BARGE):
            wanted += [(VehicleKind.VESSEL, leg.mmsi), (VehicleKind.BARGE, leg.mmsi)]
        if leg.truck_plate and leg.mode is Mode.TRUCK:
            wanted.append((VehicleKind.TRUCK, leg.truck_plate))
        if not wanted:
            continue
        found = await session.scalars(
            select(Vehicle.id).where(
                or_(*(and_(Vehicle.kind == k, Vehicle.reference == r) for k, r in wanted))
            )
        )
        for vehicle_id in found:
            if all(v != vehicle_id for v, _ in out[leg.id]):
                out[leg.id].append((vehicle_id, _window_of(leg)))
    return out


def _window_of(leg: Leg) -> Window:
    return leg_window(
        status=leg.status,
        planned_departure=leg.planned_departure,
        planned_arrival=leg.planned_arrival,
        estimated_departure=leg.estimated_departure,
        estimated_arrival=leg.estimated_arrival,
        actual_departure=leg.actual_departure,
        actual_arrival=leg.actual_arrival,
    )


async def _direct_devices(session: AsyncSession, leg: Leg) -> list[uuid.UUID]:
    """Devices that count for a leg by themselves: its vessel's AIS transponder, a terminal with its plate."""
    ids: list[uuid.UUID] = []
    if leg.mmsi and leg.mode in (Mode.VESSEL, Mode.BARGE):
        ids += list(
            await session.scalars(
                select(Device.id).where(Device.kind == DeviceKind.AIS, Device.identifier == leg.mmsi)
            )
        )
    plate = normalise_plate(leg.truck_plate) if leg.mode is Mode.TRUCK else None
    if plate:
        spellings = {plate, leg.truck_plate or plate, (leg.truck_plate or plate).replace("·", "")}
        for device_id, registered in await session.execute(
            select(Device.id, Device.plate).where(
                Device.kind == DeviceKind.JT808, Device.plate.in_(spellings)
            )
        ):
            if normalise_plate(registered) == plate:
                ids.append(device_id)
    return ids


async def _fixes_of_vehicle(session: AsyncSession, vehicle_id: uuid.UUID, window: Window) -> list[TrackFix]:
    conditions = [
        DeviceBinding.vehicle_id == vehicle_id,
        Position.fix_time >= window.start,
        Position.flags.op("&")(UNTRUSTED) == 0,
    ]
    if window.end is not None:
        conditions.append(Position.fix_time < window.end)
    rows = await session.execute(
        select(Position.fix_time, Position.lat, Position.lon, Device.identifier)
        .join(
            DeviceBinding,
            and_(
                DeviceBinding.device_id == Position.device_id,
                Position.fix_time >= DeviceBinding.valid_from,
                or_(DeviceBinding.valid_to.is_(None), Position.fix_time < DeviceBinding.valid_to),
            ),
        )
        .join(Device, Device.id == Position.device_id)
        .where(*conditions)
        .order_by(Position.fix_time)
        .limit(MAX_POINTS * 5)
    )
    return [TrackFix(t, lat, lon, ident) for t, lat, lon, ident in rows]


async def _fixes_of_devices(
    session: AsyncSession, device_ids: list[uuid.UUID], window: Window
) -> list[TrackFix]:
    if not device_ids:
        return []
    conditions = [
        Position.device_id.in_(device_ids),
        Position.fix_time >= window.start,
        Position.flags.op("&")(UNTRUSTED) == 0,
    ]
    if window.end is not None:
        conditions.append(Position.fix_time < window.end)
    rows = await session.execute(
        select(Position.fix_time, Position.lat, Position.lon, Device.identifier)
        .join(Device, Device.id == Position.device_id)
        .where(*conditions)
        .order_by(Position.fix_time)
        .limit(MAX_POINTS * 5)
    )
    return [TrackFix(t, lat, lon, ident) for t, lat, lon, ident in rows]


def _even(fixes: list[TrackFix], limit: int) -> list[TrackFix]:
    if len(fixes) <= limit:
        return fixes
    step = len(fixes) / limit
    picked = [fixes[int(i * step)] for i in range(limit)]
    picked[-1] = fixes[-1]
    return picked


def _geometry(coords: list[list[float]]) -> dict[str, Any] | None:
    if not coords:
        return None
    if len(coords) == 1:
        return {"type": "Point", "coordinates": coords[0]}
    return {"type": "LineString", "coordinates": coords}


async def waybill_track(
    session: AsyncSession,
    principal: Principal,
    number: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    zoom: int | None = None,
) -> dict[str, Any]:
    """The waybill's track as a GeoJSON FeatureCollection: one feature per leg, then the planned route."""
    if start is not None and end is not None and end <= start:
        raise ValidationFailed(
            "to: must be after from", errors=[{"field": "to", "message": "must be after from"}]
        )
    waybill = await waybills.get_waybill(session, principal, number)
    legs = list(waybill.legs)
    sources = await _vehicle_sources(session, legs)
    references = {
        vid: ref
        for vid, ref in await session.execute(
            select(Vehicle.id, Vehicle.reference).where(
                Vehicle.id.in_({v for items in sources.values() for v, _ in items})
            )
        )
    }
    features: list[dict[str, Any]] = []
    for leg in legs:
        fixes: dict[tuple[str, datetime], TrackFix] = {}
        vehicles: list[str] = []
        for vehicle_id, window in sources[leg.id]:
            clipped = _clip(window, start, end)
            if clipped is None:
                continue
            found = await _fixes_of_vehicle(session, vehicle_id, clipped)
            if found:
                vehicles.append(references.get(vehicle_id, str(vehicle_id)))
            for f in found:
                fixes[(f.device, f.at)] = f
        direct = _clip(_window_of(leg), start, end)
        if direct is not None:
            for f in await _fixes_of_devices(session, await _direct_devices(session, leg), direct):
                fixes[(f.device, f.at)] = f
        ordered = _even(sorted(fixes.values(), key=lambda f: f.at), MAX_POINTS)
        coords = [(f.lon, f.lat) for f in ordered]
        mean_lat = sum(c[1] for c in coords) / len(coords) if coords else 0.0
        kept = simplify(coords, tolerance_m(zoom, mean_lat))
        features.append(
            {
                "type": "Feature",
                "geometry": _geometry([[coords[i][0], coords[i][1]] for i in kept]),
                "properties": {
                    "kind": "track",
                    "leg_seq": leg.seq,
                    "mode": leg.mode.value,
                    "status": leg.status.value,
                    "vehicles": sorted(set(vehicles)),
                    "devices": sorted({f.device for f in ordered}),
                    "points": len(fixes),
                    "simplified_points": len(kept),
                    "first_fix": utc_iso(ordered[0].at) if ordered else None,
                    "last_fix": utc_iso(ordered[-1].at) if ordered else None,
                },
            }
        )
    plans = await leg_plans(session, legs)
    route: list[list[float]] = []
    for p in plans:
        for lat, lon in (p.origin, p.destination):
            if not route or route[-1] != [lon, lat]:
                route.append([lon, lat])
    features.append(
        {
            "type": "Feature",
            "geometry": _geometry(route),
            "properties": {
                "kind": "planned_route",
                "leg_seq": None,
                "mode": None,
                "status": waybill.status.value,
                "places": [legs[0].from_unlocode, *(leg.to_unlocode for leg in legs)] if legs else [],
            },
        }
    )
    return {"type": "FeatureCollection", "waybill": waybill.number, "zoom": zoom, "features": features}
