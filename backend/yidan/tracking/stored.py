"""What the position pipeline hands to the steps after a commit: each stored fix and what it belongs to."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import IntFlag

from yidan.tracking.decoders.fix import Fix


class FixFlag(IntFlag):
    """Validation marks kept with a stored fix (a suspicious fix is kept and marked, not dropped)."""

    NONE = 0
    IMPOSSIBLE_SPEED = 1
    NOT_POSITIONED = 2
    ALARM = 4


@dataclass(frozen=True, slots=True)
class LegRef:
    """A leg (and its waybill) that a vehicle was carrying when a fix was taken."""

    leg_id: uuid.UUID
    leg_seq: int
    mode: str
    waybill_id: uuid.UUID
    waybill_number: str


@dataclass(frozen=True, slots=True)
class StoredFix:
    """A committed fix with its device, vehicle and the legs it is attributed to."""

    device_id: uuid.UUID
    device_identifier: str
    fix: Fix
    flags: FixFlag
    vehicle_id: uuid.UUID | None
    legs: tuple[LegRef, ...]
    is_latest: bool


# Called after a batch is committed; each listener opens its own session and must not raise
# (a failing listener is logged; storage never waits on it).
CommitListener = Callable[[Sequence[StoredFix]], Awaitable[None]]
