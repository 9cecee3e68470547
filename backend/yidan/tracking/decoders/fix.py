"""The shapes every tracking decoder returns: a position fix, and a result with messages."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

Source = Literal["jt808", "ais", "nmea", "http"]

T = TypeVar("T")

KNOT_KMH = 1.852


class Severity(StrEnum):
    """How bad a decode message is: an error means a value could not be read at all."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class DecodeMessage:
    """Something a decoder could not read, or read only by tolerating a defect."""

    code: str
    text: str
    severity: Severity = Severity.ERROR
    offset: int | None = None
    field: str | None = None

    @classmethod
    def error(
        cls, code: str, text: str, *, offset: int | None = None, field: str | None = None
    ) -> DecodeMessage:
        """A message about input that could not be read."""
        return cls(code, text, Severity.ERROR, offset, field)

    @classmethod
    def warning(
        cls, code: str, text: str, *, offset: int | None = None, field: str | None = None
    ) -> DecodeMessage:
        """A message about a defect that was tolerated or data that was set aside."""
        return cls(code, text, Severity.WARNING, offset, field)

    @property
    def where(self) -> str:
        """Where in the input the message applies, for logs and operator screens."""
        parts = []
        if self.offset is not None:
            parts.append(f"offset {self.offset}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where
        return f"[{self.code}] {self.text}" + (f" ({where})" if where else "")


def valid_coordinates(lat: float, lon: float) -> bool:
    """Whether a latitude/longitude pair lies on the globe."""
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0


@dataclass(frozen=True, slots=True)
class Fix:
    """One position of one device at one instant, in the units the whole tracking domain uses."""

    device_id: str
    source: Source
    fix_time: datetime
    lat: float
    lon: float
    speed_kmh: float | None = None
    course_deg: float | None = None
    altitude_m: float | None = None
    satellites: int | None = None
    status: int | None = None
    alarms: int | None = None
    # Excluded from hashing because it is a dict; two fixes still compare by it.
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.fix_time.tzinfo is not UTC:  # UTC already, as decoders give it: nothing to check or convert
            if self.fix_time.tzinfo is None or self.fix_time.utcoffset() is None:
                raise ValueError("fix_time must be timezone-aware")
            object.__setattr__(self, "fix_time", self.fix_time.astimezone(UTC))
        if not valid_coordinates(self.lat, self.lon):
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")


# Not slotted: slots together with Generic break subscripted construction on Python 3.11.
@dataclass(frozen=True)
class DecodeResult(Generic[T]):
    """What a decoder read (None when the input was rejected), the fixes in it, and messages."""

    value: T | None
    messages: tuple[DecodeMessage, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the input was accepted (possibly with warnings)."""
        return self.value is not None

    @property
    def errors(self) -> tuple[DecodeMessage, ...]:
        """The messages of error severity."""
        return tuple(m for m in self.messages if m.severity is Severity.ERROR)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of all messages, in order."""
        return tuple(m.code for m in self.messages)

    @classmethod
    def rejected(cls, *messages: DecodeMessage) -> DecodeResult[T]:
        """A result for input that could not be read at all."""
        return cls(None, tuple(messages))
