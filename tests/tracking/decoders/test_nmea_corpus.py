"""Golden tests of the NMEA decoder over ../shared/corpora/nmea; expected values come from the corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from yidan.tracking.decoders import nmea
from yidan.tracking.decoders.fix import DecodeResult
from yidan.tracking.decoders.nmea import Gsv, NmeaSentence

NMEA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "nmea"
pytestmark = pytest.mark.skipif(
    not NMEA_DIR.is_dir(), reason=f"NMEA corpus not found at {NMEA_DIR} (../shared/corpora)"
)
KNOT_MS = 1852 / 3600


@dataclass
class Case:
    line: int
    sentence: str
    comments: list[str] = field(default_factory=list)

    def tagged(self, prefix: str) -> str:
        return " ".join(c.split(":", 1)[1].strip() for c in self.comments if c.startswith(f"# {prefix}"))

    def __str__(self) -> str:
        return f"L{self.line}-{self.sentence[1:6]}"


def _load() -> list[Case]:
    path = NMEA_DIR / "nmea_sentences.txt"
    if not path.is_file():
        return []
    cases: list[Case] = []
    comments: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            comments.append(line)
        elif line:
            tagged = [c for c in comments if c.startswith(("# expected", "# nmea_cs:"))]
            cases.append(Case(number, line, tagged))
            comments = []
    return cases


CASES = _load()

# Raw field positions (after the address) of values kept as text only.
_RAW = {
    ("RMC", "NS"): 3,
    ("RMC", "EW"): 5,
    ("RMC", "mv"): 9,
    ("RMC", "mvEW"): 10,
    ("RMC", "navStatus"): 12,
    ("GGA", "NS"): 2,
    ("GGA", "EW"): 4,
    ("GGA", "altUnit"): 9,
    ("GGA", "sepUnit"): 11,
    ("GGA", "diffAge"): 12,
    ("GGA", "diffStation"): 13,
    ("GLL", "NS"): 1,
    ("GLL", "EW"): 3,
    ("GNS", "NS"): 2,
    ("GNS", "EW"): 4,
    ("GNS", "diffAge"): 10,
    ("GNS", "diffStation"): 11,
    ("GNS", "navStatus"): 12,
    ("VTG", "cogtUnit"): 1,
    ("VTG", "cogmUnit"): 3,
    ("VTG", "sognUnit"): 5,
    ("VTG", "sogkUnit"): 7,
    ("ZDA", "ltzh"): 4,
    ("ZDA", "ltzn"): 5,
}
# pynmeagps / pynmea2 names of typed values.
_TYPED = {
    "status": "status",
    "spd": "speed_knots",
    "cog": "course_deg",
    "posMode": "mode",
    "quality": "quality",
    "gps_qual": "quality",
    "HDOP": "hdop",
    "alt": "altitude_m",
    "altitude": "altitude_m",
    "sep": "geoid_separation_m",
    "geo_sep": "geoid_separation_m",
    "num_sats": "satellites",
    "cogt": "course_true_deg",
    "cogm": "course_magnetic_deg",
    "sogn": "speed_knots",
    "sogk": "speed_kmh",
    "numMsg": "num_messages",
    "msgNum": "message_num",
    "signalID": "signal_id",
    "rms": "rms",
    "std_dev_latitude": "std_lat_m",
    "std_dev_longitude": "std_lon_m",
    "std_dev_altitude": "std_alt_m",
}


def _value(body: object, name: str) -> Any:
    """An attribute of one of the sentence body types, read without knowing which type it is."""
    return getattr(body, name)


def _same(actual: Any, expected: str) -> bool:
    if expected == "":
        return actual is None
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        return actual == pytest.approx(float(expected), abs=1e-9)
    return str(actual) == expected


def _check_pair(key: str, value: str, sentence: NmeaSentence, result: DecodeResult[NmeaSentence]) -> None:
    body = sentence.body
    assert body is not None, f"{sentence.kind} not decoded"
    if (sentence.kind, key) in _RAW:
        assert sentence.fields[_RAW[(sentence.kind, key)]] == value, key
    elif key in ("lat", "lon", "latitude", "longitude"):
        assert getattr(body, key[:3]) == pytest.approx(float(value), abs=1e-9), key
    elif key in ("time", "timestamp"):
        expected = time.fromisoformat(value.removesuffix("Z"))
        assert _value(body, "time").replace(tzinfo=None) == expected
    elif key == "date":
        assert _value(body, "date").isoformat() == value
    elif key == "numSV":
        attribute = "satellites_in_view" if isinstance(body, Gsv) else "satellites"
        assert getattr(body, attribute) == int(value)
    elif re.fullmatch(r"(svid|elv|az|cno)_\d\d", key):
        assert isinstance(body, Gsv)
        name, number = key.split("_")
        satellite = body.satellites[int(number) - 1]
        attribute = {"svid": "prn", "elv": "elevation_deg", "az": "azimuth_deg", "cno": "snr_db"}[name]
        assert _same(getattr(satellite, attribute), value), key
    elif key in ("day", "month", "year"):
        assert getattr(_value(body, "date"), key) == int(value)
    elif key == "datetime":
        (fix,) = result.fixes
        assert fix.fix_time == datetime.fromisoformat(value)
    elif key == "is_valid":
        assert value == "True" and _value(body, "status") == "A" and result.fixes
    elif key in _TYPED:
        assert _same(getattr(body, _TYPED[key]), value), key
    else:
        pytest.fail(f"expected key {key!r} is not checked by this test")


def _check_gpsd_tpv(text: str, sentence: NmeaSentence) -> None:
    values = dict(pair.split("=") for pair in text.split())
    body = sentence.body
    assert body is not None and getattr(body, "lat", None) is not None
    assert _value(body, "lat") == pytest.approx(float(values["lat"]), abs=1e-8)
    assert _value(body, "lon") == pytest.approx(float(values["lon"]), abs=1e-8)
    if getattr(body, "altitude_m", None) is not None:
        altitude = _value(body, "altitude_m")
        assert altitude == pytest.approx(float(values["altMSL"]))
        assert altitude + _value(body, "geoid_separation_m") == pytest.approx(float(values["altHAE"]))
    if isinstance(body, nmea.Rmc):
        # gpsd reports speed in m/s and track in degrees; both come from this sentence only for RMC.
        assert (body.speed_knots or 0) * KNOT_MS == pytest.approx(float(values["speed"]), abs=5e-4)
        assert body.course_deg == pytest.approx(float(values["track"]))


_SKY = re.compile(r"PRN\d+\(svid(\d+) el([\d.]+) az([\d.]+) ss([\d.]+)\)")


def _check_gpsd_sky(text: str, pages: list[Gsv]) -> None:
    seen = {(s.prn - 200 if s.prn > 200 else s.prn): s for page in pages for s in page.satellites}
    for svid, elevation, azimuth, snr in _SKY.findall(text):
        satellite = seen[int(svid)]
        assert (satellite.elevation_deg or 0, satellite.azimuth_deg or 0) == (
            float(elevation),
            float(azimuth),
        )
        assert (satellite.snr_db or 0) == float(snr)


def test_expected_values() -> None:
    checked: Counter[str] = Counter()
    pages: list[Gsv] = []
    for case in CASES:
        result = nmea.decode_sentence(case.sentence, device_id="receiver")
        checksum = case.tagged("nmea_cs")
        if checksum.startswith("BAD"):
            assert not result.ok and result.codes == ("nmea.checksum",), case
            checked["bad checksum rejected"] += 1
            continue
        assert result.value is not None, (case, result.messages)
        sentence = result.value
        if isinstance(sentence.body, Gsv):
            pages = [*pages, sentence.body] if sentence.body.message_num != 1 else [sentence.body]
        for comment in case.comments:
            label, _, text = comment.removeprefix("# ").partition(": ")
            if label == "expected(gpsd TPV)":
                _check_gpsd_tpv(text, sentence)
            elif label.startswith("expected(gpsd SKY"):
                _check_gpsd_sky(text, pages)
            elif label == "expected(pynmeagps)":
                inner = re.fullmatch(r"<NMEA\((\w+), (.*)\)>", text)
                assert inner is not None and inner[1] == sentence.talker + sentence.kind + sentence.variant
                for pair in inner[2].split(", "):
                    key, value = pair.split("=", 1)
                    _check_pair(key, value, sentence, result)
            elif label == "expected(pynmea2)":
                values = text.partition(": ")[2] if ":" in text.split()[0] else ""
                for pair in values.split():
                    key, value = pair.split("=", 1)
                    _check_pair(key, value, sentence, result)
                if "empty fix" in text:
                    assert _value(sentence.body, "lat") is None and not result.fixes
            else:
                continue
            checked[label.split(",")[0]] += 1
    print(f"\nNMEA expected lines checked: {dict(checked)}")
    assert checked["bad checksum rejected"] == 2
    assert checked["expected(pynmeagps)"] == 19


def test_gga_gives_a_fix_with_satellites_once_the_date_is_known() -> None:
    gga = next(c.sentence for c in CASES if c.sentence.startswith("$GPGGA,184353.07"))
    undated = nmea.decode_sentence(gga, device_id="r")
    assert not undated.fixes and "nmea.no_date" in undated.codes
    dated = nmea.decode_sentence(gga, device_id="r", date=datetime(2024, 1, 2).date())
    (fix,) = dated.fixes
    assert fix.satellites == 4 and fix.altitude_m == 100.0 and fix.lat < 0
    assert fix.fix_time.isoformat() == "2024-01-02T18:43:53.070000+00:00"


def _log_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="latin-1")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in NMEA_DIR.glob("raw/*.log")) if NMEA_DIR.is_dir() else []
)
def test_raw_logs_run_through(name: str) -> None:
    lines = _log_lines(NMEA_DIR / "raw" / name)
    log = nmea.decode_log(lines, device_id="receiver")
    decoded = sum(r.ok for r in log.results)
    kinds = Counter(r.value.kind for r in log.results if r.value and r.value.body)
    print(f"\nNMEA {name}: {len(lines)} lines, {decoded} decoded, {len(log.fixes)} fixes, read {dict(kinds)}")
    assert len(log.results) == len(lines)
    assert decoded >= len(lines) - 1
    if kinds["RMC"]:
        assert log.fixes or name == "pynmeagps_unicore_nmea.log"
    for fix in log.fixes:
        assert fix.fix_time.tzinfo is not None and -90 <= fix.lat <= 90


@pytest.mark.parametrize("name", ["gpsd_beidou-bd.log.chk", "gpsd_beidou-gb.log.chk"])
def test_positions_agree_with_gpsd_regression_output(name: str) -> None:
    last_position: tuple[float, float] | None = None
    compared = 0
    for line in (NMEA_DIR / "raw" / name).read_text(encoding="latin-1").splitlines():
        if line.startswith("{"):
            report = json.loads(line)
            if report.get("class") == "TPV" and report.get("mode", 0) >= 2 and last_position:
                assert last_position == pytest.approx((report["lat"], report["lon"]), abs=1e-8)
                compared += 1
            continue
        result = nmea.decode_sentence(line, device_id="receiver")
        body = result.value.body if result.value else None
        if getattr(body, "lat", None) is not None and getattr(body, "lon", None) is not None:
            last_position = (_value(body, "lat"), _value(body, "lon"))
    assert compared >= 3
