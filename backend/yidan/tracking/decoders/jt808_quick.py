"""The common JT/T 808 frame read without the general decoder: a plain 0x0200 location report.

Almost every frame a gateway receives is an unescaped, unpackaged, unencrypted location report with a
GNSS fix and a few standard items. `quick_location` reads exactly those, to the same header and Fix the
general decoder (`jt808.decode_unescaped`) gives, at a fraction of its cost; for anything else — another
message, a bad check code, an odd length, an item of non-standard width, no fix — it returns None and the
caller hands the frame to the general decoder, which reads it and says what is wrong. A property test
holds the two to the same answers.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import xor
from typing import Any

from yidan.tracking.decoders.fix import Fix
from yidan.tracking.decoders.jt808 import Header
from yidan.tracking.decoders.jt808_body import Jt808Version
from yidan.tracking.decoders.jt808_location import (
    _SCALAR_ITEMS,
    BASIC_LENGTH,
    STATUS_ENCRYPTED,
    STATUS_POSITIONED,
    STATUS_SOUTH,
    STATUS_WEST,
)

_LOCATION = 0x0200
_PROP_LENGTH = 0x03FF
_PROP_SPECIAL = 0x1C00 | (1 << 13)  # encryption bits and the sub-package flag: the general decoder's work
_PROP_VERSION = 1 << 14
_BASIC = struct.Struct(">IIIIHHH")
_TWO = struct.Struct(">HH")
_SATELLITES = 0x31
# Standard items whose body is not a plain number (or is standard only in 2019): left to the general decoder.
_STRUCTURED_ITEMS = frozenset({0x05, 0x06, 0x11, 0x12, 0x13})
_BEIJING = timedelta(hours=8)

# BCD times seen lately -> UTC. Terminals report on the second, so many share a time: a small cache
# saves building the same datetime again. Cleared when full rather than tracked per entry.
_TIMES: dict[bytes, datetime] = {}
_TIMES_MAX = 8192


def _fix_time(raw: bytes) -> datetime | None:
    known = _TIMES.get(raw)
    if known is not None:
        return known
    digits = raw.hex()
    if not digits.isdigit():
        return None
    try:
        moment = (
            datetime(
                2000 + int(digits[0:2]),
                int(digits[2:4]),
                int(digits[4:6]),
                int(digits[6:8]),
                int(digits[8:10]),
                int(digits[10:12]),
                tzinfo=UTC,
            )
            - _BEIJING
        )
    except ValueError:
        return None
    if len(_TIMES) >= _TIMES_MAX:
        _TIMES.clear()
    _TIMES[bytes(raw)] = moment
    return moment


def quick_unescape(frame: bytes) -> bytes | None:
    """The content of a frame (flags included) whose escaping is all well-formed; else None."""
    inner = frame[1:-1]
    escapes = inner.count(b"\x7d")
    ones = inner.count(b"\x7d\x01")
    if b"\x7e" in inner or escapes != ones + inner.count(b"\x7d\x02"):
        return None
    # every 0x7d starts a pair, so the pairs cannot overlap and two replacements undo them exactly
    return inner.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def quick_location(content: bytes) -> tuple[Header, Fix] | None:
    """Header and fix of a plain 0x0200 frame (unescaped content between the flags, check code last).

    None whenever the frame is anything else or anything about it would earn a message from the general
    decoder; then that decoder must read it.
    """
    size = len(content)
    if size < 13 + BASIC_LENGTH:
        return None
    msg_id, props = _TWO.unpack_from(content)
    if msg_id != _LOCATION or props & _PROP_SPECIAL:
        return None
    if props & _PROP_VERSION:
        version, protocol_version, phone_raw, start = Jt808Version.V2019, content[4], content[5:15], 17
    else:
        version, protocol_version, phone_raw, start = Jt808Version.V2013, None, content[4:10], 12
    body_length = props & _PROP_LENGTH
    if start + body_length + 1 != size or body_length < BASIC_LENGTH:
        return None
    if reduce(xor, content[:-1], 0) != content[-1]:
        return None
    phone = phone_raw.hex()
    if not phone.isdigit():
        return None
    alarms, status, lat_e6, lon_e6, altitude, speed, direction = _BASIC.unpack_from(content, start)
    if not status & STATUS_POSITIONED or status & STATUS_ENCRYPTED:
        return None
    fix_time = _fix_time(content[start + 22 : start + 28])
    if fix_time is None:
        return None
    lat = lat_e6 / 1_000_000
    lon = lon_e6 / 1_000_000
    if lat > 90.0 or lon > 180.0:
        return None
    if status & STATUS_SOUTH:
        lat = -lat
    if status & STATUS_WEST:
        lon = -lon
    extra: dict[str, Any] = {}
    unknown: dict[str, str] | None = None
    satellites: int | None = None
    end = size - 1
    pos = start + BASIC_LENGTH
    while pos < end:
        if pos + 2 > end:
            return None
        item_id, length = content[pos], content[pos + 1]
        value_end = pos + 2 + length
        if value_end > end:
            return None
        scalar = _SCALAR_ITEMS.get(item_id)
        if scalar is not None:
            width, key, divisor = scalar
            if length != width:
                return None
            number = int.from_bytes(content[pos + 2 : value_end], "big")
            if item_id == _SATELLITES:
                satellites = number
            else:
                extra[key] = number / divisor if divisor else number
        elif item_id in _STRUCTURED_ITEMS:
            return None
        else:
            if unknown is None:
                unknown = {}
            # the general decoder keeps the last of repeated unknown items; so does this
            unknown[f"0x{item_id:02X}"] = content[pos + 2 : value_end].hex()
        pos = value_end
    if unknown is not None:
        extra["items"] = unknown
    header = Header(
        _LOCATION, body_length, 0, False, version, protocol_version, phone, _serial(content, start)
    )
    fix = Fix(
        phone.lstrip("0") or "0",
        "jt808",
        fix_time,
        lat,
        lon,
        speed / 10,
        float(direction) if direction < 360 else None,
        float(altitude),
        satellites,
        status,
        alarms,
        extra,
    )
    return header, fix


def _serial(content: bytes, start: int) -> int:
    return int.from_bytes(content[start - 2 : start], "big")
