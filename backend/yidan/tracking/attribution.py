"""Who sent a fix and what it belongs to: device lookup, the vehicle it was mounted on, the legs carried."""

from __future__ import annotations

import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.tracking.decoders.fix import Fix
from yidan.tracking.models import Device, DeviceKind, VehicleKind
from yidan.tracking.stored import LegRef
from yidan.waybills.identifiers import validate_cn_plate
from yidan.waybills.lifecycle import LegStatus

# A vessel or truck named on a leg is tracked from a while before its departure (it berths, or queues at
# the gate) until a while after its arrival; while it has not arrived yet, for as long as it travels.
BEFORE_DEPARTURE = timedelta(hours=12)
AFTER_ARRIVAL = timedelta(hours=1)
AFTER_PLANNED_ARRIVAL = timedelta(hours=24)

SOURCE_KINDS: dict[str, DeviceKind | None] = {
    "jt808": DeviceKind.JT808,
    "ais": DeviceKind.AIS,
    "nmea": DeviceKind.NMEA,
    "http": None,
}


def normalise_identifier(kind: DeviceKind | None, identifier: str) -> str:
    """The one spelling of a device identifier (a JT/T 808 phone number loses its left zero padding)."""
    ident = re.sub(r"\s+", "", identifier)
    if kind is DeviceKind.JT808:
        return ident.lstrip("0") or "0"
    return ident


def normalise_plate(plate: str | None) -> str | None:
    """A number plate without separators when it is a valid PRC plate, else as given without spaces."""
    if not plate:
        return None
    try:
        return validate_cn_plate(plate)
    except ValueError:
        return re.sub(r"\s+", "", plate).upper() or None


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the pipeline needs to know of a device (its identifier as provisioned)."""

    id: uuid.UUID
    org_id: uuid.UUID
    kind: DeviceKind
    identifier: str
    plate: str | None


def _info(d: Device) -> DeviceInfo:
    return DeviceInfo(d.id, d.org_id, d.kind, d.identifier, normalise_plate(d.plate))


Lookup = tuple[DeviceKind | None, str]


class DeviceDirectory:
    """Devices by (kind, identifier) and by id, cached; unknown ones remembered briefly.

    Everything is forgotten every `refresh_s`, so a changed plate or a removed device is seen soon.
    """

    def __init__(
        self, *, unknown_ttl_s: float = 10.0, refresh_s: float = 600.0, max_entries: int = 200_000
    ) -> None:
        self.unknown_ttl_s = unknown_ttl_s
        self.refresh_s = refresh_s
        self.max_entries = max_entries
        self._refresh_at = time.monotonic() + refresh_s
        self._by_key: dict[Lookup, DeviceInfo] = {}
        self._by_id: dict[uuid.UUID, DeviceInfo] = {}
        self._unknown: dict[Lookup, float] = {}
        # by the (source, identifier) exactly as feeds send them: the hot path skips normalising
        self._by_sent: dict[tuple[str, str], DeviceInfo] = {}

    def forget(self) -> None:
        """Drop everything cached (after devices were changed or deleted)."""
        self._by_key.clear()
        self._by_id.clear()
        self._unknown.clear()
        self._by_sent.clear()
        self._refresh_at = time.monotonic() + self.refresh_s

    def _remember(self, info: DeviceInfo) -> Lookup:
        if len(self._by_id) >= self.max_entries:
            self.forget()
        key = (info.kind, normalise_identifier(info.kind, info.identifier))
        self._by_id[info.id] = info
        self._by_key[key] = info
        self._unknown.pop(key, None)
        return key

    async def resolve(self, session: AsyncSession, lookups: Iterable[Lookup]) -> dict[Lookup, DeviceInfo]:
        """The devices found for lookups (kind None: any kind, when exactly one device has the identifier)."""
        now = time.monotonic()
        found: dict[Lookup, DeviceInfo] = {}
        missing: set[Lookup] = set()
        for key in set(lookups):
            if key[0] is not None and key in self._by_key:
                found[key] = self._by_key[key]
            elif self._unknown.get(key, 0.0) > now:
                continue
            else:
                missing.add(key)
        if not missing:
            return found
        typed = [k for k in missing if k[0] is not None]
        untyped = {k[1] for k in missing if k[0] is None}
        conditions = []
        if typed:
            variants = {(kind, v) for kind, ident in typed for v in identifier_spellings(kind, ident)}
            conditions.append(tuple_(Device.kind, Device.identifier).in_(sorted(variants)))
        if untyped:
            conditions.append(Device.identifier.in_(sorted(untyped)))
        rows = (await session.scalars(select(Device).where(or_(*conditions)))).all()
        by_ident: dict[str, list[DeviceInfo]] = defaultdict(list)
        for row in rows:
            info = _info(row)
            by_ident[self._remember(info)[1]].append(info)
        for key in missing:
            kind, ident = key
            if kind is not None:
                hit = self._by_key.get(key)
            else:
                candidates = by_ident.get(ident, [])
                hit = candidates[0] if len(candidates) == 1 else None
            if hit is None:
                self._unknown[key] = now + self.unknown_ttl_s
            else:
                found[key] = hit
        return found

    async def find(self, session: AsyncSession, fixes: Sequence[Fix]) -> list[DeviceInfo | None]:
        """The device of each fix, by the fix's source and device identifier (None: not provisioned)."""
        if time.monotonic() > self._refresh_at:
            self.forget()
        sent = self._by_sent
        out = [sent.get((f.source, f.device_id)) for f in fixes]
        misses = [i for i, hit in enumerate(out) if hit is None]
        if not misses:
            return out
        keys: dict[int, Lookup] = {}
        for i in misses:
            kind = SOURCE_KINDS.get(fixes[i].source)
            keys[i] = (kind, normalise_identifier(kind, fixes[i].device_id))
        found = await self.resolve(session, keys.values())
        for i, key in keys.items():
            hit = found.get(key)
            if hit is not None:
                out[i] = hit
                if len(sent) < self.max_entries:
                    sent[(fixes[i].source, fixes[i].device_id)] = hit
        return out

    async def by_ids(self, session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DeviceInfo]:
        """Devices by primary key (for callers that resolved the device themselves)."""
        wanted = set(ids)
        missing = wanted - self._by_id.keys()
        if missing:
            for row in await session.scalars(select(Device).where(Device.id.in_(missing))):
                self._remember(_info(row))
        return {i: self._by_id[i] for i in wanted if i in self._by_id}


def identifier_spellings(kind: DeviceKind | None, identifier: str) -> list[str]:
    """Every way a device identifier may have been provisioned (kind None: of any kind)."""
    bare = normalise_identifier(kind, identifier)
    if kind is DeviceKind.JT808 or (kind is None and bare.isdigit()):
        # a terminal phone number may be provisioned bare, as dialled (11 digits), or padded to BCD[6]
        # (12 digits) or BCD[10] (20 digits)
        digits = bare.lstrip("0") or "0"
        return sorted({bare, digits, digits.rjust(11, "0"), digits.rjust(12, "0"), digits.rjust(20, "0")})
    return [bare]


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time interval [start, end); end None means still open."""

    start: datetime
    end: datetime | None

    def contains(self, t: datetime) -> bool:
        """Whether t falls inside."""
        return self.start <= t and (self.end is None or t < self.end)

    def overlap(self, other: Window) -> Window | None:
        """The part of time both windows cover, if any."""
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        end = min(ends) if ends else None
        return Window(start, end) if end is None or start < end else None


def leg_window(
    *,
    status: LegStatus,
    planned_departure: datetime,
    planned_arrival: datetime,
    estimated_departure: datetime | None,
    estimated_arrival: datetime | None,
    actual_departure: datetime | None,
    actual_arrival: datetime | None,
) -> Window:
    """When a vessel or truck named on a leg is taken to be carrying it."""
    departure = actual_departure or min(planned_departure, estimated_departure or planned_departure)
    start = departure - BEFORE_DEPARTURE
    if actual_arrival is not None:
        return Window(start, actual_arrival + AFTER_ARRIVAL)
    if status is LegStatus.DEPARTED:
        return Window(start, None)  # running late: it carries the leg until it arrives
    arrival = max(planned_arrival, estimated_arrival or planned_arrival)
    return Window(start, arrival + AFTER_PLANNED_ARRIVAL)


@dataclass(frozen=True, slots=True)
class Attribution:
    """The vehicle a device was mounted on at a fix's time, and the legs that vehicle was carrying."""

    vehicle_id: uuid.UUID | None
    vehicle_kind: VehicleKind | None
    legs: tuple[LegRef, ...]


@dataclass(frozen=True, slots=True)
class _Bound:
    vehicle_id: uuid.UUID
    kind: VehicleKind
    window: Window
    plain: Attribution  # the answer for a fix of this mounting that no leg claims


NONE = Attribution(None, None, ())
# vehicles that legs name: trucks by plate, vessels and barges by MMSI
NAMED_BY = frozenset({VehicleKind.TRUCK, VehicleKind.VESSEL, VehicleKind.BARGE})

# Two statements per batch, in plain SQL on the session's own connection (their text never changes): the
# devices' mountings; then the legs assigned to those vehicles ('a'), the legs naming those vehicles by
# plate or MMSI ('v'), and the legs naming an AIS transponder or an unmounted terminal's plate ('d').
# A leg row: what, key (vehicle or device), leg id, start, end, then the leg.
_LEG = """l.seq, l.mode::text, w.id, w.number, l.status::text, l.planned_departure, l.planned_arrival,
       l.estimated_departure, l.estimated_arrival, l.actual_departure, l.actual_arrival"""
_LIVE = """w.status NOT IN ('draft', 'cancelled')
  AND l.planned_departure <= %(latest_start)s
  AND (l.actual_arrival IS NULL OR l.actual_arrival > %(earliest_end)s)"""
_MOUNTED = """
    SELECT b.device_id, b.vehicle_id, b.valid_from, b.valid_to, v.kind, v.reference
    FROM device_bindings b JOIN vehicles v ON v.id = b.vehicle_id
    WHERE b.device_id = ANY(%(ids)b)
      AND b.valid_from <= %(tmax)s AND (b.valid_to IS NULL OR b.valid_to > %(tmin)s)
"""
_BINDINGS = f"SELECT device_id, vehicle_id, valid_from, valid_to, kind::text FROM ({_MOUNTED}) b"  # noqa: S608
_LEGS = f"""
WITH bv AS (SELECT DISTINCT vehicle_id, kind, reference FROM ({_MOUNTED}) b)
SELECT 'a', a.vehicle_id, l.id, a.valid_from, a.valid_to, {_LEG}
FROM leg_assignments a JOIN legs l ON l.id = a.leg_id JOIN waybills w ON w.id = l.waybill_id
WHERE a.vehicle_id IN (SELECT vehicle_id FROM bv)
  AND a.valid_from <= %(tmax)s AND (a.valid_to IS NULL OR a.valid_to > %(tmin)s)
  AND w.status <> 'cancelled'
UNION ALL
SELECT 'v', bv.vehicle_id, l.id, NULL::timestamptz, NULL::timestamptz, {_LEG}
FROM bv JOIN legs l ON l.truck_plate = bv.reference AND l.mode = 'TRUCK'
JOIN waybills w ON w.id = l.waybill_id
WHERE bv.kind = 'truck' AND {_LIVE}
UNION ALL
SELECT 'v', bv.vehicle_id, l.id, NULL::timestamptz, NULL::timestamptz, {_LEG}
FROM bv JOIN legs l ON l.mmsi = bv.reference AND l.mode IN ('VESSEL', 'BARGE')
JOIN waybills w ON w.id = l.waybill_id
WHERE bv.kind IN ('vessel', 'barge') AND {_LIVE}
UNION ALL
SELECT 'd', d.id, l.id, NULL::timestamptz, NULL::timestamptz, {_LEG}
FROM unnest(%(ais_ids)b::uuid[], %(ais_refs)b::text[]) AS d(id, ref)
JOIN legs l ON l.mmsi = d.ref AND l.mode IN ('VESSEL', 'BARGE') JOIN waybills w ON w.id = l.waybill_id
WHERE {_LIVE}
UNION ALL
SELECT 'd', d.id, l.id, NULL::timestamptz, NULL::timestamptz, {_LEG}
FROM unnest(%(loose_ids)b::uuid[], %(loose_refs)b::text[]) AS d(id, ref)
JOIN legs l ON l.truck_plate = d.ref AND l.mode = 'TRUCK' JOIN waybills w ON w.id = l.waybill_id
WHERE {_LIVE}
"""  # noqa: S608


# Facts are loaded for fix times from this long before the batch (or now) to this long after now, so that
# the next batches of a device's reports are answered from memory; a fix outside that span reloads them.
FACTS_BEFORE = timedelta(hours=6)
FACTS_AHEAD = timedelta(hours=1)
# The tracking epoch: a counter that the database moves, in the same transaction, with every change to
# bindings, vehicles, leg assignments, legs, waybill status or device identity (migration 0007).
EPOCH_SQL = "SELECT n FROM tracking_epoch WHERE id = 1"


@dataclass(slots=True)
class _Facts:
    """What decides a device's attribution for fix times in [start, end], loaded once and reused."""

    start: datetime
    end: datetime
    bound: list[_Bound]  # its mountings, the newest first
    vehicle_legs: dict[int, list[tuple[Window, LegRef]]]  # per mounted vehicle: assigned and named legs
    own_legs: list[tuple[Window, LegRef]]  # legs naming the device itself (an MMSI, a loose plate)


class Attributor:
    """Attribution of fixes, with each device's mountings and legs kept until the tracking epoch moves.

    Every batch first reads the epoch (`observe`); a change anywhere that could move an attribution
    moves it in the same transaction, so facts kept from before are never used after it is visible.
    """

    def __init__(self, *, max_devices: int = 200_000) -> None:
        self.max_devices = max_devices
        self.epoch: int | None = None
        self.loads = 0  # devices whose facts were read from the database, for tests and the benchmark
        self._facts: dict[int, _Facts] = {}  # int keys: a UUID's own hash is computed in Python

    def observe(self, epoch: int | None) -> bool:
        """Take the epoch a batch read; forget every device's facts when it moved (or is unknown: the
        facts then serve one batch only). Whether they were forgotten."""
        if epoch is not None and epoch == self.epoch:
            return False
        self._facts.clear()
        self.epoch = epoch
        return True

    def forget(self) -> None:
        """Forget every device's facts."""
        self._facts.clear()

    async def attribute(
        self,
        conn: psycopg.AsyncConnection[Any],
        items: Sequence[tuple[DeviceInfo, datetime]],
        *,
        now: datetime,
    ) -> list[Attribution]:
        """For each (device, fix time): its vehicle by binding, and its legs by assignment, MMSI or plate."""
        if not items:
            return []
        facts = self._facts
        need: dict[int, DeviceInfo] = {}
        for device, t in items:
            f = facts.get(device.id.int)
            if f is None or t < f.start or t > f.end:
                need[device.id.int] = device
        if need:
            # the span covers every fix of those devices in this batch, not only those that missed
            times = [t for device, t in items if device.id.int in need]
            lo, hi = min(times), max(times)
            loaded = await _load(
                conn, list(need.values()), min(lo, now) - FACTS_BEFORE, max(hi, now) + FACTS_AHEAD
            )
            if len(facts) + len(loaded) > self.max_devices:
                # full: keep only what this batch still needs
                keep = {d.id.int: facts[d.id.int] for d, _ in items if d.id.int in facts}
                facts.clear()
                facts.update(keep)
            facts.update(loaded)
            self.loads += len(loaded)
        return [_decide(facts[device.id.int], device, t) for device, t in items]


async def read_epoch(conn: psycopg.AsyncConnection[Any]) -> int | None:
    """The tracking epoch as this statement sees it (None when the database has no epoch)."""
    async with conn.cursor() as cur:
        await cur.execute(EPOCH_SQL)
        row = await cur.fetchone()
    return int(row[0]) if row else None


async def _load(
    conn: psycopg.AsyncConnection[Any], devices: Sequence[DeviceInfo], start: datetime, end: datetime
) -> dict[int, _Facts]:
    """The facts of devices for fix times in [start, end]: two statements for all of them."""
    ais = [d for d in devices if d.kind is DeviceKind.AIS]
    # an unmounted terminal is taken to be on the truck whose plate it registered with
    loose = [d for d in devices if d.kind is DeviceKind.JT808 and d.plate]
    params = {
        "ids": [d.id for d in devices],
        "tmin": start,
        "tmax": end,
        "ais_ids": [d.id for d in ais],
        "ais_refs": [d.identifier for d in ais],
        "loose_ids": [d.id for d in loose],
        "loose_refs": [d.plate for d in loose],
        # no leg departs a month ahead of plan: later legs cannot be under way yet
        "latest_start": end + BEFORE_DEPARTURE + timedelta(days=30),
        "earliest_end": start - AFTER_ARRIVAL,
    }
    bound: dict[int, list[_Bound]] = defaultdict(list)
    assigned: dict[int, list[tuple[Window, LegRef]]] = defaultdict(list)
    named: dict[int, list[tuple[Window, LegRef]]] = defaultdict(list)
    kinds = {k.value: k for k in VehicleKind}
    async with conn.cursor(binary=True) as cur:
        await cur.execute(_BINDINGS, params)
        for device_id, vehicle_id, valid_from, valid_to, kind in await cur.fetchall():
            vk = kinds[kind]
            bound[device_id.int].append(
                _Bound(vehicle_id, vk, Window(valid_from, valid_to), Attribution(vehicle_id, vk, ()))
            )
        await cur.execute(_LEGS, params)
        for what, key, leg_id, valid_from, valid_to, *leg in await cur.fetchall():
            seq, mode, waybill_id, number = leg[:4]
            ref = LegRef(leg_id, seq, mode, waybill_id, number)
            if what == "a":
                assigned[key.int].append((Window(valid_from, valid_to), ref))
            else:
                named[key.int].append((_leg_window(leg), ref))
    out: dict[int, _Facts] = {}
    for device in devices:
        key = device.id.int
        mountings = bound.get(key, [])
        if len(mountings) > 1:
            mountings.sort(key=lambda b: b.window.start, reverse=True)  # overlapping: the newest wins
        vehicle_legs: dict[int, list[tuple[Window, LegRef]]] = {}
        for b in mountings:
            v = b.vehicle_id.int
            legs = list(assigned.get(v, ()))
            if b.kind in NAMED_BY:
                legs.extend(named.get(v, ()))
            if legs:
                vehicle_legs[v] = legs
        out[key] = _Facts(start, end, mountings, vehicle_legs, named.get(key, []))
    return out


def _decide(facts: _Facts, device: DeviceInfo, t: datetime) -> Attribution:
    vehicle = None
    for b in facts.bound:
        if b.window.contains(t):
            vehicle = b
            break
    candidates: list[tuple[Window, LegRef]] = []
    if vehicle is not None and facts.vehicle_legs:
        candidates.extend(facts.vehicle_legs.get(vehicle.vehicle_id.int, ()))
    if facts.own_legs and (device.kind is DeviceKind.AIS or (vehicle is None and device.plate)):
        candidates.extend(facts.own_legs)
    legs = {ref.leg_id: ref for window, ref in candidates if window.contains(t)} if candidates else None
    if legs:
        ordered = tuple(sorted(legs.values(), key=lambda r: (r.waybill_number, r.leg_seq)))
        if vehicle is None:
            return Attribution(None, None, ordered)
        return Attribution(vehicle.vehicle_id, vehicle.kind, ordered)
    return vehicle.plain if vehicle is not None else NONE


def _leg_window(leg: list[Any]) -> Window:
    return leg_window(
        status=LegStatus(leg[4]),
        planned_departure=leg[5],
        planned_arrival=leg[6],
        estimated_departure=leg[7],
        estimated_arrival=leg[8],
        actual_departure=leg[9],
        actual_arrival=leg[10],
    )
