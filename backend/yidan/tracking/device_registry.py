"""The database side of position feeds: which devices exist, terminal registration and authentication,
and a throttled record of when each device was last heard from."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.tracking.attribution import identifier_spellings, normalise_plate
from yidan.tracking.decoders.jt808 import RegistrationResult
from yidan.tracking.models import Device, DeviceKind

log = logging.getLogger("yidan.tracking.devices")

# Characters terminals and people put between the parts of a plate ("陕A·D2345", "陕A-D2345").
_PLATE_SEPARATORS = str.maketrans("", "", " \t·•.-_\u3000\x00")


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """The few facts about a device that a feed needs on its hot path."""

    id: uuid.UUID
    org_id: uuid.UUID
    identifier: str


@dataclass(frozen=True, slots=True)
class RegistrationOutcome:
    """The answer to a 0x0100 registration: a JT/T 808 result code and, on success, the new code."""

    result: RegistrationResult
    auth_code: str | None = None
    device: KnownDevice | None = None
    reason: str = ""


def phone_spellings(phone: str) -> tuple[str, ...]:
    """Ways a terminal phone number may be provisioned: as dialled, padded to BCD[6] or BCD[10], as sent."""
    return tuple(dict.fromkeys([*identifier_spellings(DeviceKind.JT808, phone), phone]))


def plate_key(plate: str | None) -> str:
    """A plate reduced to what identifies it, so "陕A·D2345" and "陕ad2345 " compare equal."""
    return (normalise_plate(plate) or "").translate(_PLATE_SEPARATORS).upper()


def normalise_terminal_id(terminal_id: str | None) -> str:
    """A terminal id without padding; 2019 terminals often left-pad it with ASCII zeros."""
    return (terminal_id or "").strip(" \x00").lstrip("0").upper()


def _known(device: Device) -> KnownDevice:
    return KnownDevice(device.id, device.org_id, device.identifier)


async def _jt808_device(session: AsyncSession, phone: str, *, for_update: bool = False) -> Device | None:
    stmt = select(Device).where(
        Device.kind == DeviceKind.JT808, Device.identifier.in_(phone_spellings(phone))
    )
    if for_update:
        stmt = stmt.with_for_update()
    rows = (await session.scalars(stmt)).all()
    if not rows:
        return None
    # Two spellings of one number provisioned twice would be a data error; prefer the dialled form.
    return min(rows, key=lambda d: len(d.identifier))


def new_auth_code() -> str:
    """A fresh authentication code: 16 hex digits, unguessable, ASCII so every terminal can store it."""
    return secrets.token_hex(8)


async def register_terminal(
    maker: async_sessionmaker[AsyncSession], *, phone: str, terminal_id: str, plate: str
) -> RegistrationOutcome:
    """Check a 0x0100 registration against the provisioned device and issue a fresh code on success."""
    async with maker() as session, session.begin():
        device = await _jt808_device(session, phone, for_update=True)
        if device is None:
            return RegistrationOutcome(RegistrationResult.TERMINAL_NOT_IN_DATABASE, reason="unknown phone")
        if device.terminal_id and normalise_terminal_id(device.terminal_id) != normalise_terminal_id(
            terminal_id
        ):
            # The number is provisioned for another terminal: for this one, the database has no entry.
            return RegistrationOutcome(
                RegistrationResult.TERMINAL_NOT_IN_DATABASE,
                reason=f"terminal id {terminal_id!r} is not the provisioned one",
            )
        if device.plate and plate_key(device.plate) != plate_key(plate):
            return RegistrationOutcome(
                RegistrationResult.VEHICLE_NOT_IN_DATABASE,
                reason=f"plate {plate!r} is not the vehicle this terminal is provisioned for",
            )
        code = new_auth_code()
        device.auth_code = code
        device.registered_at = utcnow()
        known = _known(device)
    return RegistrationOutcome(RegistrationResult.OK, code, known)


async def authenticate_terminal(
    maker: async_sessionmaker[AsyncSession], *, phone: str, auth_code: str
) -> KnownDevice | None:
    """The device whose stored authentication code matches, or None."""
    async with maker() as session:
        device = await _jt808_device(session, phone)
    if device is None or not device.auth_code or not auth_code:
        return None
    if not secrets.compare_digest(device.auth_code.encode(), auth_code.strip("\x00 ").encode()):
        return None
    return _known(device)


async def devices_by_identifier(
    maker: async_sessionmaker[AsyncSession], kind: DeviceKind, identifiers: Iterable[str] | None = None
) -> dict[str, KnownDevice]:
    """Devices of one kind by identifier (all of that kind when no identifiers are given)."""
    stmt = select(Device).where(Device.kind == kind)
    if identifiers is not None:
        wanted = list(dict.fromkeys(identifiers))
        if not wanted:
            return {}
        stmt = stmt.where(Device.identifier.in_(wanted))
    async with maker() as session:
        rows = (await session.scalars(stmt)).all()
    return {d.identifier: _known(d) for d in rows}


class LastSeen:
    """Remembers when devices were heard from and writes it in one statement per flush.

    A device reporting every few seconds costs at most one row update per `every_s`, so thousands of
    terminals do not turn into thousands of updates a second.
    """

    def __init__(self, maker: async_sessionmaker[AsyncSession], *, every_s: float = 60.0) -> None:
        self._maker = maker
        self.every_s = every_s
        self._pending: dict[uuid.UUID, datetime] = {}
        self._written: dict[uuid.UUID, float] = {}

    def touch(self, device_id: uuid.UUID, when: datetime | None = None) -> None:
        """Note that a device was heard from (cheap; the write happens on the next flush)."""
        written = self._written.get(device_id)
        if written is not None and time.monotonic() - written < self.every_s:
            return
        self._pending[device_id] = when or utcnow()

    @property
    def pending(self) -> int:
        """Devices waiting to be written."""
        return len(self._pending)

    async def flush(self) -> int:
        """Write what was noted since the last flush; returns how many devices were written."""
        if not self._pending:
            return 0
        batch, self._pending = self._pending, {}
        now = time.monotonic()
        try:
            async with self._maker() as session, session.begin():
                await session.execute(
                    text(
                        "UPDATE devices AS d SET last_seen_at = v.seen "
                        "FROM unnest(CAST(:ids AS uuid[]), CAST(:seen AS timestamptz[])) AS v(id, seen) "
                        "WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)"
                    ),
                    {"ids": list(batch), "seen": list(batch.values())},
                )
        except Exception:
            log.exception("writing last-seen times of %d devices failed; kept for the next flush", len(batch))
            for device_id, seen in batch.items():
                self._pending.setdefault(device_id, seen)
            return 0
        for device_id in batch:
            self._written[device_id] = now
        # Forget devices whose throttle window has passed so the map stays as small as the active fleet.
        stale = [d for d, t in self._written.items() if now - t >= self.every_s]
        for device_id in stale:
            del self._written[device_id]
        return len(batch)
