"""NMEA 0183 GNSS sentences (RMC, GGA, GLL, VTG, GSA, GSV, GNS, GST, ZDA) from any talker (GP, BD, GB, ...).

Framing and fields are read here rather than through pynmea2: pynmea2 rejects the Unicore
secondary-antenna variants (GGAH, GSVH, ...) and misreads the signed-minute longitudes some
receivers send ("-0214.41467156,W"), both present in real logs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import xor
from typing import Any

from yidan.tracking.decoders.fix import KNOT_KMH, DecodeMessage, DecodeResult, Fix, valid_coordinates

_SENTENCE = re.compile(r"^[$](?P<address>[A-Z0-9]{3,10}),(?P<data>[^*$]*)(?:[*](?P<cs>..))?$")
CONSTELLATIONS = {"GP": "GPS", "BD": "BeiDou", "GB": "BeiDou", "GL": "GLONASS", "GA": "Galileo", "GN": "GNSS"}


@dataclass(frozen=True, slots=True)
class Rmc:
    """Recommended minimum data: the one sentence with both date and time."""

    time: time | None
    status: str
    lat: float | None
    lon: float | None
    speed_knots: float | None
    course_deg: float | None
    date: date | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class Gga:
    """Fix data: time of day, quality, satellites used and altitude."""

    time: time | None
    lat: float | None
    lon: float | None
    quality: int | None
    satellites: int | None
    hdop: float | None
    altitude_m: float | None
    geoid_separation_m: float | None


@dataclass(frozen=True, slots=True)
class Gll:
    """Geographic position with time of day."""

    lat: float | None
    lon: float | None
    time: time | None
    status: str
    mode: str | None


@dataclass(frozen=True, slots=True)
class Vtg:
    """Course and speed over ground."""

    course_true_deg: float | None
    course_magnetic_deg: float | None
    speed_knots: float | None
    speed_kmh: float | None
    mode: str | None


@dataclass(frozen=True, slots=True)
class Gsa:
    """Satellites used and dilution of precision."""

    selection: str
    fix_type: int | None
    prns: tuple[int, ...]
    pdop: float | None
    hdop: float | None
    vdop: float | None
    system_id: str | None


@dataclass(frozen=True, slots=True)
class SatelliteInView:
    """One satellite of a GSV sentence."""

    prn: int
    elevation_deg: int | None
    azimuth_deg: int | None
    snr_db: int | None


@dataclass(frozen=True, slots=True)
class Gsv:
    """Satellites in view, one page of several."""

    num_messages: int | None
    message_num: int | None
    satellites_in_view: int | None
    satellites: tuple[SatelliteInView, ...]
    signal_id: str | None


@dataclass(frozen=True, slots=True)
class Gns:
    """Multi-constellation fix data."""

    time: time | None
    lat: float | None
    lon: float | None
    mode: str
    satellites: int | None
    hdop: float | None
    altitude_m: float | None
    geoid_separation_m: float | None


@dataclass(frozen=True, slots=True)
class Gst:
    """Pseudorange error statistics: how far to trust a fix, in metres."""

    time: time | None
    rms: float | None
    std_major_m: float | None
    std_minor_m: float | None
    orientation_deg: float | None
    std_lat_m: float | None
    std_lon_m: float | None
    std_alt_m: float | None


@dataclass(frozen=True, slots=True)
class Zda:
    """Date and time."""

    time: time | None
    date: date | None


Body = Rmc | Gga | Gll | Vtg | Gsa | Gsv | Gns | Gst | Zda


@dataclass(frozen=True, slots=True)
class NmeaSentence:
    """A checksum-valid sentence: talker, type, the raw fields, and the typed body when supported."""

    talker: str
    kind: str
    body: Body | None
    fields: tuple[str, ...]
    # "H" marks Unicore's sentences about the secondary antenna.
    variant: str = ""

    @property
    def constellation(self) -> str | None:
        """The satellite system the talker id names, when it names one."""
        return CONSTELLATIONS.get(self.talker)


@dataclass(frozen=True)
class NmeaLog:
    """A decoded log: one result per line, and the fixes of each epoch merged into one."""

    results: tuple[DecodeResult[NmeaSentence], ...]
    fixes: tuple[Fix, ...]


class _Fields:
    """Typed access to a sentence's fields; what cannot be read becomes None and a note."""

    def __init__(self, kind: str, values: list[str], notes: list[DecodeMessage]) -> None:
        self.kind = kind
        self.values = values
        self.notes = notes

    def raw(self, i: int) -> str:
        return self.values[i].strip() if i < len(self.values) else ""

    def _bad(self, i: int, what: str) -> None:
        self.notes.append(
            DecodeMessage.warning(
                "nmea.field", f"{what} {self.raw(i)!r} unreadable", field=f"{self.kind}[{i + 1}]"
            )
        )

    def number(self, i: int) -> float | None:
        text = self.raw(i)
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self._bad(i, "number")
            return None
        return value if value == value and abs(value) != float("inf") else None

    def integer(self, i: int) -> int | None:
        value = self.number(i)
        return int(value) if value is not None and value.is_integer() else None

    def clock(self, i: int) -> time | None:
        text = self.raw(i)
        match = re.fullmatch(r"(\d\d)(\d\d)(\d\d)(?:\.(\d{1,6}))?", text)
        if not text:
            return None
        if match is None or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3]) > 59:
            self._bad(i, "time")
            return None
        micro = int((match[4] or "0").ljust(6, "0"))
        return time(int(match[1]), int(match[2]), int(match[3]), micro, tzinfo=UTC)

    def day(self, i: int) -> date | None:
        text = self.raw(i)
        if not text:
            return None
        try:
            if not re.fullmatch(r"\d{6}", text):
                raise ValueError(text)
            yy = int(text[4:6])
            return date(2000 + yy if yy < 80 else 1900 + yy, int(text[2:4]), int(text[0:2]))
        except ValueError:
            self._bad(i, "date")
            return None

    def coordinate(self, i: int, degree_digits: int, positive: str, negative: str) -> float | None:
        text, hemisphere = self.raw(i), self.raw(i + 1).upper()
        if not text and not hemisphere:
            return None
        digits = text.lstrip("-")
        whole, dot, fraction = digits.partition(".")
        # Leading zeros get dropped, or replaced by a minus sign; the minutes always have two digits.
        padded = whole.rjust(degree_digits + 2, "0") + dot + fraction
        match = re.fullmatch(rf"(\d{{{degree_digits}}})(\d\d(?:\.\d+)?)", padded)
        if match is None or hemisphere not in (positive, negative) or float(match[2]) >= 60:
            self._bad(i, "coordinate")
            return None
        if text.startswith("-"):
            # Some receivers sign the minutes as well as naming the hemisphere; the letter decides.
            self.notes.append(
                DecodeMessage.warning(
                    "nmea.signed_minutes", "minus sign ignored", field=f"{self.kind}[{i + 1}]"
                )
            )
        value = int(match[1]) + float(match[2]) / 60
        return -value if hemisphere == negative else value


def nmea_checksum(text: str) -> int:
    """XOR of the characters between '$' and '*'."""
    return reduce(xor, text.encode("ascii", errors="replace"), 0)


def _body(kind: str, f: _Fields) -> Body | None:
    if kind == "RMC":
        return Rmc(
            time=f.clock(0),
            status=f.raw(1).upper(),
            lat=f.coordinate(2, 2, "N", "S"),
            lon=f.coordinate(4, 3, "E", "W"),
            speed_knots=f.number(6),
            course_deg=f.number(7),
            date=f.day(8),
            mode=f.raw(11) or None,
        )
    if kind == "GGA":
        return Gga(
            time=f.clock(0),
            lat=f.coordinate(1, 2, "N", "S"),
            lon=f.coordinate(3, 3, "E", "W"),
            quality=f.integer(5),
            satellites=f.integer(6),
            hdop=f.number(7),
            altitude_m=f.number(8),
            geoid_separation_m=f.number(10),
        )
    if kind == "GLL":
        lat, lon = f.coordinate(0, 2, "N", "S"), f.coordinate(2, 3, "E", "W")
        return Gll(lat, lon, f.clock(4), f.raw(5).upper(), f.raw(6) or None)
    if kind == "VTG":
        if f.raw(1).upper() == "T":
            return Vtg(f.number(0), f.number(2), f.number(4), f.number(6), f.raw(8) or None)
        # NMEA 2.0 form without unit letters: course true, course magnetic, knots, km/h.
        return Vtg(f.number(0), f.number(1), f.number(2), f.number(3), None)
    if kind == "GSA":
        prns = tuple(n for n in (f.integer(i) for i in range(2, 14)) if n is not None)
        return Gsa(f.raw(0), f.integer(1), prns, f.number(14), f.number(15), f.number(16), f.raw(17) or None)
    if kind == "GSV":
        return _gsv(f)
    if kind == "GNS":
        return Gns(
            time=f.clock(0),
            lat=f.coordinate(1, 2, "N", "S"),
            lon=f.coordinate(3, 3, "E", "W"),
            mode=f.raw(5).upper(),
            satellites=f.integer(6),
            hdop=f.number(7),
            altitude_m=f.number(8),
            geoid_separation_m=f.number(9),
        )
    if kind == "GST":
        return Gst(f.clock(0), *(f.number(i) for i in range(1, 8)))
    if kind == "ZDA":
        day, month, year = f.integer(1), f.integer(2), f.integer(3)
        try:
            when = date(year, month, day) if day and month and year else None
        except ValueError:
            f.notes.append(DecodeMessage.warning("nmea.field", "date unreadable", field="ZDA"))
            when = None
        return Zda(f.clock(0), when)
    return None


def _gsv(f: _Fields) -> Gsv:
    count = len(f.values) - 3
    signal_id = (f.raw(len(f.values) - 1) or None) if count % 4 == 1 else None
    satellites = []
    for start in range(3, 3 + count - count % 4, 4):
        prn = f.integer(start)
        if prn is not None:
            satellites.append(
                SatelliteInView(prn, f.integer(start + 1), f.integer(start + 2), f.integer(start + 3))
            )
    return Gsv(f.integer(0), f.integer(1), f.integer(2), tuple(satellites), signal_id)


def _fix(sentence: NmeaSentence, device_id: str, day: date | None, notes: list[DecodeMessage]) -> Fix | None:
    body = sentence.body
    extra: dict[str, Any] = {"talker": sentence.talker, "sentence": sentence.kind}
    if isinstance(body, Rmc):
        if body.status != "A" or body.mode == "N":
            notes.append(DecodeMessage.warning("nmea.no_fix", f"RMC status {body.status or 'empty'}: no fix"))
            return None
        when, lat, lon = body.time, body.lat, body.lon
        day = body.date
        speed = None if body.speed_knots is None else body.speed_knots * KNOT_KMH
        course, altitude, satellites = body.course_deg, None, None
    elif isinstance(body, Gga):
        if not body.quality:
            notes.append(DecodeMessage.warning("nmea.no_fix", "GGA fix quality 0: no fix"))
            return None
        when, lat, lon = body.time, body.lat, body.lon
        speed = course = None
        altitude, satellites = body.altitude_m, body.satellites
        extra.update(quality=body.quality, hdop=body.hdop)
    else:
        return None
    if sentence.variant:
        notes.append(DecodeMessage.warning("nmea.secondary", "secondary-antenna sentence; not tracked"))
        return None
    if lat is None or lon is None or not valid_coordinates(lat, lon):
        notes.append(DecodeMessage.warning("nmea.no_position", "fix without a readable position"))
        return None
    if when is None or day is None:
        notes.append(
            DecodeMessage.warning("nmea.no_date", "no date for this time of day; no fix", field="date")
        )
        return None
    return Fix(
        device_id=device_id,
        source="nmea",
        fix_time=datetime.combine(day, when),
        lat=lat,
        lon=lon,
        speed_kmh=speed,
        course_deg=course,
        altitude_m=altitude,
        satellites=satellites,
        extra=extra,
    )


def _parse(line: str, verify_checksum: bool, notes: list[DecodeMessage]) -> NmeaSentence | None:
    text = line.strip()
    match = _SENTENCE.match(text)
    if match is None:
        notes.append(DecodeMessage.error("nmea.framing", "not an NMEA 0183 sentence"))
        return None
    if match["cs"] is None:
        if verify_checksum:
            notes.append(DecodeMessage.error("nmea.checksum", "checksum missing"))
            return None
    elif verify_checksum and match["cs"].upper() != f"{nmea_checksum(text[1 : text.index('*')]):02X}":
        notes.append(
            DecodeMessage.error(
                "nmea.checksum", f"checksum {match['cs']} does not match", offset=text.index("*")
            )
        )
        return None
    address = match["address"]
    values = match["data"].split(",")
    if address.startswith("P"):
        talker, kind, variant = "P", address[1:], ""
    else:
        talker, kind, variant = address[:2], address[2:5], address[5:]
    body = _body(kind, _Fields(kind, values, notes)) if talker != "P" and variant in ("", "H") else None
    if body is None:
        notes.append(DecodeMessage.warning("nmea.unsupported", f"sentence {address} not read", field="type"))
    return NmeaSentence(talker, kind, body, tuple(values), variant)


def _text(line: str | bytes) -> str:
    return line.decode("ascii", errors="replace") if isinstance(line, bytes) else line


def decode_sentence(
    line: str | bytes, *, device_id: str, date: date | None = None, verify_checksum: bool = True
) -> DecodeResult[NmeaSentence]:
    """Decode one sentence; GGA needs `date` (the UTC date of the fix) to give a Fix."""
    notes: list[DecodeMessage] = []
    try:
        sentence = _parse(_text(line), verify_checksum, notes)
        fix = _fix(sentence, device_id, date, notes) if sentence else None
    except Exception as exc:  # last guard: a decoder never raises on input
        notes.append(DecodeMessage.error("nmea.internal", f"sentence not decodable: {exc!r}"))
        return DecodeResult.rejected(*notes)
    return DecodeResult(sentence, tuple(notes), (fix,) if fix else ())


def _merge(first: Fix, second: Fix) -> Fix:
    """One fix from two sentences of the same epoch: values missing from the first come from the second."""
    changes: dict[str, Any] = {
        name: getattr(second, name)
        for name in ("speed_kmh", "course_deg", "altitude_m", "satellites")
        if getattr(first, name) is None
    }
    extra = {**second.extra, **first.extra}
    kinds = str(first.extra["sentence"]).split("+")
    if second.extra["sentence"] not in kinds:
        kinds.append(str(second.extra["sentence"]))
    extra["sentence"] = "+".join(kinds)
    return dataclasses.replace(first, extra=extra, **changes)


def _day_of(anchor: datetime | None, when: time | None) -> date | None:
    if anchor is None or when is None:
        return None
    candidate = datetime.combine(anchor.date(), when)
    # A time of day more than half a day away from the dated anchor lies across midnight.
    if candidate < anchor - timedelta(hours=12):
        candidate += timedelta(days=1)
    elif candidate > anchor + timedelta(hours=12):
        candidate -= timedelta(days=1)
    return candidate.date()


def _dated(sentence: NmeaSentence | None) -> datetime | None:
    body = sentence.body if sentence else None
    if isinstance(body, Rmc | Zda) and body.date and body.time:
        return datetime.combine(body.date, body.time)
    return None


def decode_log(
    lines: Iterable[str | bytes], *, device_id: str, date: date | None = None, verify_checksum: bool = True
) -> NmeaLog:
    """Decode a receiver log; RMC/ZDA dates date the GGA around them, and one epoch's fixes merge."""
    parsed: list[tuple[NmeaSentence | None, list[DecodeMessage]]] = []
    for line in lines:
        notes: list[DecodeMessage] = []
        try:
            parsed.append((_parse(_text(line), verify_checksum, notes), notes))
        except Exception as exc:  # last guard: a decoder never raises on input
            notes.append(DecodeMessage.error("nmea.internal", f"sentence not decodable: {exc!r}"))
            parsed.append((None, notes))
    # Sentences before the first dated one take their date from it.
    anchor = datetime.combine(date, time(12, tzinfo=UTC)) if date else None
    anchor = anchor or next((d for d in (_dated(s) for s, _ in parsed) if d), None)
    results: list[DecodeResult[NmeaSentence]] = []
    fixes: dict[datetime, Fix] = {}
    for sentence, notes in parsed:
        anchor = _dated(sentence) or anchor
        fix = None
        try:
            if sentence is not None:
                fix = _fix(sentence, device_id, _day_of(anchor, getattr(sentence.body, "time", None)), notes)
        except Exception as exc:  # last guard: a decoder never raises on input
            notes.append(DecodeMessage.error("nmea.internal", f"fix not derivable: {exc!r}"))
        results.append(DecodeResult(sentence, tuple(notes), (fix,) if fix else ()))
        if fix is not None:
            fixes[fix.fix_time] = _merge(fixes[fix.fix_time], fix) if fix.fix_time in fixes else fix
    return NmeaLog(tuple(results), tuple(fixes.values()))
