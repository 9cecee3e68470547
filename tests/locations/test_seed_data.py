"""The reference data in seed_data/: places, terminals and gates hold together and sit where they should."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pytest

from yidan.locations.geo import haversine_m, max_span_m, point_in_polygon, polygon_centroid, validate_ring
from yidan.waybills.identifiers import validate_unlocode

SEED_DIR = Path(__file__).resolve().parents[2] / "seed_data"

LOCATION_COLUMNS = [
    "unlocode",
    "name",
    "name_zh",
    "country",
    "subdivision",
    "kind",
    "lat",
    "lon",
    "functions",
]
TERMINAL_COLUMNS = ["code", "unlocode", "name", "name_zh", "kind", "lat", "lon"]
GATE_COLUMNS = ["code", "terminal_code", "name", "name_zh", "lanes", "geofence"]

LOCATION_KINDS = {"seaport", "river_port", "rail_hub", "inland_depot", "city"}
TERMINAL_KINDS = {"container_terminal", "rail_terminal", "inland_depot"}

# Mainland China including Hainan: Pamirs to the Wusuli, Sanya to the Heilongjiang.
CHINA_LON = (73.4, 135.1)
CHINA_LAT = (18.1, 53.6)

# Corridor places the demo journeys run through.
REQUIRED_PLACES = {
    "Ningbo",
    "Shanghai",
    "Qingdao",
    "Tianjin",
    "Lianyungang",
    "Chongqing",
    "Xi'an",
    "Zhengzhou",
    "Wuhan",
}

CJK = re.compile(r"[\u4e00-\u9fff]")
# UN/LOCODE function classifier: position i holds its digit (1 port ... 7 fixed transport, B border) or '-';
# 0 in the first position means "not known".
FUNCTIONS = re.compile(r"[01-][2-][3-][4-][5-][6-][7-][B-]")


@cache
def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (SEED_DIR / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def locations() -> list[dict[str, str]]:
    return _read("locations.csv")[1]


def terminals() -> list[dict[str, str]]:
    return _read("terminals.csv")[1]


def gates() -> list[dict[str, str]]:
    return _read("gates.csv")[1]


def _decimals(value: str) -> int:
    return len(value.split(".", 1)[1]) if "." in value else 0


@pytest.mark.parametrize(
    ("name", "columns"),
    [("locations.csv", LOCATION_COLUMNS), ("terminals.csv", TERMINAL_COLUMNS), ("gates.csv", GATE_COLUMNS)],
)
def test_columns(name: str, columns: list[str]) -> None:
    header, rows = _read(name)
    assert header == columns
    for row in rows:
        assert None not in row, f"{name}: row with extra cells: {row}"
        assert all(row[c] is not None for c in columns), f"{name}: short row: {row}"


def test_enough_reference_data() -> None:
    assert len(locations()) >= 40
    assert len(terminals()) >= 15
    assert {g["terminal_code"] for g in gates()} == {t["code"] for t in terminals()}


@pytest.mark.parametrize(
    ("name", "key"), [("locations.csv", "unlocode"), ("terminals.csv", "code"), ("gates.csv", "code")]
)
def test_codes_are_unique(name: str, key: str) -> None:
    codes = [row[key] for row in _read(name)[1]]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    assert not duplicates, f"{name}: duplicate {key}: {duplicates}"


@pytest.mark.parametrize("row", locations(), ids=lambda r: r["unlocode"])
def test_location_row(row: dict[str, str]) -> None:
    code = row["unlocode"]
    assert validate_unlocode(code) == code
    assert row["country"] == code[:2]
    assert row["kind"] in LOCATION_KINDS
    assert FUNCTIONS.fullmatch(row["functions"]), f"{code}: bad function string {row['functions']!r}"
    assert row["name"].strip() == row["name"] and row["name"]
    assert CJK.search(row["name_zh"]), f"{code}: name_zh should be Chinese"
    lat, lon = float(row["lat"]), float(row["lon"])
    assert -90 <= lat <= 90 and -180 <= lon <= 180
    assert _decimals(row["lat"]) <= 4 and _decimals(row["lon"]) <= 4
    if row["country"] == "CN":
        assert row["subdivision"], f"{code}: Chinese places carry their province"
        assert CHINA_LAT[0] <= lat <= CHINA_LAT[1], f"{code}: latitude {lat} is outside China"
        assert CHINA_LON[0] <= lon <= CHINA_LON[1], f"{code}: longitude {lon} is outside China"


def test_ports_have_the_port_function_unless_trade_codes() -> None:
    # Carriers put the trade codes (CNSHA, CNNGB, ...) on their documents, but recent UN/LOCODE editions
    # list them as the cities' airports ("---4----"); every other port must carry function 1.
    for row in locations():
        if row["kind"] in {"seaport", "river_port"} and row["functions"] != "---4----":
            assert row["functions"][0] == "1", row["unlocode"]


def test_required_corridor_places_are_present() -> None:
    names = {row["name"] for row in locations() if row["country"] == "CN"}
    assert names >= REQUIRED_PLACES, f"missing: {sorted(REQUIRED_PLACES - names)}"


def test_china_europe_corridor_has_both_ends() -> None:
    by_country = {row["country"] for row in locations()}
    assert {"CN", "KZ", "PL", "DE"} <= by_country
    kinds = {row["kind"] for row in locations()}
    assert kinds == LOCATION_KINDS


@pytest.mark.parametrize("row", terminals(), ids=lambda r: r["code"])
def test_terminal_row(row: dict[str, str]) -> None:
    places = {loc["unlocode"]: loc for loc in locations()}
    assert row["unlocode"] in places, f"{row['code']}: unknown place {row['unlocode']}"
    assert row["code"].startswith(row["unlocode"] + "-")
    assert len(row["code"]) <= 20
    assert row["kind"] in TERMINAL_KINDS
    assert row["name"] and CJK.search(row["name_zh"])
    lat, lon = float(row["lat"]), float(row["lon"])
    place = places[row["unlocode"]]
    # Terminals lie in the port area of their place (Yangshan is the farthest, ~90 km from central Shanghai).
    assert haversine_m(lat, lon, float(place["lat"]), float(place["lon"])) < 100_000
    if place["country"] == "CN":
        assert CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LON[0] <= lon <= CHINA_LON[1]


@pytest.mark.parametrize("row", gates(), ids=lambda r: r["code"])
def test_gate_row(row: dict[str, str]) -> None:
    by_code = {t["code"]: t for t in terminals()}
    assert row["terminal_code"] in by_code, f"{row['code']}: unknown terminal {row['terminal_code']}"
    assert row["code"].startswith(row["terminal_code"] + "-")
    assert len(row["code"]) <= 30
    assert row["name"] and CJK.search(row["name_zh"])
    assert 4 <= int(row["lanes"]) <= 16

    ring = validate_ring(json.loads(row["geofence"]))
    assert ring[0] == ring[-1]
    terminal = by_code[row["terminal_code"]]
    t_lat, t_lon = float(terminal["lat"]), float(terminal["lon"])
    for lon, lat in ring:
        assert haversine_m(lat, lon, t_lat, t_lon) < 5_000, (
            f"{row['code']}: vertex ({lon}, {lat}) far from terminal"
        )
    c_lon, c_lat = polygon_centroid(ring)
    assert point_in_polygon(c_lon, c_lat, ring)
    assert 100 <= max_span_m(ring) <= 320, f"{row['code']}: geofence should be 100-300 m across"


def test_gates_of_a_terminal_do_not_overlap() -> None:
    rings: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {}
    for row in gates():
        rings.setdefault(row["terminal_code"], []).append(
            (row["code"], validate_ring(json.loads(row["geofence"])))
        )
    for entries in rings.values():
        for code, ring in entries:
            for other_code, other in entries:
                if code != other_code:
                    c_lon, c_lat = polygon_centroid(ring)
                    assert not point_in_polygon(c_lon, c_lat, other), f"{code} overlaps {other_code}"
