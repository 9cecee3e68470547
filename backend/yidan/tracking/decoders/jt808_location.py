"""JT/T 808 position bodies: 0x0200 location report, 0x0201 query answer and 0x0704 batch upload."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from yidan.tracking.decoders.fix import DecodeMessage, Fix, valid_coordinates
from yidan.tracking.decoders.jt808_body import Jt808Version

BASIC_LENGTH = 28
# Terminals report their clock in Beijing time.
DEVICE_TZ = timezone(timedelta(hours=8))

STATUS_ACC_ON = 1 << 0
STATUS_POSITIONED = 1 << 1
STATUS_SOUTH = 1 << 2
STATUS_WEST = 1 << 3
STATUS_ENCRYPTED = 1 << 5
STATUS_GPS = 1 << 18
STATUS_BEIDOU = 1 << 19
STATUS_GLONASS = 1 << 20
STATUS_GALILEO = 1 << 21

STANDARD_ITEMS_2013 = frozenset({0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x25, 0x2A, 0x2B, 0x30, 0x31})
STANDARD_ITEMS_2019 = STANDARD_ITEMS_2013 | {0x05, 0x06}

# Fixed-width standard items: id -> (width, extras key, divisor or None for a plain integer).
_SCALAR_ITEMS: dict[int, tuple[int, str, int | None]] = {
    0x01: (4, "mileage_km", 10),
    0x02: (2, "fuel_l", 10),
    0x03: (2, "recorder_speed_kmh", 10),
    0x04: (2, "alarm_event_id", None),
    0x25: (4, "vehicle_signals", None),
    0x2A: (2, "io_status", None),
    0x2B: (4, "analog", None),
    0x30: (1, "signal_strength", None),
    0x31: (1, "satellites", None),
}


@dataclass(frozen=True, slots=True)
class LocationReport:
    """A 0x0200 body: the 28 basic bytes read as they are on the wire, plus additional items."""

    alarms: int
    status: int
    lat_e6: int
    lon_e6: int
    altitude_m: int
    speed_dkmh: int
    direction: int
    time_bcd: str
    fix_time: datetime | None
    items: tuple[tuple[int, bytes], ...] = ()
    # Item values this codec understands, by name (mileage_km, fuel_l, satellites, ...).
    values: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    unknown_items: dict[int, bytes] = dataclasses.field(default_factory=dict, hash=False)
    malformed: bytes = b""

    @property
    def lat(self) -> float:
        """Latitude in degrees, negative in the south."""
        value = self.lat_e6 / 1_000_000
        return -value if self.status & STATUS_SOUTH else value

    @property
    def lon(self) -> float:
        """Longitude in degrees, negative in the west."""
        value = self.lon_e6 / 1_000_000
        return -value if self.status & STATUS_WEST else value

    @property
    def speed_kmh(self) -> float:
        """Speed in km/h."""
        return self.speed_dkmh / 10

    @property
    def positioned(self) -> bool:
        """Whether the terminal says it had a GNSS fix."""
        return bool(self.status & STATUS_POSITIONED)


@dataclass(frozen=True, slots=True)
class LocationQueryResponse:
    """0x0201: the answer to a platform location query."""

    ack_serial: int
    location: LocationReport


@dataclass(frozen=True, slots=True)
class BatchLocation:
    """0x0704: several location bodies; kind 1 is the resend of reports stored in a blind area."""

    declared_count: int
    kind: int
    locations: tuple[LocationReport, ...]

    @property
    def blind_area(self) -> bool:
        """Whether these are reports the terminal buffered while it had no network."""
        return self.kind == 1


def _bcd_digits(raw: bytes) -> str:
    return raw.hex()


def bcd_time(raw: bytes) -> datetime | None:
    """A BCD[6] YYMMDDhhmmss Beijing time as UTC, or None when it is not a real time."""
    digits = _bcd_digits(raw)
    if len(digits) != 12 or not digits.isdigit():
        return None
    try:
        local = datetime(
            2000 + int(digits[0:2]),
            int(digits[2:4]),
            int(digits[4:6]),
            int(digits[6:8]),
            int(digits[8:10]),
            int(digits[10:12]),
            tzinfo=DEVICE_TZ,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def encode_bcd_time(moment: datetime) -> bytes:
    """BCD[6] Beijing time of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    local = moment.astimezone(DEVICE_TZ)
    if not 2000 <= local.year <= 2099:
        raise ValueError("JT/T 808 times cover 2000-2099")
    return bytes.fromhex(local.strftime("%y%m%d%H%M%S"))


def _read_item(item_id: int, value: bytes, values: dict[str, Any]) -> bool:
    """Store a standard item's meaning in values; False when its length is not the standard one."""
    scalar = _SCALAR_ITEMS.get(item_id)
    if scalar is not None:
        width, key, divisor = scalar
        if len(value) != width:
            return False
        number = int.from_bytes(value, "big")
        values[key] = number / divisor if divisor else number
        return True
    if item_id == 0x11 and len(value) in (1, 5):
        area_id = int.from_bytes(value[1:], "big") if len(value) == 5 else None
        values["overspeed"] = {"area_type": value[0], "area_id": area_id}
        return True
    if item_id == 0x12 and len(value) == 6:
        area_type, area_id, direction = struct.unpack(">BIB", value)
        values["area_alarm"] = {"area_type": area_type, "area_id": area_id, "direction": direction}
        return True
    if item_id == 0x13 and len(value) == 7:
        route_id, seconds, result = struct.unpack(">IHB", value)
        values["route_time"] = {"route_id": route_id, "seconds": seconds, "result": result}
        return True
    if item_id in (0x05, 0x06):
        values["tyre_pressure" if item_id == 0x05 else "compartment_temperature"] = value.hex()
        return True
    return False


def parse_location(
    body: bytes, offset: int, notes: list[DecodeMessage], *, version: Jt808Version
) -> LocationReport | None:
    """A 0x0200 body; additional items that cannot be read are kept raw and noted."""
    if len(body) < BASIC_LENGTH:
        notes.append(
            DecodeMessage.error(
                "jt808.body_short", f"location needs {BASIC_LENGTH} bytes, has {len(body)}", offset=offset
            )
        )
        return None
    alarms, status, lat_e6, lon_e6, altitude, speed, direction = struct.unpack_from(">IIIIHHH", body)
    time_raw = body[22:28]
    fix_time = bcd_time(time_raw)
    if fix_time is None:
        notes.append(
            DecodeMessage.warning(
                "jt808.time",
                f"time {time_raw.hex()} is not a valid BCD time",
                offset=offset + 22,
                field="time",
            )
        )
    standard = STANDARD_ITEMS_2019 if version is Jt808Version.V2019 else STANDARD_ITEMS_2013
    items: list[tuple[int, bytes]] = []
    values: dict[str, Any] = {}
    unknown: dict[int, bytes] = {}
    pos = BASIC_LENGTH
    while pos < len(body):
        if pos + 2 > len(body) or pos + 2 + body[pos + 1] > len(body):
            notes.append(
                DecodeMessage.warning(
                    "jt808.item_truncated",
                    f"additional item 0x{body[pos]:02X} runs past the end of the body; kept raw",
                    offset=offset + pos,
                    field=f"0x{body[pos]:02X}",
                )
            )
            break
        item_id, length = body[pos], body[pos + 1]
        value = body[pos + 2 : pos + 2 + length]
        items.append((item_id, value))
        if item_id not in standard or not _read_item(item_id, value, values):
            if item_id in standard:
                notes.append(
                    DecodeMessage.warning(
                        "jt808.item_length",
                        f"item 0x{item_id:02X} has {length} bytes, not the standard width; kept raw",
                        offset=offset + pos,
                        field=f"0x{item_id:02X}",
                    )
                )
            unknown[item_id] = value
        pos += 2 + length
    return LocationReport(
        alarms,
        status,
        lat_e6,
        lon_e6,
        altitude,
        speed,
        direction,
        time_raw.hex(),
        fix_time,
        tuple(items),
        values,
        unknown,
        body[pos:],
    )


def parse_location_query_response(
    body: bytes, offset: int, notes: list[DecodeMessage], *, version: Jt808Version
) -> LocationQueryResponse | None:
    """A 0x0201 body: the query's serial, then a location body."""
    if len(body) < 2:
        notes.append(
            DecodeMessage.error("jt808.body_short", "location query answer too short", offset=offset)
        )
        return None
    location = parse_location(body[2:], offset + 2, notes, version=version)
    return None if location is None else LocationQueryResponse(int.from_bytes(body[:2], "big"), location)


def parse_batch(
    body: bytes, offset: int, notes: list[DecodeMessage], *, version: Jt808Version
) -> BatchLocation | None:
    """A 0x0704 body; each item that cannot be read is noted and skipped."""
    if len(body) < 3:
        notes.append(DecodeMessage.error("jt808.body_short", "batch upload needs 3 bytes", offset=offset))
        return None
    count, kind = struct.unpack_from(">HB", body)
    locations: list[LocationReport] = []
    pos = 3
    index = 0
    while pos < len(body):
        index += 1
        if pos + 2 > len(body):
            notes.append(DecodeMessage.warning("jt808.item_truncated", "stray byte", offset=offset + pos))
            break
        length = int.from_bytes(body[pos : pos + 2], "big")
        if pos + 2 + length > len(body):
            notes.append(
                DecodeMessage.error(
                    "jt808.item_truncated",
                    f"batch item {index} declares {length} bytes, {len(body) - pos - 2} left",
                    offset=offset + pos,
                    field=f"item[{index}]",
                )
            )
            break
        location = parse_location(body[pos + 2 : pos + 2 + length], offset + pos + 2, notes, version=version)
        if location is not None:
            locations.append(location)
        pos += 2 + length
    if index != count:
        notes.append(
            DecodeMessage.warning(
                "jt808.batch_count", f"batch declares {count} items, carries {index}", offset=offset
            )
        )
    return BatchLocation(count, kind, tuple(locations))


def location_fix(
    report: LocationReport, device_id: str, notes: list[DecodeMessage], *, extra: dict[str, Any] | None = None
) -> Fix | None:
    """The Fix a location report stands for, or None (with a note) when it holds no usable position."""
    if report.fix_time is None:
        return None
    if not report.positioned:
        notes.append(DecodeMessage.warning("jt808.no_fix", "terminal reports no GNSS fix", field="status"))
        return None
    if report.status & STATUS_ENCRYPTED:
        notes.append(
            DecodeMessage.warning("jt808.encrypted_position", "position is encrypted", field="status")
        )
        return None
    if not valid_coordinates(report.lat, report.lon):
        notes.append(
            DecodeMessage.error(
                "jt808.coordinates", f"position {report.lat}, {report.lon} is off the globe", field="lat/lon"
            )
        )
        return None
    fix_extra: dict[str, Any] = {k: v for k, v in report.values.items() if k != "satellites"}
    if report.unknown_items:
        fix_extra["items"] = {f"0x{k:02X}": v.hex() for k, v in report.unknown_items.items()}
    if extra:
        fix_extra.update(extra)
    satellites = report.values.get("satellites")
    return Fix(
        device_id=device_id,
        source="jt808",
        fix_time=report.fix_time,
        lat=report.lat,
        lon=report.lon,
        speed_kmh=report.speed_kmh,
        course_deg=float(report.direction) if report.direction < 360 else None,
        altitude_m=float(report.altitude_m),
        satellites=satellites if isinstance(satellites, int) else None,
        status=report.status,
        alarms=report.alarms,
        extra=fix_extra,
    )


def encode_location_body(
    *,
    lat: float,
    lon: float,
    fix_time: datetime,
    speed_kmh: float = 0.0,
    course_deg: float = 0.0,
    altitude_m: int = 0,
    status: int = STATUS_POSITIONED,
    alarms: int = 0,
    items: Sequence[tuple[int, bytes]] = (),
) -> bytes:
    """0x0200 body; the hemisphere bits of status follow the signs of lat and lon."""
    if not valid_coordinates(lat, lon):
        raise ValueError(f"coordinates out of range: {lat}, {lon}")
    status &= ~(STATUS_SOUTH | STATUS_WEST)
    status |= (STATUS_SOUTH if lat < 0 else 0) | (STATUS_WEST if lon < 0 else 0)
    body = struct.pack(
        ">IIIIHHH",
        alarms,
        status,
        round(abs(lat) * 1_000_000),
        round(abs(lon) * 1_000_000),
        altitude_m,
        round(speed_kmh * 10),
        round(course_deg) % 360,
    ) + encode_bcd_time(fix_time)
    for item_id, value in items:
        if len(value) > 0xFF:
            raise ValueError(f"item 0x{item_id:02X} longer than 255 bytes")
        body += bytes([item_id, len(value)]) + value
    return body


def encode_batch_body(bodies: Sequence[bytes], *, blind_area: bool = False) -> bytes:
    """0x0704 body from location bodies."""
    out = struct.pack(">HB", len(bodies), 1 if blind_area else 0)
    for body in bodies:
        out += struct.pack(">H", len(body)) + body
    return out
