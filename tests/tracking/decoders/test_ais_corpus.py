"""Golden tests of the AIS decoder over ../shared/corpora/ais; expected values come from the corpus."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyais.constants import EpfdType, SyncState

from yidan.tracking.decoders import ais
from yidan.tracking.decoders.ais import AisMessage
from yidan.tracking.decoders.fix import KNOT_KMH

AIS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "ais"
pytestmark = pytest.mark.skipif(
    not AIS_DIR.is_dir(), reason=f"AIS corpus not found at {AIS_DIR} (../shared/corpora)"
)
RECEIVED = datetime(2024, 5, 1, 12, 0, 30, 500000, tzinfo=UTC)


@dataclass
class Case:
    line: int
    sentences: list[str]
    comments: list[str] = field(default_factory=list)

    def tagged(self, tag: str) -> str:
        return " ".join(c.split(f"{tag}:", 1)[1].strip() for c in self.comments if c.startswith(f"# {tag}:"))

    @property
    def bad_checksum(self) -> bool:
        return "BAD" in self.tagged("nmea_cs")

    def __str__(self) -> str:
        return f"L{self.line}"


def _load() -> list[Case]:
    path = AIS_DIR / "ais_sentences.txt"
    if not path.is_file():
        return []
    cases: list[Case] = []
    comments: list[str] = []
    current: Case | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            current = None
            comments.append(line)
        elif line:
            if current is None:
                current = Case(number, [], comments)
                cases.append(current)
                comments = []
            current.sentences.append(line)
        else:
            current = None
            comments = [c for c in comments if c.startswith("## ")]
    return cases


CASES = _load()
_PAIR = re.compile(r"(?P<key>round\(\w+,\d\)|\w+)=(?P<value>'[^']*'|\S+)")
_NOT_AVAILABLE = {"lat": 91.0, "lon": 181.0, "speed": 102.3, "course": 360.0, "heading": 511}
_STATIC = {"shipname": "name", "callsign": "callsign", "destination": "destination", "imo": "imo"}
_DIMENSIONS = ("to_bow", "to_stern", "to_port", "to_starboard")


def _number(value: str) -> float:
    inner = re.search(r"\((-?\d+)\)", value)
    if inner:
        return float(inner[1])
    match = re.match(r"-?\d+(\.\d+)?", value)
    if match is None:
        return {"true": 1.0, "false": 0.0}[value.lower()]
    return float(match[0])


def _check(key: str, value: str, message: AisMessage) -> None:
    position, static = message.position, message.static
    if key.startswith("round("):
        name, digits = re.fullmatch(r"round\((\w+),(\d)\)", key).groups()  # type: ignore[union-attr]
        assert position is not None and round(getattr(position, name), int(digits)) == float(value)
    elif key in ("lat", "lon"):
        assert position is not None
        actual = getattr(position, key)
        if float(value) == _NOT_AVAILABLE[key]:
            assert actual is None
        else:
            assert actual == pytest.approx(float(value), abs=1e-6)
    elif key in ("speed", "course", "heading"):
        assert position is not None
        actual = {
            "speed": position.speed_knots,
            "course": position.course_deg,
            "heading": position.heading_deg,
        }[key]
        expected = _number(value)
        assert actual is None if expected >= _NOT_AVAILABLE[key] else actual == pytest.approx(expected)
    elif key == "second":
        assert position is not None and position.second == int(value)
    elif key == "status":
        assert position is not None and position.nav_status == int(_number(value))
    elif key == "mmsi":
        assert int(message.mmsi) == int(value)
    elif key == "msg_type":
        assert message.msg_type == int(value)
    elif key in _STATIC:
        assert static is not None
        wanted: object = value.strip("'") if value.startswith("'") or not value.isdigit() else int(value)
        assert getattr(static, _STATIC[key]) == wanted
    elif key == "ship_type":
        assert static is not None and static.ship_type == (int(_number(value)) or None)
    elif key in _DIMENSIONS:
        assert static is not None and getattr(static, key) == int(value)
    elif key == "draught":
        assert static is not None and static.draught_m == float(value)
    elif key == "channel":
        assert message.channel == value.strip("'")
    elif key in ("is_sotdma", "is_itdma", "utc_hour", "utc_minute"):
        assert message.radio[key] == _number(value)
    elif key == "sync_state":
        assert message.radio[key] == SyncState[value].value
    elif key == "epfd" and not re.search(r"\d", value):
        assert message.fields[key] == EpfdType[value].value
    else:
        assert key in message.fields, f"asserted key {key!r} is not decoded"
        assert float(message.fields[key]) == pytest.approx(_number(value)), key


@pytest.mark.parametrize("case", CASES, ids=str)
def test_sentences_match_asserted_and_reference_values(case: Case) -> None:
    strict = ais.decode_sentences(case.sentences, received_at=RECEIVED)
    if case.bad_checksum:
        assert not strict.ok and "ais.checksum" in strict.codes
    else:
        assert strict.ok, [str(m) for m in strict.messages]
    result = ais.decode_sentences(case.sentences, received_at=RECEIVED, verify_checksum=False)
    assert result.value is not None, [str(m) for m in result.messages]
    message = result.value
    for tag in ("ASSERTED", "pyais"):
        for pair in _PAIR.finditer(case.tagged(tag)):
            _check(pair["key"], pair["value"], message)
    position = message.position
    if message.msg_type in (1, 2, 3, 18, 19) and position and position.lat is not None:
        (fix,) = result.fixes
        assert fix.device_id == message.mmsi and fix.source == "ais"
        assert (fix.lat, fix.lon) == (position.lat, position.lon)
        if position.speed_knots is not None:
            assert fix.speed_kmh == pytest.approx(position.speed_knots * KNOT_KMH)
        if position.second is not None:
            assert fix.fix_time.second == position.second and fix.fix_time <= RECEIVED
    elif position is not None and position.lat is None:
        assert not result.fixes and "ais.no_position" in result.codes


def test_corpus_has_the_documented_cases() -> None:
    assert len(CASES) == 25 + 12
    assert sum(len(c.sentences) for c in CASES[:25]) == 27
    # SOURCE.md speaks of four wrong checksums; the file marks (and has) three.
    assert sum(c.bad_checksum for c in CASES) == 3


def _feed_lines(name: str) -> list[str]:
    text = (AIS_DIR / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_real_receiver_feed() -> None:
    lines = _feed_lines("pyais_nmea_data_sample.txt")
    results = ais.decode_feed(lines, received_at=RECEIVED)
    decoded = [r for r in results if r.ok]
    rejected = Counter(r.errors[0].code for r in results if not r.ok)
    types = Counter(r.value.msg_type for r in decoded if r.value)
    fixes = sum(len(r.fixes) for r in results)
    print(
        f"\nAIS feed: {len(lines)} lines, {len(decoded)} decoded, rejected {dict(rejected)}, "
        f"types {dict(types)}, {fixes} fixes"
    )
    # The sample keeps the first fragment of some two-part messages only, and blank payloads.
    assert set(rejected) <= {"ais.empty", "ais.incomplete"}
    assert len(decoded) >= 0.85 * len(results)
    assert fixes >= 0.95 * sum(types[t] for t in (1, 2, 3, 18, 19)) - 5
    assert {1, 3, 18} <= set(types)


def test_mixed_feed_with_junk_and_tag_blocks() -> None:
    lines = _feed_lines("pyais_mixed.txt")
    results = ais.decode_feed(lines, received_at=RECEIVED)
    decoded = [r.value for r in results if r.value]
    rejected = Counter(r.errors[0].code for r in results if not r.ok)
    print(f"\nAIS mixed feed: {len(lines)} lines, {len(decoded)} decoded, rejected {dict(rejected)}")
    assert set(rejected) <= {"ais.not_ais", "ais.checksum"}
    assert rejected["ais.not_ais"] == sum(
        not line.lstrip("\\").split("\\")[-1].startswith("!") for line in lines
    )
    names = {m.static.name for m in decoded if m.static}
    assert "EVER DIADEM" in names
    assert any(m.msg_type == 5 and m.talker == "SA" for m in decoded), "tag-block two-part message"
