"""Golden tests of the JT/T 808 codec over the third-party frames in ../shared/corpora/jt808.

Expected values are read from the corpus comments (ASSERTED and computed lines), never written here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from yidan.tracking.decoders import jt808
from yidan.tracking.decoders.fix import DecodeResult
from yidan.tracking.decoders.jt808 import Jt808Message, Jt808Version, Terminal
from yidan.tracking.decoders.jt808_location import STANDARD_ITEMS_2013, LocationReport

CORPORA = Path(__file__).resolve().parents[3].parent / "shared" / "corpora"
FRAMES_FILE = CORPORA / "jt808" / "jt808_frames.txt"
pytestmark = pytest.mark.skipif(
    not FRAMES_FILE.is_file(), reason=f"JT/T 808 corpus not found at {FRAMES_FILE} (../shared/corpora)"
)
BEIJING = timezone(timedelta(hours=8))


@dataclass
class Entry:
    section: str
    line: int
    hex: str
    comments: list[str] = field(default_factory=list)

    def tagged(self, tag: str) -> str:
        return " ".join(c.split(f"{tag}:", 1)[1].strip() for c in self.comments if c.startswith(f"# {tag}:"))

    @property
    def asserted(self) -> str:
        return self.tagged("ASSERTED")

    @property
    def computed(self) -> str:
        return self.tagged("computed")

    @property
    def frame(self) -> bytes:
        return bytes.fromhex(self.hex)

    @property
    def negative(self) -> bool:
        return "(NEGATIVE)" in self.asserted

    @property
    def lenient(self) -> bool:
        return "SkipCRCCode=true" in " ".join(self.comments)

    def __str__(self) -> str:
        return f"{self.section}-L{self.line}"


def _load() -> tuple[list[Entry], list[str]]:
    if not FRAMES_FILE.is_file():
        return [], []
    entries: list[Entry] = []
    notes: list[str] = []
    section = "?"
    pending: list[str] = []
    for number, raw in enumerate(FRAMES_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if line.startswith("##########"):
            section = line.split()[1].rstrip(".")
            pending = []
        elif line.startswith("#"):
            notes.append(line)
            pending.append(line)
        elif line:
            entries.append(Entry(section, number, line, pending))
            pending = []
    return entries, notes


ENTRIES, VECTOR_NOTES = _load()
ASSERTED_AB = [e for e in ENTRIES if e.section in ("A", "B") and e.asserted]
SECTION_C = [e for e in ENTRIES if e.section == "C"]


def _decode(entry: Entry, *, strict: bool = True) -> DecodeResult[Jt808Message]:
    """Sections A and B are wire frames; Section C frames were captured after de-escaping."""
    frame = entry.frame
    if entry.section == "C" and len(frame) >= 2 and frame[0] == frame[-1] == 0x7E:
        return jt808.decode_unescaped(frame[1:-1], strict=strict)
    return jt808.decode(frame, strict=strict)


# ---------------------------------------------------------------- reading ASSERTED lines

_ITEM = re.compile(r"\b0x([0-9A-Fa-f]{2})\s+(\{[^}]*\})?")
_INDEX = re.compile(r"\[(\d+)\]")
_PAIR_EQ = re.compile(
    r"(?P<key>[A-Za-z][\w./]*(?:\([^)]*\))?)=(?P<value>\"[^\"]*\"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\[[^\]]*\]|[^\s,;}]+)"
)
_PAIR_COLON = re.compile(r"(?P<key>[A-Za-z]\w*): (?P<value>\"[^\"]*\"|[^\s,;]+)")


@dataclass
class Claim:
    key: str
    value: str
    item: int | None  # additional-info id the claim is about
    index: int  # which location of a batch
    flags: tuple[str, ...] = ()


def _claims(entry: Entry) -> list[Claim]:
    text = entry.asserted
    text = re.sub(r"(Test\d+ asserts )?serialize\(\) == this hex( for:)?", "", text)
    text = re.sub(r"README shows de-escaped form.*$", "", text)
    claims: list[Claim] = []
    if entry.section == "B":
        index = -1
        for m in _PAIR_COLON.finditer(text):
            if m["key"] == "Len":
                index += 1
            claims.append(Claim(m["key"], m["value"], None, max(index, 0)))
        return claims
    # Section A: walk the text, tracking "[n]" batch indexes and "0xNN" additional-item markers.
    events: list[tuple[int, str, re.Match[str]]] = []
    events += [(m.start(), "index", m) for m in _INDEX.finditer(text)]
    events += [(m.start(), "item", m) for m in _ITEM.finditer(text)]
    events += [(m.start(), "pair", m) for m in _PAIR_EQ.finditer(text)]
    index, item = 0, None
    for _, kind, m in sorted(events, key=lambda e: e[0]):
        if kind == "index":
            index, item = int(m[1]), None
        elif kind == "item":
            item = int(m[1], 16)
            flags = tuple(f.strip() for f in (m[2] or "{}")[1:-1].split(",") if f.strip() and "=" not in f)
            if flags:
                claims.append(Claim("flags", "", item, index, flags))
        else:
            claims.append(Claim(m["key"], m["value"], item, index))
    special = re.search(r"ExceptionLocationAttachOriginalData has (\d+) entr", text)
    if special:
        claims.append(Claim("MalformedItems", special[1], None, 0))
    return claims


def _int(value: str) -> int:
    match = re.match(r"-?(0x[0-9A-Fa-f]+|\d+)", value)
    assert match, value
    return int(match[0], 0)


def _str(value: str) -> str | None:
    if value == "null":
        return None
    return value[1:-1] if value.startswith('"') else value


def _location(message: Jt808Message, index: int) -> LocationReport:
    body = message.body
    if isinstance(body, jt808.BatchLocation):
        return body.locations[index]
    if isinstance(body, jt808.LocationQueryResponse):
        return body.location
    assert isinstance(body, LocationReport), body
    return body


def _local_time(location: LocationReport) -> str:
    assert location.fix_time is not None
    return location.fix_time.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _location_length(location: LocationReport) -> int:
    return 28 + sum(2 + len(v) for _, v in location.items) + len(location.malformed)


_VERSIONS = {"JTT2019": Jt808Version.V2019}
_RESULTS = {"success": 0, "succeed": 0, "terminal_not_database": 4}
_REGISTRATION_FIELDS = {
    "AreaID": "province",
    "ProvinceID": "province",
    "CityOrCountyId": "city",
    "CityID": "city",
    "MakerId": "manufacturer",
    "ManufacturerID": "manufacturer",
    "TerminalModel": "model",
    "TerminalId": "terminal_id",
    "TerminalID": "terminal_id",
    "PlateColor": "plate_colour",
    "PlateNo": "plate",
    "LicensePlateNumber": "plate",
}
_ITEM_VALUES = {
    (0x01, "Mileage"): ("mileage_km", 10),
    (None, "Mileage"): ("mileage_km", 10),
    (0x02, "Oil"): ("fuel_l", 10),
    (None, "Oil"): ("fuel_l", 10),
    (0x03, "Speed"): ("recorder_speed_kmh", 10),
    (0x04, "EventId"): ("alarm_event_id", 1),
    (0x25, "CarSignalStatus"): ("vehicle_signals", 1),
    (0x2A, "IOStatus"): ("io_status", 1),
    (0x30, "signal"): ("signal_strength", 1),
    (0x31, "GNSSCount"): ("satellites", 1),
}
_LOCATION_FIELDS = {
    "AlarmFlag": "alarms",
    "Alarm": "alarms",
    "AlarmSign": "alarms",
    "StatusFlag": "status",
    "Status": "status",
    "StatusSign": "status",
    "Lat": "lat_e6",
    "Latitude": "lat_e6",
    "Lng": "lon_e6",
    "Longitude": "lon_e6",
    "Altitude": "altitude_m",
    "Speed": "speed_dkmh",
    "Direction": "direction",
    "Dir": "direction",
}


def _check(claim: Claim, entry: Entry, message: Jt808Message) -> None:
    header, body, key, value = message.header, message.body, claim.key, claim.value
    trim = "TrimStart('0')" in entry.asserted
    base = key.split("(")[0]
    if key in ("MsgNum(ack serial)", "AckMsgNum", "SerialNumber", "RespondSerialNumber"):
        assert getattr(body, "ack_serial", None) == _int(value)
    elif base == "MsgId":
        assert header.msg_id == _int(value)
    elif base in ("MsgNum", "ManualMsgNum"):
        assert header.serial == _int(value)
    elif base in ("TerminalPhoneNo", "Phone"):
        assert header.terminal_id == (_str(value) or "").lstrip("0")
    elif base == "DataLength":
        assert header.body_length == _int(value)
    elif base == "IsPackage":
        assert header.packaged is (value == "true")
    elif base == "Encrypt":
        assert value == "None" and header.encryption == 0
    elif base == "Bodies":
        assert value == "null" and message.raw_body == b"" and isinstance(body, jt808.Heartbeat)
    elif base == "VersionFlag":
        assert (header.version is Jt808Version.V2019) is (value == "true")
    elif base == "ProtocolVersion":
        # Only the 2019 header carries it; SmallChi's 2011/2013 objects hold a default that is not sent.
        if header.version is Jt808Version.V2019:
            assert header.protocol_version == _int(value)
    elif base == "Version":
        expected = _VERSIONS.get(value) or Jt808Version(value.removeprefix("consts.JT808Protocol"))
        if isinstance(body, jt808.Registration):
            assert body.version is expected
        elif expected is Jt808Version.V2019:
            assert header.version is Jt808Version.V2019
        else:
            assert header.version is Jt808Version.V2013  # 2011 and 2013 share the header
    elif "/" in base or base in _REGISTRATION_FIELDS:
        for name in base.split("/"):
            actual = getattr(body, _REGISTRATION_FIELDS[name])
            wanted = _str(value) if isinstance(actual, str) else _int(value)
            assert (actual.lstrip("0") if trim and isinstance(actual, str) else actual) == wanted, name
    elif base == "Result":
        assert getattr(body, "result", None) == (
            _RESULTS[value.split("(")[0]] if value[0].isalpha() else _int(value)
        )
    elif base in ("Code", "AuthCode"):
        assert getattr(body, "auth_code", None) == _str(value)
    elif base in ("AckMsgId", "ID", "RespondID"):
        assert getattr(body, "ack_id", None) == _int(value)
    elif base == "AuthCodeLen":
        assert isinstance(body, jt808.Authentication)
        literal = re.fullmatch(r'uint8\(len\("(.*)"\)\)', value)
        if literal:
            assert header.version is Jt808Version.V2019 and len(body.auth_code) == len(literal[1])
        else:
            assert _int(value) == 0 and header.version is Jt808Version.V2013  # no length byte before 2019
    elif base == "TerminalIMEI":
        assert isinstance(body, jt808.Authentication) and (body.imei or "") == _str(value)
    elif base == "SoftwareVersion":
        assert isinstance(body, jt808.Authentication) and (body.software_version or "") == _str(value)
    elif base in ("Count", "Num"):
        assert isinstance(body, jt808.BatchLocation)
        assert body.declared_count == _int(value) == len(body.locations)
    elif base == "LocationType":
        assert isinstance(body, jt808.BatchLocation) and body.kind == _int(value)
    elif base == "Len":
        assert _location_length(_location(message, claim.index)) == _int(value)
    elif base == "RespondParamCount":
        assert isinstance(body, jt808.ParameterReport)
        assert body.declared_count == _int(value) == len(body.params)
    elif (claim.item, base) in _ITEM_VALUES:
        name, scale = _ITEM_VALUES[(claim.item, base)]
        assert round(_location(message, claim.index).values[name] * scale) == _int(value)
    elif base in _LOCATION_FIELDS:
        assert getattr(_location(message, claim.index), _LOCATION_FIELDS[base]) == _int(value)
    elif base in ("GPSTime", "Time", "DateTime") and claim.item is None:
        assert _local_time(_location(message, claim.index)) == _str(value)
    elif claim.item in (0x11, 0x12, 0x13):
        _check_area_item(claim, _location(message, claim.index))
    elif base == "Analogs":
        analog = _location(message, claim.index).values["analog"]
        assert [analog >> 16, analog & 0xFFFF] == [int(v) for v in value.strip("[]").split(",")]
    elif base.endswith("LocationAttachData.Count"):
        location = _location(message, claim.index)
        standard = [i for i, _ in location.items if i in STANDARD_ITEMS_2013]
        unknown = [i for i, _ in location.items if i not in STANDARD_ITEMS_2013]
        assert len(standard if base.startswith("Basic") else unknown) == _int(value)
    elif base == "MalformedItems":
        assert (1 if _location(message, 0).malformed else 0) == _int(value)
    else:
        pytest.fail(f"{entry}: asserted key {key!r} is not checked by this test")


def _check_area_item(claim: Claim, location: LocationReport) -> None:
    name = {0x11: "overspeed", 0x12: "area_alarm", 0x13: "route_time"}[claim.item or 0]
    item = location.values[name]
    if claim.key == "flags":
        for flag in claim.flags:
            expected = {"circular_region": ("area_type", 1), "direction_out": ("direction", 1)}
            expected |= {"overlength": ("result", 1)}
            field_name, number = expected[flag]
            assert item[field_name] == number, flag
        return
    key = {"AreaId": "area_id", "DrivenRouteId": "route_id", "Time": "seconds"}[claim.key]
    assert item[key] == _int(claim.value)


@pytest.mark.parametrize("entry", ASSERTED_AB, ids=str)
def test_asserted_values_of_sections_a_and_b(entry: Entry) -> None:
    result = _decode(entry, strict=not entry.lenient)
    if entry.negative:
        assert not result.ok and result.errors, f"{entry} must be rejected with a reason"
        return
    assert result.ok, [str(m) for m in result.messages]
    assert result.value is not None
    for claim in _claims(entry):
        _check(claim, entry, result.value)


_COMPUTED = re.compile(
    r"msgId=0x(?P<id>[0-9a-f]{4}) (?P<ver>2011/2013|2019)\(bit14=\d(?:, protocolVersion=(?P<pv>\d+))?\) "
    r"phoneBCD=(?P<phone>[0-9a-f]+) serial=(?P<serial>\d+) bodyLen=(?P<len>\d+)\[(?P<len_ok>ok|MISMATCH[^\]]*)\] "
    r"encrypt=(?P<enc>\d+) subpkg=(?P<sub>\d) xor=(?P<xor>ok|MISMATCH)"
)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.computed], ids=str)
def test_computed_header_facts(entry: Entry) -> None:
    computed = entry.computed
    strict = _decode(entry)
    facts = _COMPUTED.search(computed)
    if facts is None:
        # Not a standard frame (too short, no flags, or a vendor framing): reject with a reason or decode.
        assert strict.ok or strict.errors
        if "too short" in computed or "no 0x7e" in computed:
            assert not strict.ok and strict.errors[0].code in ("jt808.header_short", "jt808.framing")
        return
    lenient = _decode(entry, strict=False)
    assert lenient.value is not None, [str(m) for m in lenient.messages]
    header = lenient.value.header
    assert header.msg_id == int(facts["id"], 16)
    assert header.version is (Jt808Version.V2019 if facts["ver"] == "2019" else Jt808Version.V2013)
    assert header.protocol_version == (int(facts["pv"]) if facts["pv"] else None)
    assert header.phone == facts["phone"]
    assert header.serial == int(facts["serial"])
    assert header.body_length == int(facts["len"])
    assert header.encryption == int(facts["enc"])
    assert header.packaged is (facts["sub"] == "1")
    assert lenient.value.checksum_ok is (facts["xor"] == "ok")
    bad = facts["xor"] != "ok" or facts["len_ok"] != "ok"
    assert strict.ok is not bad
    if bad:
        assert {m.code for m in strict.errors} & {"jt808.checksum", "jt808.body_length"}


def _faithful(entry: Entry) -> bool:
    """Whether a frame is free of the defects (bad check code, stray 0x7d) an encoder never produces."""
    result = jt808.decode(entry.frame, strict=False)
    return bool(result.value and result.value.checksum_ok and "jt808.escape" not in result.codes)


@pytest.mark.parametrize("entry", [e for e in ASSERTED_AB if not e.negative and _faithful(e)], ids=str)
def test_frames_re_encode_byte_for_byte(entry: Entry) -> None:
    message = jt808.decode(entry.frame).value
    assert message is not None
    header, body = message.header, message.body
    terminal = Terminal(header.phone, header.version, header.protocol_version or 1)
    package = (header.package_count or 0, header.package_index or 0) if header.packaged else None
    again = jt808.encode_frame(
        terminal,
        header.msg_id,
        message.raw_body,
        serial=header.serial,
        encryption=header.encryption,
        package=package,
    )
    assert again == entry.frame
    # The replies the gateway sends come out of their own encoders identical to the corpus frames.
    if isinstance(body, jt808.PlatformResponse):
        reply = jt808.encode_platform_response(
            terminal, serial=header.serial, ack_serial=body.ack_serial, ack_id=body.ack_id, result=body.result
        )
        assert reply == entry.frame
    elif isinstance(body, jt808.RegistrationResponse):
        reply = jt808.encode_registration_response(
            terminal,
            serial=header.serial,
            ack_serial=body.ack_serial,
            result=body.result,
            auth_code=body.auth_code,
        )
        assert reply == entry.frame


def test_traccar_encoder_frames_are_reproduced() -> None:
    encoder = [e for e in SECTION_C if "encoder output == this frame" in e.asserted]
    assert len(encoder) == 3
    for entry in encoder:
        decoded = jt808.decode(entry.frame)
        assert decoded.value is not None
        header = decoded.value.header
        frame = jt808.encode_frame(Terminal(header.phone), header.msg_id, decoded.value.raw_body, serial=0)
        assert frame == entry.frame


_TRACCAR_MODELLED = ("verifyNull", "verifyPosition", "verifyPositions", "verifyNotNull", "KEY_SATELLITES")


def _locations(message: Jt808Message) -> list[LocationReport]:
    body = message.body
    if isinstance(body, jt808.BatchLocation):
        return list(body.locations)
    if isinstance(body, jt808.LocationQueryResponse):
        return [body.location]
    return [body] if isinstance(body, LocationReport) else []


def test_section_c_real_devices_decode_or_are_rejected_with_a_reason() -> None:
    assert len([e for e in SECTION_C if "encoder output" not in e.asserted]) == 112
    stats: Counter[str] = Counter()
    for entry in SECTION_C:
        if "encoder output" in entry.asserted:
            continue
        result = _decode(entry)
        if not result.ok:
            assert result.errors, f"{entry} rejected without a reason"
            stats[f"rejected:{result.errors[0].code}"] += 1
            continue
        assert result.value is not None
        stats["decoded"] += 1
        stats["fixes"] += len(result.fixes)
        asserted = entry.asserted
        locations = _locations(result.value)
        if "verifyNull" in asserted:
            assert not result.fixes, entry
        satellites = re.search(r"KEY_SATELLITES, (\d+)", asserted)
        if satellites:
            assert any(loc.values.get("satellites") == int(satellites[1]) for loc in locations), entry
        if "verifyPosition" in asserted and entry.computed.startswith(("msgId=0x0200", "msgId=0x0704")):
            assert locations, entry
        if not any(token in asserted for token in _TRACCAR_MODELLED):
            stats["vendor attribute not modelled"] += 1
    print(f"\nJT/T 808 Section C: {dict(stats)}")
    assert stats["decoded"] >= 95
    assert sum(v for k, v in stats.items() if k.startswith("rejected")) == 112 - stats["decoded"]


def test_section_counts() -> None:
    counts = Counter(e.section for e in ENTRIES)
    decoded = Counter(e.section for e in ENTRIES if _decode(e).ok)
    print(f"\nJT/T 808 frames per section: {dict(counts)}; decoded (strict): {dict(decoded)}")
    assert counts["A"] == 16 and counts["B"] == 25 and counts["C"] == 115
    negatives = [e for e in ENTRIES if e.section == "B" and e.negative]
    assert len(negatives) == 6 and not any(_decode(e).ok for e in negatives)


# ---------------------------------------------------------------- header, body, escape and stream vectors


def _vector_claims(text: str) -> dict[str, str]:
    return {m["key"]: m["value"] for m in _PAIR_EQ.finditer(text)}


def test_header_only_vectors() -> None:
    vectors = [n for n in VECTOR_NOTES if n.startswith("# HEADER")]
    assert len(vectors) == 2
    for note in vectors:
        hex_, claims_text = re.search(r": ([0-9A-F]+) -> (.*)$", note).groups()  # type: ignore[union-attr]
        result = jt808.parse_header(bytes.fromhex(hex_))
        assert result.value is not None
        header = result.value
        claims = _vector_claims(claims_text)
        assert header.serial == int(claims["MsgNum"])
        assert header.terminal_id == _str(claims.get("TerminalPhoneNo") or claims["Phone"])
        assert header.packaged is (claims["IsPackage"] == "true")
        assert header.msg_id == int(claims["MsgId"], 16)
        assert header.body_length == int(claims["DataLength"])
        if "ProtocolVersion" in claims:
            assert header.protocol_version == int(claims["ProtocolVersion"])
            assert (header.version is Jt808Version.V2019) is (claims["VersionFlag"] == "true")
        if "RSA flag set" in note:
            assert header.encryption == 1 and (header.package_count, header.package_index) == (0, 0)


def test_body_only_vectors() -> None:
    location_note = next(n for n in VECTOR_NOTES if n.startswith("# BODY 0x0200"))
    hex_, claims_text = re.search(r": ([0-9A-F]+) -> (.*)$", location_note).groups()  # type: ignore[union-attr]
    location = jt808.decode_body(0x0200, bytes.fromhex(hex_)).value
    assert isinstance(location, LocationReport)
    claims = _vector_claims(claims_text)
    assert location.alarms == int(claims["AlarmFlag"]) and location.status == int(claims["StatusFlag"])
    assert location.lat_e6 == int(claims["Lat"]) and location.lon_e6 == int(claims["Lng"])
    assert location.speed_dkmh == int(claims["Speed"])
    assert _local_time(location) == claims["GPSTime"]
    assert round(location.values["mileage_km"] * 10) == int(claims["Mileage"])
    assert round(location.values["fuel_l"] * 10) == int(claims["Oil"])

    auth_note = next(n for n in VECTOR_NOTES if n.startswith("# BODY 0x0102 2019"))
    hex_, claims_text = re.search(r": ([0-9A-F]+) -> (.*)$", auth_note).groups()  # type: ignore[union-attr]
    auth = jt808.decode_body(0x0102, bytes.fromhex(hex_), version=Jt808Version.V2019).value
    assert isinstance(auth, jt808.Authentication)
    claims = _vector_claims(claims_text)
    assert len(auth.auth_code) == int(claims["CodeLength"])
    assert auth.auth_code == _str(claims["Code"])
    assert auth.imei == _str(claims["IMEI"])
    assert auth.software_version == _str(claims["SoftwareVersion"])


def test_escape_vectors() -> None:
    unescapes = [n for n in VECTOR_NOTES if n.startswith("# unescape")]
    escapes = [n for n in VECTOR_NOTES if n.startswith("# escape")]
    assert len(unescapes) == 4 and len(escapes) == 1
    for note in unescapes:
        wire, _, expected = note.removeprefix("# unescape ").partition(" -> ")
        data = bytes.fromhex(wire)
        if "NEGATIVE" in expected:
            # Either an invalid escape inside, or no closing flag at all.
            assert data[-1] != 0x7E or not jt808.unescape(data[1:-1]).ok
            assert not jt808.decode(data).ok
        else:
            assert jt808.unescape(data[1:-1]).value == bytes.fromhex(expected)
    wire, _, expected = escapes[0].removeprefix("# escape ").partition(" -> ")
    assert b"\x7e" + jt808.escape(bytes.fromhex(wire)) + b"\x7e" == bytes.fromhex(expected)

    traccar = next(n for n in VECTOR_NOTES if "Jt808FrameDecoderTest" in n)
    wire, frame = re.search(r"wire ([0-9a-f]+) -> frame ([0-9a-f]+)", traccar).groups()  # type: ignore[union-attr]
    assert jt808.unescape(bytes.fromhex(wire)[1:-1]).value == bytes.fromhex(frame)[1:-1]
    encoder = next(n for n in VECTOR_NOTES if "Jt808FrameEncoderTest" in n)
    frame, wire = re.search(r"frame ([0-9a-f]+) -> wire ([0-9a-f]+)", encoder).groups()  # type: ignore[union-attr]
    assert b"\x7e" + jt808.escape(bytes.fromhex(frame)[1:-1]) + b"\x7e" == bytes.fromhex(wire)


def test_stream_vectors() -> None:
    notes = "\n".join(VECTOR_NOTES)
    stream = re.search(r"the byte stream\s+#\s+([0-9a-f]+)", notes)
    assert stream is not None
    data = bytes.fromhex(stream[1])
    expected_first = re.search(r"into 2 frames: ([0-9a-f]+) and", notes)
    assert expected_first is not None
    splitter = jt808.FrameSplitter()
    frames = splitter.feed(data + bytes.fromhex("7e0200"))  # plus the start of a third frame
    assert len(frames) == 2 and frames[0] == bytes.fromhex(expected_first[1])
    assert frames[1].endswith(bytes.fromhex("927e")) and all(jt808.decode(f).ok for f in frames)
    assert splitter.buffered == 3

    garbage = re.search(r"wire (2424[0-9a-f]+) -> ([0-9a-f]+)", notes)
    assert garbage is not None
    splitter = jt808.FrameSplitter()
    (frame,) = splitter.feed(bytes.fromhex(garbage[1]))
    assert jt808.unescape(frame[1:-1]).value == bytes.fromhex(garbage[2])[1:-1]
    assert splitter.discarded_bytes == 2 and splitter.drain_messages()
