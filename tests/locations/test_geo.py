"""Distances, point-in-polygon, centroids and ring validation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yidan.locations.geo import (
    EARTH_RADIUS_M,
    haversine_m,
    max_span_m,
    point_in_polygon,
    polygon_centroid,
    ring_area_m2,
    validate_ring,
)

UNIT_SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
# An L shape: the square (0,0)-(2,2) without its top-right quarter.
L_SHAPE = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0), (0.0, 0.0)]


# ---- haversine ----


def test_shanghai_beijing_is_about_1067_km() -> None:
    distance = haversine_m(31.2304, 121.4737, 39.9042, 116.4074)
    assert distance == pytest.approx(1_067_000, rel=0.01)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(math.pi * EARTH_RADIUS_M / 180, rel=1e-9)
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195, abs=1)


def test_quarter_and_half_circumference() -> None:
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(math.pi * EARTH_RADIUS_M / 2)
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_M)


def test_distance_across_the_antimeridian_is_short() -> None:
    assert haversine_m(0.0, 179.5, 0.0, -179.5) == pytest.approx(111_195, abs=1)


@pytest.mark.parametrize(
    ("lat1", "lon1", "lat2", "lon2", "message"),
    [
        (91.0, 0.0, 0.0, 0.0, "latitude 91.0 is outside"),
        (0.0, 181.0, 0.0, 0.0, "longitude 181.0 is outside"),
        (0.0, 0.0, -90.5, 0.0, "second point: latitude"),
        (math.nan, 0.0, 0.0, 0.0, "must be finite"),
    ],
)
def test_haversine_rejects_impossible_points(
    lat1: float, lon1: float, lat2: float, lon2: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        haversine_m(lat1, lon1, lat2, lon2)


coords = st.tuples(st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180))


@given(a=coords, b=coords)
def test_haversine_is_symmetric_and_bounded(a: tuple[float, float], b: tuple[float, float]) -> None:
    d = haversine_m(a[0], a[1], b[0], b[1])
    assert d == pytest.approx(haversine_m(b[0], b[1], a[0], a[1]), abs=1e-6)
    assert 0.0 <= d <= math.pi * EARTH_RADIUS_M + 1e-6
    assert haversine_m(a[0], a[1], a[0], a[1]) == 0.0


# ---- point in polygon ----


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (0.5, 0.5, True),
        (1.5, 0.5, False),
        (-0.1, 0.5, False),
        (0.5, 1.0000001, False),
        (1.0, 0.5, True),  # on an edge
        (0.5, 0.0, True),  # on the bottom edge
        (0.0, 0.0, True),  # on a vertex
        (1.0, 1.0, True),  # on the closing vertex
    ],
)
def test_point_in_unit_square(lon: float, lat: float, inside: bool) -> None:
    assert point_in_polygon(lon, lat, UNIT_SQUARE) is inside


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (0.5, 1.5, True),
        (1.5, 0.5, True),
        (1.5, 1.5, False),
        (1.0, 1.5, True),
        (-0.5, 1.0, False),
        (0.5, 1.0, True),
    ],
)
def test_point_in_concave_polygon(lon: float, lat: float, inside: bool) -> None:
    # (-0.5, 1.0) casts its ray through the vertex (1, 1): it must not be counted twice.
    assert point_in_polygon(lon, lat, L_SHAPE) is inside


def test_point_in_polygon_does_not_depend_on_orientation() -> None:
    clockwise = list(reversed(L_SHAPE))
    for lon, lat in [(0.5, 1.5), (1.5, 1.5), (1.5, 0.5), (2.5, 0.5)]:
        assert point_in_polygon(lon, lat, clockwise) is point_in_polygon(lon, lat, L_SHAPE)


def test_point_in_small_real_geofence() -> None:
    # About 240 m x 120 m at Ningbo Beilun; a truck 30 m outside the line is not at the gate.
    ring = [
        (121.854755, 29.930165),
        (121.857245, 29.930165),
        (121.857245, 29.931244),
        (121.854755, 29.931244),
        (121.854755, 29.930165),
    ]
    assert point_in_polygon(121.856, 29.9307, ring)
    assert not point_in_polygon(121.856, 29.9315, ring)


def test_point_in_polygon_needs_a_ring() -> None:
    with pytest.raises(ValueError, match="at least 4 points"):
        point_in_polygon(0.0, 0.0, [(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)])


@given(
    west=st.floats(min_value=-170, max_value=170),
    south=st.floats(min_value=-80, max_value=80),
    width=st.floats(min_value=1e-3, max_value=5),
    height=st.floats(min_value=1e-3, max_value=5),
    fx=st.floats(min_value=0.01, max_value=0.99),
    fy=st.floats(min_value=0.01, max_value=0.99),
)
def test_points_inside_and_outside_a_rectangle(
    west: float, south: float, width: float, height: float, fx: float, fy: float
) -> None:
    east, north = west + width, south + height
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    assert point_in_polygon(west + fx * width, south + fy * height, ring)
    assert not point_in_polygon(east + width, south + fy * height, ring)
    assert not point_in_polygon(west + fx * width, north + height, ring)


# ---- centroid, area, span ----


def test_centroid_of_square_and_l_shape() -> None:
    assert polygon_centroid(UNIT_SQUARE) == pytest.approx((0.5, 0.5))
    # Three unit squares centred at (0.5,0.5), (1.5,0.5), (0.5,1.5).
    assert polygon_centroid(L_SHAPE) == pytest.approx((2.5 / 3, 2.5 / 3))
    assert polygon_centroid(list(reversed(L_SHAPE))) == pytest.approx((2.5 / 3, 2.5 / 3))


def test_centroid_of_flat_ring_is_an_error() -> None:
    with pytest.raises(ValueError, match="no area"):
        polygon_centroid([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (0.0, 0.0)])


def test_area_and_span_of_a_100_m_square() -> None:
    lat = 30.0
    dlat = 100 / (math.pi * EARTH_RADIUS_M / 180)
    dlon = dlat / math.cos(math.radians(lat))
    ring = [(120.0, lat), (120.0 + dlon, lat), (120.0 + dlon, lat + dlat), (120.0, lat + dlat), (120.0, lat)]
    assert ring_area_m2(ring) == pytest.approx(10_000, rel=0.01)
    assert max_span_m(ring) == pytest.approx(100 * math.sqrt(2), rel=0.01)


# ---- ring validation ----


def test_validate_ring_accepts_json_lists_and_returns_tuples() -> None:
    ring = validate_ring([[121.5, 29.9], [121.6, 29.9], [121.6, 30.0], [121.5, 29.9]])
    assert ring == [(121.5, 29.9), (121.6, 29.9), (121.6, 30.0), (121.5, 29.9)]
    assert validate_ring([[0, 0], [1, 0], [1, 1], [0, 0]]) == [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]


@pytest.mark.parametrize(
    ("ring", "message"),
    [
        ([[0, 0], [1, 0], [0, 0]], "at least 4 points"),
        ([], "at least 4 points"),
        ([[0, 0], [1, 0], [1, 1], [0, 1]], "not closed"),
        ([[0, 0], [1, 0], [1, 1], [0, 0.5]], "not closed"),
        ([[0, 0], [1, 0], [1, 91], [0, 0]], "latitude 91"),
        ([[0, 0], [181, 0], [1, 1], [0, 0]], "longitude 181"),
        ([[0, 0], [1, 0], [1, math.inf], [0, 0]], "finite"),
        ([[0, 0], [1, 0, 5], [1, 1], [0, 0]], r"point 1 must be a \[lon, lat\] pair"),
        ([[0, 0], "1,0", [1, 1], [0, 0]], r"point 1 must be a \[lon, lat\] pair"),
        ([[0, 0], [1, "0"], [1, 1], [0, 0]], "point 1 must hold two numbers"),
        ([[0, 0], [True, 0], [1, 1], [0, 0]], "point 1 must hold two numbers"),
        ([[0, 0], [1, 1], [2, 2], [0, 0]], "encloses no area"),
        ([[0, 0], [1, 1], [1, 1], [0, 0]], "3 distinct points"),
    ],
)
def test_validate_ring_rejections(ring: list[list[object]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_ring(ring)  # type: ignore[arg-type]


def test_validate_ring_rejects_non_lists() -> None:
    with pytest.raises(ValueError, match="list of"):
        validate_ring("[[0, 0], [1, 0], [1, 1], [0, 0]]")  # type: ignore[arg-type]
