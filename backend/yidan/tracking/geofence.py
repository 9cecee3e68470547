"""Terminal, gate and place geofences: enter/exit per device, and the automatic DEPA/ARRI they imply.

Zones:

- a **gate** is its GeoJSON polygon from ``gates``;
- a **terminal** is a circle around the terminal's point, its radius by kind and grown to cover every
  gate polygon of the terminal (plus a margin), so the circle is the union of the yard and its gates;
- a **place** (a leg end named only by UN/LOCODE) is every terminal of that place plus a circle around
  the place's own point.

A leg end's *site* is the set of zone keys that count as being there. A vehicle leaves the origin site of a
planned leg it carries → ACT DEPA; it enters the destination site of a departed leg → ACT ARRI. Both go
through the waybill rules, once: the state update and the event share one transaction, and the service
refuses to move a leg twice. Circles have an exit margin (hysteresis) so GNSS jitter on the fence line does
not look like a departure.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from yidan.core.db import Base, updated_at
from yidan.core.errors import DomainError
from yidan.locations.geo import EARTH_RADIUS_M, haversine_m, point_in_polygon, validate_ring
from yidan.locations.models import Gate, Location, Terminal
from yidan.tracking.stored import FixFlag, StoredFix
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import LegStatus
from yidan.waybills.models import Leg

log = logging.getLogger("yidan.tracking.geofence")

# Radius of a terminal's circle by kind (metres); a container yard is larger than a rail terminal.
TERMINAL_RADIUS_M = {"container_terminal": 1_500.0, "rail_terminal": 1_000.0, "inland_depot": 800.0}
DEFAULT_TERMINAL_RADIUS_M = 1_000.0
# How far past its farthest gate corner a terminal's circle reaches.
GATE_MARGIN_M = 200.0
# Radius of a place's own circle by UN/LOCODE kind, used when a leg names no terminal.
PLACE_RADIUS_M = {"seaport": 5_000.0, "river_port": 3_000.0, "rail_hub": 5_000.0, "inland_depot": 3_000.0}
DEFAULT_PLACE_RADIUS_M = 5_000.0
# A vehicle inside a circle stays inside until it is this much beyond the radius.
EXIT_MARGIN_M = 100.0
# Fixes the pipeline marked as untrustworthy never move a vehicle in or out of a geofence.
UNTRUSTED = FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED
_GRID_DEG = 0.1
_M_PER_DEG = math.pi * EARTH_RADIUS_M / 180


class ZoneKind(StrEnum):
    """What a geofence stands for."""

    GATE = "gate"
    TERMINAL = "terminal"
    PLACE = "place"


class GeofenceState(Base):
    """The geofences a device was inside at the last fix evaluated (zone key → time it entered)."""

    __tablename__ = "geofence_states"

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    fix_time: Mapped[datetime | None]
    zones: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = updated_at()


@dataclass(frozen=True, slots=True)
class Zone:
    """One geofence: a polygon (gate) or a circle (terminal, place), with a bounding box for lookups."""

    key: str
    kind: ZoneKind
    code: str
    lat: float
    lon: float
    radius_m: float = 0.0
    ring: tuple[tuple[float, float], ...] | None = None

    def contains(self, lat: float, lon: float, *, was_inside: bool = False) -> bool:
        """Whether (lat, lon) is inside; a circle keeps a vehicle that was inside until past its margin."""
        if self.ring is not None:
            return point_in_polygon(lon, lat, self.ring)
        limit = self.radius_m + (EXIT_MARGIN_M if was_inside else 0.0)
        return haversine_m(self.lat, self.lon, lat, lon) <= limit

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat), exit margin included."""
        if self.ring is not None:
            lons = [p[0] for p in self.ring]
            lats = [p[1] for p in self.ring]
            return min(lons), min(lats), max(lons), max(lats)
        dlat = (self.radius_m + EXIT_MARGIN_M) / _M_PER_DEG
        dlon = dlat / max(math.cos(math.radians(self.lat)), 0.01)
        return self.lon - dlon, self.lat - dlat, self.lon + dlon, self.lat + dlat


def gate_zone(code: str, geofence: Mapping[str, Any]) -> Zone:
    """The zone of a gate from its GeoJSON Polygon (outer ring only)."""
    ring = validate_ring(geofence["coordinates"][0])
    lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    return Zone(f"gate:{code}", ZoneKind.GATE, code, lat, lon, ring=tuple(ring))


def terminal_zone(code: str, kind: str, lat: float, lon: float, gates: Iterable[Zone] = ()) -> Zone:
    """A terminal's circle: its kind's radius, grown to cover every gate polygon plus a margin."""
    radius = TERMINAL_RADIUS_M.get(kind, DEFAULT_TERMINAL_RADIUS_M)
    for gate in gates:
        for glon, glat in gate.ring or ():
            radius = max(radius, haversine_m(lat, lon, glat, glon) + GATE_MARGIN_M)
    return Zone(f"terminal:{code}", ZoneKind.TERMINAL, code, lat, lon, radius_m=radius)


def place_zone(unlocode: str, kind: str, lat: float, lon: float) -> Zone:
    """A place's own circle (used together with the place's terminals)."""
    radius = PLACE_RADIUS_M.get(kind, DEFAULT_PLACE_RADIUS_M)
    return Zone(f"place:{unlocode}", ZoneKind.PLACE, unlocode, lat, lon, radius_m=radius)


@dataclass
class ZoneIndex:
    """Terminal and gate zones on a coarse grid, sites of terminals and places, places loaded on demand."""

    zones: dict[str, Zone] = field(default_factory=dict)
    terminal_sites: dict[str, frozenset[str]] = field(default_factory=dict)
    terminals_by_place: dict[str, list[str]] = field(default_factory=dict)
    places: dict[str, Zone | None] = field(default_factory=dict)
    _grid: dict[tuple[int, int], list[Zone]] = field(default_factory=lambda: defaultdict(list))

    def add(self, zone: Zone) -> None:
        """Index a terminal or gate zone (places are looked at only for the legs that name them)."""
        self.zones[zone.key] = zone
        if zone.kind is ZoneKind.PLACE:
            return
        min_lon, min_lat, max_lon, max_lat = zone.bbox()
        for gx in range(math.floor(min_lon / _GRID_DEG), math.floor(max_lon / _GRID_DEG) + 1):
            for gy in range(math.floor(min_lat / _GRID_DEG), math.floor(max_lat / _GRID_DEG) + 1):
                self._grid[(gx, gy)].append(zone)

    def containing(
        self, lat: float, lon: float, previous: Collection[str] = (), places: Iterable[str] = ()
    ) -> set[str]:
        """The zone keys containing a point: every terminal and gate, and the given places' circles."""
        cell = (math.floor(lon / _GRID_DEG), math.floor(lat / _GRID_DEG))
        inside = {
            z.key for z in self._grid.get(cell, ()) if z.contains(lat, lon, was_inside=z.key in previous)
        }
        for unlocode in places:
            zone = self.places.get(unlocode)
            if zone is not None and zone.contains(lat, lon, was_inside=zone.key in previous):
                inside.add(zone.key)
        return inside

    def site(self, terminal: str | None, unlocode: str) -> frozenset[str]:
        """Where a leg end counts as reached: its terminal, else every terminal of its place and the place."""
        if terminal and terminal in self.terminal_sites:
            return self.terminal_sites[terminal]
        keys: set[str] = {f"place:{unlocode}"}
        for code in self.terminals_by_place.get(unlocode, ()):
            keys |= self.terminal_sites[code]
        return frozenset(keys)

    async def ensure_places(self, session: AsyncSession, unlocodes: Iterable[str]) -> None:
        """Load the circles of places not seen yet (the locations table can be large: never all of it)."""
        missing = {u for u in unlocodes if u not in self.places}
        if not missing:
            return
        rows = await session.execute(
            select(Location.unlocode, Location.kind, Location.lat, Location.lon).where(
                Location.unlocode.in_(missing)
            )
        )
        for unlocode, kind, lat, lon in rows:
            self.places[unlocode] = place_zone(unlocode, kind, lat, lon)
        for unlocode in missing:
            self.places.setdefault(unlocode, None)


async def load_zone_index(session: AsyncSession) -> ZoneIndex:
    """Every terminal and gate as zones, with each terminal's site (its circle and its gates)."""
    index = ZoneIndex()
    gates_of: dict[str, list[Zone]] = defaultdict(list)
    for gate in await session.scalars(select(Gate)):
        try:
            zone = gate_zone(gate.code, gate.geofence)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("gate %s has an unusable geofence: %s", gate.code, exc)
            continue
        gates_of[gate.terminal_code].append(zone)
        index.add(zone)
    for t in await session.scalars(select(Terminal)):
        zone = terminal_zone(t.code, t.kind, t.lat, t.lon, gates_of.get(t.code, ()))
        index.add(zone)
        index.terminal_sites[t.code] = frozenset({zone.key, *(g.key for g in gates_of.get(t.code, ()))})
        index.terminals_by_place.setdefault(t.unlocode, []).append(t.code)
    return index


@dataclass(frozen=True, slots=True)
class Transition:
    """A device entering or leaving one geofence at a fix."""

    device_id: uuid.UUID
    zone: str
    entered: bool
    at: datetime
    lat: float
    lon: float


def transitions(
    device_id: uuid.UUID,
    before: Collection[str],
    after: Collection[str],
    at: datetime,
    lat: float,
    lon: float,
) -> list[Transition]:
    """The enter/exit transitions between two sets of zone keys, exits first, each in key order."""
    exits = [Transition(device_id, z, False, at, lat, lon) for z in sorted(set(before) - set(after))]
    enters = [Transition(device_id, z, True, at, lat, lon) for z in sorted(set(after) - set(before))]
    return exits + enters


@dataclass(slots=True)
class LegEnds:
    """A leg's status and the sites of its two ends."""

    leg_id: uuid.UUID
    waybill_id: uuid.UUID
    seq: int
    status: LegStatus
    origin: frozenset[str]
    destination: frozenset[str]
    places: frozenset[str]


def leg_event(ends: LegEnds, before: Collection[str], after: Collection[str]) -> str | None:
    """The automatic transport event a move from `before` to `after` means for a leg, if any."""
    was_origin, at_origin = bool(ends.origin & set(before)), bool(ends.origin & set(after))
    if ends.status is LegStatus.PLANNED and was_origin and not at_origin:
        return "DEPA"
    entered = not ends.destination & set(before) and bool(ends.destination & set(after))
    # a leg ending where it began (a delivery across town to an address) cannot be told arrived by fences
    if ends.status is LegStatus.DEPARTED and ends.destination != ends.origin and entered:
        return "ARRI"
    return None


@dataclass(frozen=True, slots=True)
class AutoEvent:
    """An automatic transport event that was recorded."""

    waybill_id: uuid.UUID
    leg_id: uuid.UUID
    code: str
    at: datetime
    device_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class GeofenceOutcome:
    """What one batch did: geofence transitions and the automatic events recorded."""

    transitions: tuple[Transition, ...] = ()
    events: tuple[AutoEvent, ...] = ()


class GeofenceListener:
    """A commit listener: geofence enter/exit per device, and automatic ACT DEPA/ARRI for the legs carried."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        source: str = "tracking",
        zones_ttl_s: float = 300.0,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.source = source
        self.zones_ttl_s = zones_ttl_s
        self._index: ZoneIndex | None = None
        self._index_at = 0.0

    def forget_zones(self) -> None:
        """Reload terminals and gates at the next batch (after they were edited)."""
        self._index = None

    async def __call__(self, fixes: Sequence[StoredFix]) -> None:
        """Process a committed batch; failures are logged, never raised into the pipeline."""
        try:
            await self.process(fixes)
        except Exception:
            log.exception("geofence processing failed for a batch of %d fixes", len(fixes))

    async def _zones(self, session: AsyncSession) -> ZoneIndex:
        now = time.monotonic()
        if self._index is None or now - self._index_at > self.zones_ttl_s:
            self._index = await load_zone_index(session)
            self._index_at = now
        return self._index

    async def process(self, fixes: Sequence[StoredFix]) -> GeofenceOutcome:
        """Evaluate the fixes that carry legs, in time order per device, and record what they imply."""
        usable = [f for f in fixes if f.legs and not (f.flags & UNTRUSTED)]
        if not usable:
            return GeofenceOutcome()
        by_device: dict[uuid.UUID, list[StoredFix]] = defaultdict(list)
        for f in usable:
            by_device[f.device_id].append(f)
        found: list[Transition] = []
        events: list[AutoEvent] = []
        async with self._sessionmaker() as session, session.begin():
            index = await self._zones(session)
            legs = await _leg_ends(session, index, {ref.leg_id for f in usable for ref in f.legs})
            states = await _lock_states(session, sorted(by_device))
            changed: list[dict[str, Any]] = []
            for device_id in sorted(by_device):
                stored_time, stored_zones = states[device_id]
                zones: dict[str, str] = dict(stored_zones)
                last = stored_time
                for sf in sorted(by_device[device_id], key=lambda f: f.fix.fix_time):
                    fix = sf.fix
                    if last is not None and fix.fix_time <= last:
                        continue  # a late (blind-area) fix says nothing about where the vehicle is now
                    ends = [legs[r.leg_id] for r in sf.legs if r.leg_id in legs]
                    places = {p for e in ends for p in e.places}
                    after = index.containing(fix.lat, fix.lon, zones.keys(), places)
                    moved = transitions(device_id, zones.keys(), after, fix.fix_time, fix.lat, fix.lon)
                    found.extend(moved)
                    for e in ends:
                        code = leg_event(e, zones.keys(), after)
                        if code and await self._record(session, e, code, sf):
                            e.status = LegStatus.DEPARTED if code == "DEPA" else LegStatus.ARRIVED
                            events.append(AutoEvent(e.waybill_id, e.leg_id, code, fix.fix_time, device_id))
                    stamp = fix.fix_time.isoformat()
                    zones = {z: zones.get(z, stamp) for z in sorted(after)}
                    last = fix.fix_time
                if last != stored_time:
                    changed.append({"device_id": device_id, "fix_time": last, "zones": zones})
            if changed:
                # one executemany by primary key: loading thousands of ORM objects per batch costs far more
                await session.execute(update(GeofenceState), changed)
        for t in found:
            log.debug("device %s %s %s at %s", t.device_id, "entered" if t.entered else "left", t.zone, t.at)
        return GeofenceOutcome(tuple(found), tuple(events))

    async def _record(self, session: AsyncSession, ends: LegEnds, code: str, sf: StoredFix) -> bool:
        fix = sf.fix
        where = "left the origin" if code == "DEPA" else "entered the destination"
        description = f"{sf.device_identifier} {where} geofence at {fix.lat:.5f}, {fix.lon:.5f}"
        try:
            # a savepoint: a refused event must not undo the geofence state or other events of the batch
            async with session.begin_nested():
                event = await waybills.record_system_transport_event(
                    session,
                    ends.waybill_id,
                    ends.leg_id,
                    code,
                    fix.fix_time,
                    self.source,
                    description=description,
                    payload={"device": sf.device_identifier, "lat": fix.lat, "lon": fix.lon},
                )
        except DomainError as exc:
            log.info("automatic %s for leg %s not recorded: %s", code, ends.seq, exc.detail)
            return False
        return event is not None


async def _leg_ends(
    session: AsyncSession, index: ZoneIndex, leg_ids: set[uuid.UUID]
) -> dict[uuid.UUID, LegEnds]:
    rows = (
        await session.execute(
            select(
                Leg.id,
                Leg.waybill_id,
                Leg.seq,
                Leg.status,
                Leg.from_terminal,
                Leg.from_unlocode,
                Leg.to_terminal,
                Leg.to_unlocode,
            ).where(Leg.id.in_(leg_ids))
        )
    ).all()
    await index.ensure_places(session, {r.from_unlocode for r in rows} | {r.to_unlocode for r in rows})
    out: dict[uuid.UUID, LegEnds] = {}
    for r in rows:
        origin = index.site(r.from_terminal, r.from_unlocode)
        destination = index.site(r.to_terminal, r.to_unlocode)
        places = frozenset(k.removeprefix("place:") for k in origin | destination if k.startswith("place:"))
        out[r.id] = LegEnds(r.id, r.waybill_id, r.seq, r.status, origin, destination, places)
    return out


async def _lock_states(
    session: AsyncSession, device_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[datetime | None, dict[str, str]]]:
    """Each device's last evaluated fix time and zones, its row locked for this transaction."""
    # one array parameter rather than thousands of bound values: a batch is compiled in microseconds
    ids = bindparam("ids", value=device_ids, type_=ARRAY(PG_UUID(as_uuid=True)))
    await session.execute(
        text(
            "INSERT INTO geofence_states (device_id, zones) SELECT unnest(:ids), '{}'::jsonb "
            "ON CONFLICT (device_id) DO NOTHING"
        ).bindparams(ids)
    )
    # locked in one order, so concurrent batches of the same devices queue instead of deadlocking
    rows = await session.execute(
        select(GeofenceState.device_id, GeofenceState.fix_time, GeofenceState.zones)
        .where(GeofenceState.device_id == any_(ids))
        .order_by(GeofenceState.device_id)
        .with_for_update()
    )
    return {device_id: (fix_time, dict(zones or {})) for device_id, fix_time, zones in rows}


async def device_zones(session: AsyncSession, device_id: uuid.UUID) -> dict[str, datetime]:
    """The geofences a device is inside now, with the time it entered each (empty when none or unknown)."""
    state = await session.get(GeofenceState, device_id)
    if state is None:
        return {}
    return {k: datetime.fromisoformat(v) for k, v in (state.zones or {}).items()}
