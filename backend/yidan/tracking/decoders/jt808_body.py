"""JT/T 808 message bodies other than positions: session messages, responses and parameters."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from yidan.tracking.decoders.fix import DecodeMessage

MAX_BODY_LENGTH = 0x03FF


class Jt808Version(StrEnum):
    """Edition of JT/T 808 a terminal speaks; 2011 and 2013 share one header layout."""

    V2011 = "2011"
    V2013 = "2013"
    V2019 = "2019"


class MessageId(IntEnum):
    """The message ids this codec reads or writes."""

    TERMINAL_RESPONSE = 0x0001
    HEARTBEAT = 0x0002
    LOGOUT = 0x0003
    REGISTRATION = 0x0100
    AUTHENTICATION = 0x0102
    PARAMETER_REPORT = 0x0104
    LOCATION = 0x0200
    LOCATION_QUERY_RESPONSE = 0x0201
    BATCH_LOCATION = 0x0704
    PLATFORM_RESPONSE = 0x8001
    REGISTRATION_RESPONSE = 0x8100
    SET_PARAMETERS = 0x8103


class GeneralResult(IntEnum):
    """Result byte of the 0x0001 / 0x8001 general responses."""

    OK = 0
    FAILURE = 1
    MESSAGE_ERROR = 2
    UNSUPPORTED = 3
    ALARM_CONFIRMED = 4


class RegistrationResult(IntEnum):
    """Result byte of the 0x8100 registration response."""

    OK = 0
    VEHICLE_ALREADY_REGISTERED = 1
    VEHICLE_NOT_IN_DATABASE = 2
    TERMINAL_ALREADY_REGISTERED = 3
    TERMINAL_NOT_IN_DATABASE = 4


@dataclass(frozen=True, slots=True)
class TerminalResponse:
    """0x0001: the terminal acknowledges a platform message."""

    ack_serial: int
    ack_id: int
    result: int


@dataclass(frozen=True, slots=True)
class PlatformResponse:
    """0x8001: the platform acknowledges a terminal message."""

    ack_serial: int
    ack_id: int
    result: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """0x0002: keep-alive with an empty body."""


@dataclass(frozen=True, slots=True)
class Logout:
    """0x0003: the terminal deregisters."""


@dataclass(frozen=True, slots=True)
class Registration:
    """0x0100: a terminal registers with its vehicle; field widths depend on the edition."""

    version: Jt808Version
    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_colour: int
    plate: str


@dataclass(frozen=True, slots=True)
class RegistrationResponse:
    """0x8100: the platform's answer to a registration, with an authentication code on success."""

    ack_serial: int
    result: int
    auth_code: str | None


@dataclass(frozen=True, slots=True)
class Authentication:
    """0x0102: the terminal presents its authentication code (2019 adds IMEI and software version)."""

    auth_code: str
    imei: str | None = None
    software_version: str | None = None


@dataclass(frozen=True, slots=True)
class SetParameters:
    """0x8103: parameter id to raw value bytes."""

    params: dict[int, bytes]


@dataclass(frozen=True, slots=True)
class ParameterReport:
    """0x0104: the terminal's answer to a parameter query."""

    ack_serial: int
    declared_count: int
    params: dict[int, bytes]


# Registration widths (maker, model, terminal id) per edition, from the summary of the standard.
REGISTRATION_LAYOUT: dict[Jt808Version, tuple[int, int, int]] = {
    Jt808Version.V2011: (5, 8, 7),
    Jt808Version.V2013: (5, 20, 7),
    Jt808Version.V2019: (11, 30, 30),
}

# Value widths of the terminal parameters the platform sets; "str" is a GBK string.
PARAMETER_TYPES: dict[int, int | str] = {
    **{pid: 4 for pid in (0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x0018, 0x0019)},
    **{pid: 4 for pid in (0x001B, 0x001C, 0x0020, 0x0021, 0x0022, 0x0027, 0x0028, 0x0029, 0x002C)},
    **{pid: 4 for pid in (0x002D, 0x002E, 0x002F, 0x0030, 0x0045, 0x0046, 0x0047, 0x0050, 0x0051)},
    **{pid: 4 for pid in (0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A)},
    **{pid: 4 for pid in (0x0064, 0x0065, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0080)},
    **{pid: 2 for pid in (0x0031, 0x005B, 0x005C, 0x005D, 0x005E, 0x0081, 0x0082, 0x0101, 0x0103)},
    **{pid: 1 for pid in (0x0084, 0x0090, 0x0091, 0x0092, 0x0094)},
    **{pid: "str" for pid in (0x0010, 0x0011, 0x0012, 0x0013, 0x0014, 0x0015, 0x0016, 0x0017, 0x001A)},
    **{pid: "str" for pid in (0x001D, 0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0048, 0x0049, 0x0083)},
}

ParameterValue = int | str | bytes


def read_text(raw: bytes, field: str, offset: int, notes: list[DecodeMessage]) -> str:
    """A GBK text field with its NUL padding removed; undecodable bytes are replaced and noted."""
    stripped = raw.strip(b"\x00")
    try:
        return stripped.decode("gbk")
    except UnicodeDecodeError:
        notes.append(DecodeMessage.warning("jt808.text", "text is not valid GBK", offset=offset, field=field))
        return stripped.decode("gbk", errors="replace")


def encode_text(text: str) -> bytes:
    """GBK bytes of a text field."""
    return text.encode("gbk")


def _fixed(text: str, width: int) -> bytes:
    raw = encode_text(text)
    if len(raw) > width:
        raise ValueError(f"{text!r} is longer than {width} bytes")
    return raw.ljust(width, b"\x00")


def _short(kind: str, need: int, have: int, offset: int) -> DecodeMessage:
    return DecodeMessage.error(
        "jt808.body_short", f"{kind} needs {need} bytes, body has {have}", offset=offset
    )


def parse_general_response(
    body: bytes, offset: int, notes: list[DecodeMessage], *, platform: bool
) -> TerminalResponse | PlatformResponse | None:
    """0x0001 or 0x8001 body."""
    if len(body) < 5:
        notes.append(_short("general response", 5, len(body), offset))
        return None
    ack_serial, ack_id, result = struct.unpack_from(">HHB", body)
    if len(body) > 5:
        notes.append(DecodeMessage.warning("jt808.body_extra", "bytes after the response", offset=offset + 5))
    cls = PlatformResponse if platform else TerminalResponse
    return cls(ack_serial, ack_id, result)


def _registration_layout(body: bytes, header_2019: bool) -> Jt808Version:
    if header_2019:
        return Jt808Version.V2019
    # 2011 and 2013 share a header; the colour byte must land on a small number in the right layout.
    colour_2013 = 4 + sum(REGISTRATION_LAYOUT[Jt808Version.V2013])
    if len(body) > colour_2013 and body[colour_2013] <= 9:
        return Jt808Version.V2013
    return Jt808Version.V2011


def parse_registration(
    body: bytes, offset: int, notes: list[DecodeMessage], *, header_2019: bool
) -> Registration | None:
    """0x0100 body in the layout of the edition the body belongs to."""
    version = _registration_layout(body, header_2019)
    maker_w, model_w, id_w = REGISTRATION_LAYOUT[version]
    fixed = 4 + maker_w + model_w + id_w + 1
    if len(body) < fixed:
        notes.append(_short(f"registration ({version})", fixed, len(body), offset))
        return None
    province, city = struct.unpack_from(">HH", body)
    pos = 4
    texts = []
    for name, width in (("manufacturer", maker_w), ("model", model_w), ("terminal_id", id_w)):
        texts.append(read_text(body[pos : pos + width], name, offset + pos, notes))
        pos += width
    colour = body[pos]
    plate = read_text(body[pos + 1 :], "plate", offset + pos + 1, notes)
    return Registration(version, province, city, texts[0], texts[1], texts[2], colour, plate)


def parse_registration_response(
    body: bytes, offset: int, notes: list[DecodeMessage]
) -> RegistrationResponse | None:
    """0x8100 body."""
    if len(body) < 3:
        notes.append(_short("registration response", 3, len(body), offset))
        return None
    ack_serial, result = struct.unpack_from(">HB", body)
    code = read_text(body[3:], "auth_code", offset + 3, notes) if result == 0 else None
    return RegistrationResponse(ack_serial, result, code)


def parse_authentication(
    body: bytes, offset: int, notes: list[DecodeMessage], *, header_2019: bool
) -> Authentication | None:
    """0x0102 body: the whole body is the code before 2019; 2019 prefixes its length and adds IMEI."""
    if not header_2019:
        return Authentication(read_text(body, "auth_code", offset, notes))
    if not body:
        notes.append(_short("authentication (2019)", 1, 0, offset))
        return None
    code_len = body[0]
    need = 1 + code_len + 15 + 20
    if len(body) < 1 + code_len:
        notes.append(_short("authentication (2019)", need, len(body), offset))
        return None
    code = read_text(body[1 : 1 + code_len], "auth_code", offset + 1, notes)
    if len(body) < need:
        notes.append(
            DecodeMessage.warning(
                "jt808.body_short", "IMEI and software version missing", offset=offset + 1 + code_len
            )
        )
        return Authentication(code)
    pos = 1 + code_len
    imei = read_text(body[pos : pos + 15], "imei", offset + pos, notes)
    software = read_text(body[pos + 15 : pos + 35], "software_version", offset + pos + 15, notes)
    return Authentication(code, imei, software)


def _parse_parameter_list(
    body: bytes, pos: int, count: int, offset: int, notes: list[DecodeMessage]
) -> dict[int, bytes]:
    params: dict[int, bytes] = {}
    for index in range(count):
        if pos + 5 > len(body):
            notes.append(
                DecodeMessage.error(
                    "jt808.parameter_truncated",
                    f"parameter {index + 1} of {count} is cut off",
                    offset=offset + pos,
                )
            )
            break
        param_id, length = struct.unpack_from(">IB", body, pos)
        if pos + 5 + length > len(body):
            notes.append(
                DecodeMessage.error(
                    "jt808.parameter_truncated",
                    f"parameter 0x{param_id:04X} declares {length} bytes, {len(body) - pos - 5} left",
                    offset=offset + pos,
                    field=f"0x{param_id:04X}",
                )
            )
            break
        params[param_id] = body[pos + 5 : pos + 5 + length]
        pos += 5 + length
    if pos < len(body) and len(params) == count:
        notes.append(
            DecodeMessage.warning("jt808.body_extra", "bytes after the parameters", offset=offset + pos)
        )
    return params


def parse_set_parameters(body: bytes, offset: int, notes: list[DecodeMessage]) -> SetParameters | None:
    """0x8103 body."""
    if not body:
        notes.append(_short("set parameters", 1, 0, offset))
        return None
    return SetParameters(_parse_parameter_list(body, 1, body[0], offset, notes))


def parse_parameter_report(body: bytes, offset: int, notes: list[DecodeMessage]) -> ParameterReport | None:
    """0x0104 body."""
    if len(body) < 3:
        notes.append(_short("parameter report", 3, len(body), offset))
        return None
    ack_serial, count = struct.unpack_from(">HB", body)
    return ParameterReport(ack_serial, count, _parse_parameter_list(body, 3, count, offset, notes))


def parameter_value(param_id: int, raw: bytes) -> ParameterValue:
    """A parameter's raw bytes read as the type the standard gives it (bytes when unknown)."""
    kind = PARAMETER_TYPES.get(param_id)
    if kind == "str":
        return raw.rstrip(b"\x00").decode("gbk", errors="replace")
    if isinstance(kind, int) and len(raw) == kind:
        return int.from_bytes(raw, "big")
    return raw


def encode_parameter(param_id: int, value: ParameterValue) -> bytes:
    """Raw bytes of one parameter value; integers need a parameter id whose width is known."""
    if isinstance(value, bytes):
        return value
    kind = PARAMETER_TYPES.get(param_id)
    if isinstance(value, str):
        if kind not in (None, "str"):
            raise ValueError(f"parameter 0x{param_id:04X} is numeric")
        return encode_text(value)
    if not isinstance(kind, int):
        raise ValueError(f"width of parameter 0x{param_id:04X} is unknown; pass bytes")
    return value.to_bytes(kind, "big")


def encode_parameters_body(params: Mapping[int, ParameterValue]) -> bytes:
    """0x8103 body."""
    if len(params) > 0xFF:
        raise ValueError("at most 255 parameters per message")
    out = bytearray([len(params)])
    for param_id, value in params.items():
        raw = encode_parameter(param_id, value)
        if len(raw) > 0xFF:
            raise ValueError(f"parameter 0x{param_id:04X} is longer than 255 bytes")
        out += struct.pack(">IB", param_id, len(raw)) + raw
    return bytes(out)


def encode_general_response_body(ack_serial: int, ack_id: int, result: int) -> bytes:
    """0x0001 / 0x8001 body."""
    return struct.pack(">HHB", ack_serial, ack_id, result)


def encode_registration_response_body(ack_serial: int, result: int, auth_code: str | None) -> bytes:
    """0x8100 body; the code is only sent on success."""
    body = struct.pack(">HB", ack_serial, result)
    if result == RegistrationResult.OK:
        if not auth_code:
            raise ValueError("a successful registration needs an authentication code")
        body += encode_text(auth_code)
    return body


def encode_registration_body(registration: Registration) -> bytes:
    """0x0100 body in the layout of the registration's edition."""
    maker_w, model_w, id_w = REGISTRATION_LAYOUT[registration.version]
    return (
        struct.pack(">HH", registration.province, registration.city)
        + _fixed(registration.manufacturer, maker_w)
        + _fixed(registration.model, model_w)
        + _fixed(registration.terminal_id, id_w)
        + bytes([registration.plate_colour])
        + encode_text(registration.plate)
    )


def encode_authentication_body(auth: Authentication, version: Jt808Version) -> bytes:
    """0x0102 body for the given edition."""
    code = encode_text(auth.auth_code)
    if version is not Jt808Version.V2019:
        return code
    if len(code) > 0xFF:
        raise ValueError("authentication code longer than 255 bytes")
    return bytes([len(code)]) + code + _fixed(auth.imei or "", 15) + _fixed(auth.software_version or "", 20)
