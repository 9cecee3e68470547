"""Plane and sphere geometry for places and gate geofences: pure functions, no I/O.

Coordinates follow GeoJSON: a point in a ring is ``(lon, lat)`` in WGS84 degrees, and a ring is closed
(its last point repeats the first). Distances use a spherical Earth of mean radius, which is within 0.5 %
of the ellipsoid -- far better than a GNSS fix at a gate needs. Point-in-polygon and centroids treat
lon/lat as plane coordinates, which is exact enough for geofences a few hundred metres across and away
from the antimeridian and the poles (all of China is).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

__all__ = [
    "EARTH_RADIUS_M",
    "Ring",
    "haversine_m",
    "max_span_m",
    "point_in_polygon",
    "polygon_centroid",
    "ring_area_m2",
    "validate_ring",
]

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

#: A closed ring of (lon, lat) points.
Ring = Sequence[tuple[float, float]]

# Degrees; about 1 cm at the equator. Points this close to an edge count as on it.
_BOUNDARY_EPSILON = 1e-9


def _check_lat_lon(lat: float, lon: float, where: str) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"{where}: latitude and longitude must be finite numbers, got ({lat}, {lon})")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"{where}: latitude {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"{where}: longitude {lon} is outside -180..180")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points given as (lat, lon) in degrees."""
    _check_lat_lon(lat1, lon1, "first point")
    _check_lat_lon(lat2, lon2, "second point")
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    # min() guards against a rounding error pushing a just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _signed_area_deg2(ring: Ring) -> float:
    """Shoelace area of a closed ring in square degrees; positive when counter-clockwise."""
    total = 0.0
    for (x1, y1), (x2, y2) in pairwise(ring):
        total += x1 * y2 - x2 * y1
    return total / 2


def validate_ring(ring: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    """A ring of [lon, lat] pairs checked (closed, 4+ points, in range, not flat), returned as tuples."""
    if isinstance(ring, str | bytes) or not isinstance(ring, Sequence):
        raise ValueError(f"ring must be a list of [lon, lat] pairs, got {type(ring).__name__}")
    points: list[tuple[float, float]] = []
    for index, pair in enumerate(ring):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"point {index} must be a [lon, lat] pair, got {pair!r}")
        lon, lat = pair
        # bool is an int subclass, but true/false in a geofence is a data error.
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (lon, lat)):
            raise ValueError(f"point {index} must hold two numbers, got {pair!r}")
        _check_lat_lon(float(lat), float(lon), f"point {index} [lon, lat]")
        points.append((float(lon), float(lat)))
    if len(points) < 4:
        raise ValueError(
            f"a ring needs at least 4 points (a triangle plus the closing point), got {len(points)}"
        )
    if points[0] != points[-1]:
        raise ValueError(f"ring is not closed: first point {points[0]} differs from last point {points[-1]}")
    if len(set(points)) < 3:
        raise ValueError("ring needs at least 3 distinct points")
    if _signed_area_deg2(points) == 0.0:
        raise ValueError("ring encloses no area (all points on a line)")
    return points


def _on_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    length = math.hypot(x2 - x1, y2 - y1)
    if abs(cross) > _BOUNDARY_EPSILON * max(length, 1.0):
        return False
    return (
        min(x1, x2) - _BOUNDARY_EPSILON <= x <= max(x1, x2) + _BOUNDARY_EPSILON
        and min(y1, y2) - _BOUNDARY_EPSILON <= y <= max(y1, y2) + _BOUNDARY_EPSILON
    )


def point_in_polygon(lon: float, lat: float, ring: Ring) -> bool:
    """Whether (lon, lat) lies inside a closed ring or on its boundary (ray casting)."""
    if len(ring) < 4:
        raise ValueError(f"a ring needs at least 4 points, got {len(ring)}")
    # A truck parked on the geofence line is at the gate: edges and vertices count as inside.
    for (x1, y1), (x2, y2) in pairwise(ring):
        if _on_segment(lon, lat, x1, y1, x2, y2):
            return True
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        # Half-open rule on y so that a ray through a vertex is counted once.
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def polygon_centroid(ring: Ring) -> tuple[float, float]:
    """The area centroid (lon, lat) of a closed ring."""
    if len(ring) < 4:
        raise ValueError(f"a ring needs at least 4 points, got {len(ring)}")
    area = _signed_area_deg2(ring)
    if area == 0.0:
        raise ValueError("ring encloses no area, so it has no centroid")
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in pairwise(ring):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def ring_area_m2(ring: Ring) -> float:
    """Approximate area of a small closed ring in square metres (local equirectangular projection)."""
    _, lat0 = polygon_centroid(ring)
    metres_per_deg_lat = math.pi * EARTH_RADIUS_M / 180
    metres_per_deg_lon = metres_per_deg_lat * math.cos(math.radians(lat0))
    return abs(_signed_area_deg2(ring)) * metres_per_deg_lat * metres_per_deg_lon


def max_span_m(ring: Ring) -> float:
    """The largest distance in metres between two points of a ring (how far across a geofence is)."""
    points = list(ring)
    return max(
        (haversine_m(a[1], a[0], b[1], b[0]) for i, a in enumerate(points) for b in points[i + 1 :]),
        default=0.0,
    )
