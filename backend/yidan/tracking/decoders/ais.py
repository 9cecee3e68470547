"""AIS !AIVDM/!AIVDO sentences: multi-sentence assembly, checksum, position reports and vessel data.

The bit-level payload decoding is pyais'; this module decides what the values mean for tracking
(not-available sentinels, units, the report time) and never lets an exception out.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from pyais.messages import AISSentence, CommunicationStateMixin, NMEASentenceFactory

from yidan.tracking.decoders.fix import KNOT_KMH, DecodeMessage, DecodeResult, Fix, valid_coordinates

POSITION_TYPES = frozenset({1, 2, 3, 18, 19})
STATIC_TYPES = frozenset({5, 19, 24})
# Sentinels ITU-R M.1371 uses for "not available".
LAT_NA = 91.0
LON_NA = 181.0
SPEED_NA = 102.3
COURSE_NA = 360.0
HEADING_NA = 511
SECOND_NA = 60

_Key = tuple[str, str, int | None, int]


@dataclass(frozen=True, slots=True)
class AisPosition:
    """A position report with not-available values as None; speed in knots as sent."""

    lat: float | None
    lon: float | None
    speed_knots: float | None
    course_deg: float | None
    heading_deg: int | None
    nav_status: int | None
    second: int | None
    accuracy: bool | None

    @property
    def speed_kmh(self) -> float | None:
        """Speed over ground in km/h."""
        return None if self.speed_knots is None else self.speed_knots * KNOT_KMH


@dataclass(frozen=True, slots=True)
class VesselStatic:
    """Static and voyage data of a vessel (type 5, 19, or one part of type 24)."""

    name: str | None = None
    imo: int | None = None
    callsign: str | None = None
    ship_type: int | None = None
    destination: str | None = None
    draught_m: float | None = None
    to_bow: int | None = None
    to_stern: int | None = None
    to_port: int | None = None
    to_starboard: int | None = None
    part: str | None = None


@dataclass(frozen=True, slots=True)
class AisMessage:
    """One assembled AIS message: its identity, what it says for tracking, and every decoded field."""

    msg_type: int
    mmsi: str
    talker: str
    own_ship: bool
    channel: str
    position: AisPosition | None
    static: VesselStatic | None
    fields: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)
    radio: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = value.replace("@", " ").strip()
    return cleaned or None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _position(fields: dict[str, Any], notes: list[DecodeMessage]) -> AisPosition:
    lat, lon = _number(fields.get("lat")), _number(fields.get("lon"))
    if lat == LAT_NA or lon == LON_NA or lat is None or lon is None:
        notes.append(DecodeMessage.warning("ais.no_position", "position not available", field="lat/lon"))
        lat = lon = None
    elif not valid_coordinates(lat, lon):
        notes.append(DecodeMessage.error("ais.coordinates", f"position {lat}, {lon} is off the globe"))
        lat = lon = None
    speed = _number(fields.get("speed"))
    course = _number(fields.get("course"))
    heading = fields.get("heading")
    second = fields.get("second")
    status = fields.get("status")
    return AisPosition(
        lat=lat,
        lon=lon,
        speed_knots=None if speed is None or speed >= SPEED_NA else speed,
        course_deg=None if course is None or course >= COURSE_NA else course,
        heading_deg=heading if isinstance(heading, int) and heading < 360 else None,
        nav_status=status if isinstance(status, int) and fields.get("msg_type") in (0, 1, 2, 3) else None,
        second=second if isinstance(second, int) and second < SECOND_NA else None,
        accuracy=fields.get("accuracy"),
    )


def _static(msg_type: int, fields: dict[str, Any]) -> VesselStatic:
    imo = fields.get("imo")
    ship_type = fields.get("ship_type")
    part = None
    if msg_type == 24:
        part = "A" if fields.get("partno") == 0 else "B"
    return VesselStatic(
        name=_text(fields.get("shipname")),
        imo=imo if isinstance(imo, int) and imo > 0 else None,
        callsign=_text(fields.get("callsign")),
        ship_type=ship_type if isinstance(ship_type, int) and ship_type > 0 else None,
        destination=_text(fields.get("destination")),
        draught_m=_number(fields.get("draught")) or None,
        to_bow=fields.get("to_bow"),
        to_stern=fields.get("to_stern"),
        to_port=fields.get("to_port"),
        to_starboard=fields.get("to_starboard"),
        part=part,
    )


def _report_time(received_at: datetime, second: int | None) -> datetime:
    """The receive time moved back to the UTC second the report was made in, within one minute."""
    if second is None:
        return received_at
    moment = received_at.replace(second=second, microsecond=0)
    return moment - timedelta(minutes=1) if moment > received_at else moment


def _decode_sentence(sentence: AISSentence, received_at: datetime) -> DecodeResult[AisMessage]:
    notes: list[DecodeMessage] = []
    if not sentence.payload:
        return DecodeResult.rejected(DecodeMessage.error("ais.empty", "sentence has no payload"))
    try:
        payload = sentence.decode()
    except Exception as exc:
        return DecodeResult.rejected(DecodeMessage.error("ais.payload", f"payload not decodable: {exc}"))
    fields = {key: _plain(value) for key, value in payload.asdict().items()}
    msg_type = fields.get("msg_type")
    mmsi = fields.get("mmsi")
    if not isinstance(msg_type, int) or not isinstance(mmsi, int):
        return DecodeResult.rejected(
            DecodeMessage.error("ais.payload", "payload too short for type and MMSI")
        )
    position = _position(fields, notes) if msg_type in POSITION_TYPES | {0} else None
    static = _static(msg_type, fields) if msg_type in STATIC_TYPES else None
    radio: dict[str, Any] = {}
    if isinstance(payload, CommunicationStateMixin) and isinstance(fields.get("radio"), int):
        radio = {key: _plain(value) for key, value in payload.get_communication_state().items()}
        radio.update(is_sotdma=payload.is_sotdma, is_itdma=payload.is_itdma)
    message = AisMessage(
        msg_type=msg_type,
        mmsi=f"{mmsi:09d}",
        talker=sentence.talker_id,
        own_ship=sentence.type == "VDO",
        channel=sentence.channel,
        position=position,
        static=static,
        fields=fields,
        radio=radio,
    )
    if msg_type not in POSITION_TYPES | STATIC_TYPES:
        notes.append(
            DecodeMessage.warning(
                "ais.not_tracked", f"message type {msg_type} carries nothing for tracking", field="msg_type"
            )
        )
    fixes: tuple[Fix, ...] = ()
    if position is not None and position.lat is not None and position.lon is not None:
        if msg_type == 0:
            notes.append(
                DecodeMessage.warning(
                    "ais.type", "type 0 is not a position report; not tracked", field="msg_type"
                )
            )
        else:
            fixes = (_fix(message, position, (position.lat, position.lon), received_at),)
    return DecodeResult(message, tuple(notes), fixes)


def _fix(
    message: AisMessage, position: AisPosition, lat_lon: tuple[float, float], received_at: datetime
) -> Fix:
    extra: dict[str, Any] = {"msg_type": message.msg_type}
    if position.heading_deg is not None:
        extra["heading_deg"] = position.heading_deg
    if position.nav_status is not None:
        extra["nav_status"] = position.nav_status
    if message.own_ship:
        extra["own_ship"] = True
    if position.second is None:
        extra["time_from_receiver"] = True
    return Fix(
        device_id=message.mmsi,
        source="ais",
        fix_time=_report_time(received_at, position.second),
        lat=lat_lon[0],
        lon=lat_lon[1],
        speed_kmh=position.speed_kmh,
        course_deg=position.course_deg,
        extra=extra,
    )


class AisAssembler:
    """Feed AIS lines as they arrive; get a result for each complete message or unreadable line.

    Fragments of multi-sentence messages are held per (sentence, channel, sequence id, count); at most
    `max_pending` incomplete messages are kept, the oldest being dropped with an error result.
    """

    def __init__(self, *, verify_checksum: bool = True, max_pending: int = 64) -> None:
        self.verify_checksum = verify_checksum
        self.max_pending = max_pending
        self._pending: OrderedDict[_Key, list[AISSentence]] = OrderedDict()

    def feed(self, line: str | bytes, *, received_at: datetime) -> list[DecodeResult[AisMessage]]:
        """Take one line; return the results it completes (none while a message is incomplete)."""
        _require_aware(received_at)
        try:
            return self._feed(line, received_at)
        except Exception as exc:  # last guard: a decoder never raises on input
            return [
                DecodeResult.rejected(DecodeMessage.error("ais.internal", f"line not decodable: {exc!r}"))
            ]

    def flush(self) -> list[DecodeResult[AisMessage]]:
        """Give up on all incomplete messages, one error result each."""
        out = [self._incomplete(key) for key in list(self._pending)]
        self._pending.clear()
        return out

    def _incomplete(self, key: _Key) -> DecodeResult[AisMessage]:
        have = len(self._pending.get(key, ()))
        return DecodeResult.rejected(
            DecodeMessage.error("ais.incomplete", f"message missing fragments: got {have} of {key[3]}")
        )

    def _feed(self, line: str | bytes, received_at: datetime) -> list[DecodeResult[AisMessage]]:
        raw = line.encode("ascii", errors="replace") if isinstance(line, str) else line
        if not raw.strip():
            return [DecodeResult.rejected(DecodeMessage.error("ais.empty", "empty line"))]
        try:
            sentence = NMEASentenceFactory.produce(raw)
        except Exception as exc:
            return [DecodeResult.rejected(DecodeMessage.error("ais.not_ais", f"not an AIS sentence: {exc}"))]
        if not isinstance(sentence, AISSentence):
            return [DecodeResult.rejected(DecodeMessage.error("ais.not_ais", "not a VDM/VDO sentence"))]
        key: _Key = (sentence.talker_id + sentence.type, sentence.channel, sentence.seq_id, sentence.frag_cnt)
        if self.verify_checksum and not sentence.is_valid:
            self._pending.pop(key, None)
            return [
                DecodeResult.rejected(DecodeMessage.error("ais.checksum", "NMEA checksum does not match"))
            ]
        out: list[DecodeResult[AisMessage]] = []
        if sentence.frag_cnt == 1:
            return [_decode_sentence(sentence, received_at)]
        if sentence.frag_num == 1:
            if key in self._pending:
                out.append(self._incomplete(key))
            self._pending[key] = [sentence]
            self._pending.move_to_end(key)
            while len(self._pending) > self.max_pending:
                oldest = next(iter(self._pending))
                out.append(self._incomplete(oldest))
                del self._pending[oldest]
            return out
        parts = self._pending.get(key)
        if parts is None or len(parts) != sentence.frag_num - 1:
            self._pending.pop(key, None)
            out.append(
                DecodeResult.rejected(
                    DecodeMessage.error(
                        "ais.fragment", f"fragment {sentence.frag_num} of {sentence.frag_cnt} out of order"
                    )
                )
            )
            return out
        parts.append(sentence)
        if sentence.frag_num == sentence.frag_cnt:
            del self._pending[key]
            out.append(_decode_sentence(AISSentence.assemble_from_iterable(parts), received_at))
        return out


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")


def decode_sentences(
    lines: Sequence[str | bytes], *, received_at: datetime, verify_checksum: bool = True
) -> DecodeResult[AisMessage]:
    """Decode the sentence(s) of one AIS message, received at the given (aware) time."""
    assembler = AisAssembler(verify_checksum=verify_checksum)
    results: list[DecodeResult[AisMessage]] = []
    for line in lines:
        results.extend(assembler.feed(line, received_at=received_at))
    results.extend(assembler.flush())
    decoded = [r for r in results if r.ok]
    notes = tuple(m for r in results for m in r.messages)
    if len(decoded) == 1 and len(results) == 1:
        return decoded[0]
    if len(decoded) > 1:
        notes += (DecodeMessage.error("ais.many", f"{len(decoded)} messages where one was expected"),)
    return (
        DecodeResult.rejected(*notes)
        if notes
        else DecodeResult.rejected(DecodeMessage.error("ais.empty", "no sentences"))
    )


def decode_feed(
    lines: Iterable[str | bytes], *, received_at: datetime, verify_checksum: bool = True
) -> list[DecodeResult[AisMessage]]:
    """Decode a whole receiver feed, one result per message or unreadable line."""
    assembler = AisAssembler(verify_checksum=verify_checksum)
    results: list[DecodeResult[AisMessage]] = []
    for line in lines:
        results.extend(assembler.feed(line, received_at=received_at))
    return results + assembler.flush()
