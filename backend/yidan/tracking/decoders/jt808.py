"""JT/T 808 (2011/2013/2019) frames: escaping, checksum, header, message decoding and encoding.

Pure: bytes in, a DecodeResult out; encoders return complete escaped frames. The TCP stream is cut
into frames by `FrameSplitter` (jt808_stream), then each frame goes through `decode`.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import xor
from typing import Any

from yidan.tracking.decoders.fix import DecodeMessage, DecodeResult, Fix
from yidan.tracking.decoders.jt808_body import (
    MAX_BODY_LENGTH,
    Authentication,
    GeneralResult,
    Heartbeat,
    Jt808Version,
    Logout,
    MessageId,
    ParameterReport,
    ParameterValue,
    PlatformResponse,
    Registration,
    RegistrationResponse,
    RegistrationResult,
    SetParameters,
    TerminalResponse,
    encode_general_response_body,
    encode_parameters_body,
    encode_registration_response_body,
    parse_authentication,
    parse_general_response,
    parse_parameter_report,
    parse_registration,
    parse_registration_response,
    parse_set_parameters,
)
from yidan.tracking.decoders.jt808_location import (
    BatchLocation,
    LocationQueryResponse,
    LocationReport,
    location_fix,
    parse_batch,
    parse_location,
    parse_location_query_response,
)
from yidan.tracking.decoders.jt808_stream import FLAG, FrameSplitter

__all__ = [
    "Authentication",
    "BatchLocation",
    "Body",
    "FrameSplitter",
    "GeneralResult",
    "Header",
    "Heartbeat",
    "Jt808Message",
    "Jt808Version",
    "LocationQueryResponse",
    "LocationReport",
    "Logout",
    "MessageId",
    "ParameterReport",
    "PlatformResponse",
    "Registration",
    "RegistrationResponse",
    "RegistrationResult",
    "SetParameters",
    "Terminal",
    "TerminalResponse",
    "checksum",
    "decode",
    "decode_body",
    "decode_unescaped",
    "encode_frame",
    "encode_platform_response",
    "encode_registration_response",
    "encode_set_parameters",
    "escape",
    "join_packages",
    "parse_header",
    "unescape",
]

ESCAPE = 0x7D

Body = (
    TerminalResponse
    | PlatformResponse
    | Heartbeat
    | Logout
    | Registration
    | RegistrationResponse
    | Authentication
    | LocationReport
    | LocationQueryResponse
    | BatchLocation
    | SetParameters
    | ParameterReport
)

_PROP_LENGTH = 0x03FF
_PROP_ENCRYPTION = 0x1C00
_PROP_PACKAGED = 1 << 13
_PROP_VERSION = 1 << 14


@dataclass(frozen=True, slots=True)
class Header:
    """A message header; `version` is V2013 for the header shared by 2011 and 2013."""

    msg_id: int
    body_length: int
    encryption: int
    packaged: bool
    version: Jt808Version
    protocol_version: int | None
    phone: str
    serial: int
    package_count: int | None = None
    package_index: int | None = None

    @property
    def length(self) -> int:
        """Bytes the header takes."""
        base = 17 if self.version is Jt808Version.V2019 else 12
        return base + (4 if self.packaged else 0)

    @property
    def terminal_id(self) -> str:
        """The terminal's phone number without left padding: the same device id in every edition."""
        return self.phone.lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class Jt808Message:
    """A decoded frame: its header, its body when this codec understands it, and the raw body."""

    header: Header
    body: Body | None
    raw_body: bytes
    checksum_ok: bool = True


@dataclass(frozen=True, slots=True)
class Terminal:
    """Where a platform message goes: the terminal's phone and the header edition it speaks."""

    phone: str
    version: Jt808Version = Jt808Version.V2013
    protocol_version: int = 1

    @classmethod
    def from_header(cls, header: Header) -> Terminal:
        """The terminal that sent a header, to answer it in its own edition."""
        return cls(header.phone, header.version, header.protocol_version or 1)


def checksum(data: bytes) -> int:
    """XOR of all bytes: the JT/T 808 check code of an unescaped header and body."""
    return reduce(xor, data, 0)


def escape(content: bytes) -> bytes:
    """Escape 0x7e and 0x7d so the content can sit between two flags."""
    return content.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> DecodeResult[bytes]:
    """Undo escaping; a lone 0x7d at the very end is kept as it is, as many terminals send it."""
    out = bytearray()
    notes: list[DecodeMessage] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == FLAG:
            return DecodeResult.rejected(
                DecodeMessage.error("jt808.escape", "unescaped 0x7e inside the frame", offset=i)
            )
        if byte != ESCAPE:
            out.append(byte)
            i += 1
            continue
        if i + 1 == len(data):
            notes.append(DecodeMessage.warning("jt808.escape", "trailing 0x7d not escaped; kept", offset=i))
            out.append(byte)
            break
        follower = data[i + 1]
        if follower not in (0x01, 0x02):
            return DecodeResult.rejected(
                DecodeMessage.error("jt808.escape", f"0x7d followed by 0x{follower:02x}", offset=i)
            )
        out.append(ESCAPE if follower == 0x01 else FLAG)
        i += 2
    return DecodeResult(bytes(out), tuple(notes))


def parse_header(content: bytes) -> DecodeResult[Header]:
    """Read the header at the start of unescaped content (no flags)."""
    if len(content) < 12:
        return DecodeResult.rejected(
            DecodeMessage.error("jt808.header_short", f"header needs at least 12 bytes, has {len(content)}")
        )
    msg_id, props = struct.unpack_from(">HH", content)
    is_2019 = bool(props & _PROP_VERSION)
    packaged = bool(props & _PROP_PACKAGED)
    need = (17 if is_2019 else 12) + (4 if packaged else 0)
    if len(content) < need:
        return DecodeResult.rejected(
            DecodeMessage.error("jt808.header_short", f"header needs {need} bytes, has {len(content)}")
        )
    notes: list[DecodeMessage] = []
    if is_2019:
        protocol_version: int | None = content[4]
        phone_raw, pos = content[5:15], 15
    else:
        protocol_version, phone_raw, pos = None, content[4:10], 10
    phone = phone_raw.hex()
    if not phone.isdigit():
        notes.append(
            DecodeMessage.warning("jt808.phone", f"phone {phone} is not BCD; kept as hex", field="phone")
        )
    serial = int.from_bytes(content[pos : pos + 2], "big")
    count = index = None
    if packaged:
        count, index = struct.unpack_from(">HH", content, pos + 2)
    header = Header(
        msg_id=msg_id,
        body_length=props & _PROP_LENGTH,
        encryption=(props & _PROP_ENCRYPTION) >> 10,
        packaged=packaged,
        version=Jt808Version.V2019 if is_2019 else Jt808Version.V2013,
        protocol_version=protocol_version,
        phone=phone,
        serial=serial,
        package_count=count,
        package_index=index,
    )
    return DecodeResult(header, tuple(notes))


def _parse_body(
    msg_id: int, body: bytes, offset: int, notes: list[DecodeMessage], version: Jt808Version
) -> Body | None:
    is_2019 = version is Jt808Version.V2019
    match msg_id:
        case MessageId.TERMINAL_RESPONSE | MessageId.PLATFORM_RESPONSE:
            platform = msg_id == MessageId.PLATFORM_RESPONSE
            return parse_general_response(body, offset, notes, platform=platform)
        case MessageId.HEARTBEAT | MessageId.LOGOUT:
            if body:
                notes.append(DecodeMessage.warning("jt808.body_extra", "body should be empty", offset=offset))
            return Heartbeat() if msg_id == MessageId.HEARTBEAT else Logout()
        case MessageId.REGISTRATION:
            return parse_registration(body, offset, notes, header_2019=is_2019)
        case MessageId.AUTHENTICATION:
            return parse_authentication(body, offset, notes, header_2019=is_2019)
        case MessageId.LOCATION:
            return parse_location(body, offset, notes, version=version)
        case MessageId.LOCATION_QUERY_RESPONSE:
            return parse_location_query_response(body, offset, notes, version=version)
        case MessageId.BATCH_LOCATION:
            return parse_batch(body, offset, notes, version=version)
        case MessageId.REGISTRATION_RESPONSE:
            return parse_registration_response(body, offset, notes)
        case MessageId.SET_PARAMETERS:
            return parse_set_parameters(body, offset, notes)
        case MessageId.PARAMETER_REPORT:
            return parse_parameter_report(body, offset, notes)
    notes.append(
        DecodeMessage.warning("jt808.unsupported", f"message 0x{msg_id:04X} kept raw", field="msg_id")
    )
    return None


def decode_body(
    msg_id: int, body: bytes, *, version: Jt808Version = Jt808Version.V2013
) -> DecodeResult[Body]:
    """Decode one message body on its own (no header); offsets in messages are within the body."""
    notes: list[DecodeMessage] = []
    try:
        value = _parse_body(msg_id, body, 0, notes, version)
    except Exception as exc:  # last guard: a decoder never raises on input
        return DecodeResult.rejected(DecodeMessage.error("jt808.internal", f"body not decodable: {exc!r}"))
    return DecodeResult(value, tuple(notes))


def _fixes(message: Jt808Message, notes: list[DecodeMessage]) -> tuple[Fix, ...]:
    device = message.header.terminal_id
    body = message.body
    fixes: list[Fix | None] = []
    if isinstance(body, LocationReport):
        fixes.append(location_fix(body, device, notes))
    elif isinstance(body, LocationQueryResponse):
        fixes.append(location_fix(body.location, device, notes))
    elif isinstance(body, BatchLocation):
        extra: dict[str, Any] = {"blind_area": True} if body.blind_area else {}
        fixes.extend(location_fix(item, device, notes, extra=extra) for item in body.locations)
    return tuple(fix for fix in fixes if fix is not None)


def _decode_content(content: bytes, strict: bool, notes: list[DecodeMessage]) -> DecodeResult[Jt808Message]:
    header_result = parse_header(content[:-1])
    notes.extend(header_result.messages)
    header = header_result.value
    if header is None:
        return DecodeResult.rejected(*notes)
    computed = checksum(content[:-1])
    checksum_ok = computed == content[-1]
    if not checksum_ok:
        text = f"check code 0x{content[-1]:02x}, computed 0x{computed:02x}"
        if strict:
            notes.append(DecodeMessage.error("jt808.checksum", text, offset=len(content) - 1))
            return DecodeResult.rejected(*notes)
        notes.append(DecodeMessage.warning("jt808.checksum", text, offset=len(content) - 1))
    body = content[header.length : -1]
    if len(body) != header.body_length:
        text = f"header declares a {header.body_length}-byte body, frame carries {len(body)}"
        if strict:
            notes.append(DecodeMessage.error("jt808.body_length", text, offset=header.length))
            return DecodeResult.rejected(*notes)
        notes.append(DecodeMessage.warning("jt808.body_length", text, offset=header.length))
    parsed: Body | None = None
    if header.encryption:
        notes.append(DecodeMessage.warning("jt808.encrypted", "body is encrypted; kept raw", field="body"))
    elif header.packaged and (header.package_count or 0) > 1:
        notes.append(
            DecodeMessage.warning(
                "jt808.package",
                f"package {header.package_index} of {header.package_count}; join the packages to read it",
                field="body",
            )
        )
    else:
        parsed = _parse_body(header.msg_id, body, header.length, notes, header.version)
    message = Jt808Message(header, parsed, body, checksum_ok)
    return DecodeResult(message, (), _fixes(message, notes))


def decode_unescaped(content: bytes, *, strict: bool = True) -> DecodeResult[Jt808Message]:
    """Decode the unescaped bytes between the flags; strict=False tolerates a bad check code or length."""
    notes: list[DecodeMessage] = []
    try:
        if len(content) < 2:
            return DecodeResult.rejected(
                DecodeMessage.error("jt808.header_short", f"frame content has {len(content)} bytes")
            )
        result = _decode_content(content, strict, notes)
    except Exception as exc:  # last guard: a decoder never raises on input
        notes.append(DecodeMessage.error("jt808.internal", f"frame not decodable: {exc!r}"))
        return DecodeResult.rejected(*notes)
    return DecodeResult(result.value, tuple(notes), result.fixes) if result.ok else result


def decode(frame: bytes, *, strict: bool = True) -> DecodeResult[Jt808Message]:
    """Decode one escaped frame as it travels on the wire, 0x7e flags included."""
    if len(frame) < 2 or frame[0] != FLAG or frame[-1] != FLAG:
        return DecodeResult.rejected(
            DecodeMessage.error("jt808.framing", "a frame starts and ends with 0x7e", offset=0)
        )
    # Offsets in messages count from the opening flag for escaping faults, and within the unescaped
    # content (header first) for everything else.
    unescaped = unescape(frame[1:-1])
    if unescaped.value is None:
        return DecodeResult.rejected(*(_shift(m, 1) for m in unescaped.messages))
    result = decode_unescaped(unescaped.value, strict=strict)
    messages = tuple(_shift(m, 1) for m in unescaped.messages) + result.messages
    return DecodeResult(result.value, messages, result.fixes)


def _shift(message: DecodeMessage, by: int) -> DecodeMessage:
    if message.offset is None:
        return message
    return DecodeMessage(message.code, message.text, message.severity, message.offset + by, message.field)


def join_packages(parts: Sequence[Jt808Message]) -> DecodeResult[Jt808Message]:
    """Join the packages of one sub-packaged message (any order) and decode the whole body."""
    if not parts:
        return DecodeResult.rejected(DecodeMessage.error("jt808.package", "no packages"))
    first = parts[0].header
    count = first.package_count or 0
    by_index = {p.header.package_index: p for p in parts if p.header.msg_id == first.msg_id}
    missing = [i for i in range(1, count + 1) if i not in by_index]
    if count == 0 or missing:
        return DecodeResult.rejected(
            DecodeMessage.error("jt808.package", f"packages missing: {missing or 'all'} of {count}")
        )
    body = b"".join(by_index[i].raw_body for i in range(1, count + 1))
    whole = decode_body(first.msg_id, body, version=first.version)
    if whole.value is None:
        return DecodeResult.rejected(*whole.messages)
    notes = list(whole.messages)
    message = Jt808Message(first, whole.value, body)
    return DecodeResult(message, tuple(notes), _fixes(message, notes))


@lru_cache(maxsize=65_536)
def _phone_bytes(phone: str, width: int) -> bytes:
    # cached: a gateway answers the same few thousand terminals all day
    if len(phone) > width * 2 or not all(c in "0123456789abcdefABCDEF" for c in phone):
        raise ValueError(f"phone {phone!r} does not fit BCD[{width}]")
    return bytes.fromhex(phone.rjust(width * 2, "0"))


def encode_frame(
    terminal: Terminal,
    msg_id: int,
    body: bytes,
    *,
    serial: int,
    encryption: int = 0,
    package: tuple[int, int] | None = None,
) -> bytes:
    """A complete escaped frame (flags, header, body, check code) in the terminal's edition."""
    if len(body) > MAX_BODY_LENGTH:
        raise ValueError(f"body of {len(body)} bytes needs sub-packaging")
    props = len(body) | ((encryption & 0x7) << 10)
    if package is not None:
        props |= _PROP_PACKAGED
    if terminal.version is Jt808Version.V2019:
        props |= _PROP_VERSION
        header = struct.pack(">HHB", msg_id, props, terminal.protocol_version) + _phone_bytes(
            terminal.phone, 10
        )
    else:
        header = struct.pack(">HH", msg_id, props) + _phone_bytes(terminal.phone, 6)
    header += struct.pack(">H", serial & 0xFFFF)
    if package is not None:
        header += struct.pack(">HH", *package)
    content = header + body
    return bytes([FLAG]) + escape(content + bytes([checksum(content)])) + bytes([FLAG])


def encode_platform_response(
    terminal: Terminal, *, serial: int, ack_serial: int, ack_id: int, result: int = GeneralResult.OK
) -> bytes:
    """0x8001 platform general response frame."""
    body = encode_general_response_body(ack_serial, ack_id, result)
    return encode_frame(terminal, MessageId.PLATFORM_RESPONSE, body, serial=serial)


_ACK_TAIL = struct.Struct(">HHHB")


@lru_cache(maxsize=65_536)
def _ack_prefix(phone: str, version: Jt808Version, protocol_version: int) -> tuple[bytes, int]:
    body_props = 5
    if version is Jt808Version.V2019:
        prefix = struct.pack(
            ">HHB", MessageId.PLATFORM_RESPONSE, body_props | _PROP_VERSION, protocol_version
        )
        prefix += _phone_bytes(phone, 10)
    else:
        prefix = struct.pack(">HH", MessageId.PLATFORM_RESPONSE, body_props) + _phone_bytes(phone, 6)
    return prefix, checksum(prefix)


def platform_response(
    phone: str,
    version: Jt808Version,
    protocol_version: int,
    serial: int,
    ack_serial: int,
    ack_id: int,
    result: int,
) -> bytes:
    """`encode_platform_response`'s frame from a cached header: a gateway sends one per report."""
    prefix, prefix_sum = _ack_prefix(phone, version, protocol_version)
    tail = _ACK_TAIL.pack(serial & 0xFFFF, ack_serial, ack_id, result)
    check = reduce(xor, tail, prefix_sum)
    return b"\x7e" + escape(prefix + tail + bytes((check,))) + b"\x7e"


def encode_registration_response(
    terminal: Terminal,
    *,
    serial: int,
    ack_serial: int,
    result: int = RegistrationResult.OK,
    auth_code: str | None = None,
) -> bytes:
    """0x8100 registration response frame; the authentication code goes only with success."""
    body = encode_registration_response_body(ack_serial, result, auth_code)
    return encode_frame(terminal, MessageId.REGISTRATION_RESPONSE, body, serial=serial)


def encode_set_parameters(terminal: Terminal, *, serial: int, params: Mapping[int, ParameterValue]) -> bytes:
    """0x8103 set-parameters frame, e.g. {0x0029: 30} for a 30 s default report interval."""
    return encode_frame(terminal, MessageId.SET_PARAMETERS, encode_parameters_body(params), serial=serial)
