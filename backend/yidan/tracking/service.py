"""The rules of tracking: who may report, provision and see positions, devices, vehicles and assignments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from yidan.core.clock import utcnow
from yidan.core.errors import DomainError, Forbidden, NotFound
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.identity.principal import Principal, Role, Scope
from yidan.tracking.attribution import Window, identifier_spellings, leg_window, normalise_plate
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.models import (
    Device,
    DeviceBinding,
    DeviceKind,
    LatestPosition,
    LegAssignment,
    Position,
    Vehicle,
    VehicleKind,
)
from yidan.tracking.pipeline import Outcome, Pipeline, PipelineClosed, PipelineError
from yidan.tracking.schemas import (
    LatestOut,
    PositionBatchOut,
    PositionIn,
    PositionOut,
    PositionPageOut,
    PositionResultOut,
)
from yidan.tracking.stored import FixFlag
from yidan.waybills.lifecycle import Mode, WaybillStatus
from yidan.waybills.models import Leg, Waybill
from yidan.waybills.service import visible_clause

FLEET_ROLES = (Role.DISPATCHER, Role.PARTNER_ADMIN)
REPORTER_ROLES = (Role.DISPATCHER,)
# When one organisation has devices of several kinds with the same identifier, an HTTP report names
# the first of this order.
_HTTP_KIND_ORDER = (DeviceKind.APP, DeviceKind.NMEA, DeviceKind.JT808, DeviceKind.AIS)


class IngestUnavailable(DomainError):
    """Positions cannot be stored right now; nothing of the request was acknowledged, retry later."""

    status, code, title = 503, "ingest_unavailable", "Service unavailable"


def _aware(t: datetime) -> datetime:
    # a time given without an offset is taken as UTC, the time of every stored fix
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def flag_names(flags: int) -> list[str]:
    """The names of the validation flags set on a fix, e.g. ["impossible_speed"]."""
    return [f.name.lower() for f in FixFlag if f.value and flags & f.value and f.name]


# ---- who may do what ----


def _require_reporter(principal: Principal) -> None:
    if principal.is_api_key:
        if not principal.allows(Scope.TRACKING_WRITE):
            raise Forbidden("this API key lacks the scope tracking:write", code="scope_required")
    elif not principal.has_role(*REPORTER_ROLES):
        raise Forbidden(
            f"reporting positions needs the role dispatcher; you are {principal.role.value}",
            code="role_required",
        )


def require_fleet_manager(principal: Principal) -> None:
    """Devices, vehicles and bindings are managed by dispatchers, partner admins and tracking:write keys."""
    if principal.is_api_key:
        if not principal.allows(Scope.TRACKING_WRITE):
            raise Forbidden("this API key lacks the scope tracking:write", code="scope_required")
    elif not principal.has_role(*FLEET_ROLES):
        raise Forbidden(
            f"managing devices and vehicles needs the role dispatcher or partner_admin; "
            f"you are {principal.role.value}",
            code="role_required",
        )


# ---- positions in ----


async def _org_devices(session: AsyncSession, principal: Principal, names: set[str]) -> dict[str, Device]:
    """The caller's devices by each name it was given under (any accepted spelling)."""
    spelled = {s: name for name in names for s in identifier_spellings(None, name)}
    rows = await session.scalars(
        select(Device).where(Device.org_id == principal.org_id, Device.identifier.in_(spelled))
    )
    out: dict[str, Device] = {}
    for device in sorted(rows, key=lambda d: _HTTP_KIND_ORDER.index(d.kind)):
        for s in identifier_spellings(device.kind, device.identifier):
            name = spelled.get(s)
            if name is not None:
                out.setdefault(name, device)
        if device.identifier in spelled:
            out.setdefault(spelled[device.identifier], device)
    return out


async def ingest_positions(
    session: AsyncSession, principal: Principal, pipeline: Pipeline | None, items: Sequence[PositionIn]
) -> PositionBatchOut:
    """Store a batch of fixes of the caller's devices through the pipeline; one result per item."""
    _require_reporter(principal)
    if pipeline is None or not pipeline.running:
        raise IngestUnavailable("the position pipeline is not running; retry shortly")
    devices = await _org_devices(session, principal, {i.device for i in items})
    results: list[PositionResultOut | None] = [None] * len(items)
    fixes: list[Fix] = []
    device_ids: list[uuid.UUID | None] = []
    where: list[int] = []
    for index, item in enumerate(items):
        device = devices.get(item.device)
        if device is None:
            results[index] = PositionResultOut(
                index=index,
                device=item.device,
                fix_time=item.fix_time,
                status="rejected",
                code="unknown_device",
                reason=f"{item.device!r} is not a device of your organisation",
            )
            continue
        fixes.append(
            Fix(
                device_id=device.identifier,
                source="http",
                fix_time=item.fix_time,
                lat=item.lat,
                lon=item.lon,
                speed_kmh=item.speed_kmh,
                course_deg=item.course_deg % 360.0 if item.course_deg is not None else None,
                altitude_m=item.altitude_m,
                satellites=item.satellites,
            )
        )
        device_ids.append(device.id)
        where.append(index)
    if fixes:
        try:
            report = await pipeline.submit(fixes, devices=device_ids)
        except (PipelineClosed, PipelineError) as exc:
            raise IngestUnavailable(f"positions could not be stored now ({exc}); retry the batch") from exc
        for index, fix, result in zip(where, fixes, report.results, strict=True):
            results[index] = PositionResultOut(
                index=index,
                device=items[index].device,
                fix_time=fix.fix_time,
                status=result.outcome.value,
                code=result.code,
                reason=result.reason,
                flags=flag_names(result.flags),
            )
    out = [r for r in results if r is not None]
    return PositionBatchOut(
        stored=sum(1 for r in out if r.status == Outcome.STORED),
        duplicates=sum(1 for r in out if r.status == Outcome.DUPLICATE),
        rejected=sum(1 for r in out if r.status == Outcome.REJECTED),
        results=out,
    )


# ---- positions out ----


async def find_device(
    session: AsyncSession, identifier: str, org_id: uuid.UUID | None = None
) -> Device | None:
    """A device by identifier (any accepted spelling), of one organisation when org_id is given."""
    query = select(Device).where(Device.identifier.in_(identifier_spellings(None, identifier)))
    if org_id is not None:
        query = query.where(Device.org_id == org_id)
    rows = list(await session.scalars(query))
    rows.sort(key=lambda d: (d.identifier != identifier, _HTTP_KIND_ORDER.index(d.kind)))
    return rows[0] if rows else None


async def shared_windows(session: AsyncSession, principal: Principal, device: Device) -> list[Window]:
    """When another organisation's device carried legs of waybills the caller may see."""
    bindings = (
        await session.execute(
            select(DeviceBinding, Vehicle).join(Vehicle).where(DeviceBinding.device_id == device.id)
        )
    ).all()
    windows: list[Window] = []
    vehicle_ids = {v.id for _, v in bindings}
    if vehicle_ids:
        # an alias, so that visible_clause's subqueries over legs do not correlate with this leg
        leg_ = aliased(Leg)
        assigned = await session.execute(
            select(LegAssignment)
            .join(leg_, leg_.id == LegAssignment.leg_id)
            .join(Waybill, Waybill.id == leg_.waybill_id)
            .where(LegAssignment.vehicle_id.in_(vehicle_ids), visible_clause(principal))
        )
        for (a,) in assigned:
            for b, v in bindings:
                if v.id == a.vehicle_id:
                    w = Window(b.valid_from, b.valid_to).overlap(Window(a.valid_from, a.valid_to))
                    if w:
                        windows.append(w)
    # legs naming the vessel or truck (by MMSI or plate) count as carried while they run
    named: list[tuple[str, str, Window | None]] = []
    if device.kind is DeviceKind.AIS:
        named.append(("mmsi", device.identifier, None))
    for b, v in bindings:
        w = Window(b.valid_from, b.valid_to)
        if v.kind in (VehicleKind.VESSEL, VehicleKind.BARGE):
            named.append(("mmsi", v.reference, w))
        elif v.kind is VehicleKind.TRUCK:
            named.append(("plate", v.reference, w))
    if not bindings and device.kind is DeviceKind.JT808 and normalise_plate(device.plate):
        named.append(("plate", normalise_plate(device.plate) or "", None))
    mmsis = {ref for what, ref, _ in named if what == "mmsi"}
    plates = {ref for what, ref, _ in named if what == "plate"}
    if mmsis or plates:
        named_leg = aliased(Leg)
        legs = await session.scalars(
            select(named_leg)
            .join(Waybill, Waybill.id == named_leg.waybill_id)
            .where(
                or_(
                    and_(named_leg.mmsi.in_(mmsis), named_leg.mode.in_((Mode.VESSEL, Mode.BARGE))),
                    and_(named_leg.truck_plate.in_(plates), named_leg.mode == Mode.TRUCK),
                ),
                Waybill.status.not_in((WaybillStatus.DRAFT, WaybillStatus.CANCELLED)),
                visible_clause(principal),
            )
        )
        for leg in legs:
            lw = leg_window(
                status=leg.status,
                planned_departure=leg.planned_departure,
                planned_arrival=leg.planned_arrival,
                estimated_departure=leg.estimated_departure,
                estimated_arrival=leg.estimated_arrival,
                actual_departure=leg.actual_departure,
                actual_arrival=leg.actual_arrival,
            )
            for what, ref, bw in named:
                if (what == "mmsi" and leg.mmsi == ref) or (what == "plate" and leg.truck_plate == ref):
                    w = lw.overlap(bw) if bw else lw
                    if w:
                        windows.append(w)
    return windows


async def list_positions(
    session: AsyncSession,
    principal: Principal,
    *,
    device: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None = None,
) -> PositionPageOut:
    """A device's fixes, oldest first: all of the caller's own, others' only while carrying its cargo."""
    row = await find_device(session, device, principal.org_id) or await find_device(session, device)
    if row is None:
        raise NotFound(f"device {device} not found")
    query = select(Position).where(Position.device_id == row.id)
    if row.org_id != principal.org_id:
        windows = await shared_windows(session, principal, row)
        if not windows:
            raise NotFound(f"device {device} not found")
        query = query.where(
            or_(
                *(
                    and_(Position.fix_time >= w.start, *([Position.fix_time < w.end] if w.end else []))
                    for w in windows
                )
            )
        )
    if since is not None:
        query = query.where(Position.fix_time >= _aware(since))
    if until is not None:
        query = query.where(Position.fix_time < _aware(until))
    if cursor:
        after, _ = decode_cursor(cursor)
        query = query.where(Position.fix_time > after)
    rows = list(await session.scalars(query.order_by(Position.fix_time).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return PositionPageOut(
        device=row.identifier,
        items=[
            PositionOut(
                fix_time=p.fix_time,
                received_at=p.received_at,
                lat=p.lat,
                lon=p.lon,
                speed_kmh=p.speed_kmh,
                course_deg=p.course_deg,
                altitude_m=p.altitude_m,
                satellites=p.satellites,
                source=p.source,
                flags=flag_names(p.flags),
            )
            for p in rows
        ],
        next_cursor=encode_cursor(rows[-1].fix_time, row.id) if more and rows else None,
    )


async def latest_positions(session: AsyncSession, principal: Principal) -> list[LatestOut]:
    """The newest plausible fix of each vehicle of the caller's organisation (and of unbound devices)."""
    now = utcnow()
    rows = await session.execute(
        select(LatestPosition, Device, Vehicle)
        .join(Device, Device.id == LatestPosition.device_id)
        .outerjoin(
            DeviceBinding,
            and_(
                DeviceBinding.device_id == Device.id,
                DeviceBinding.valid_from <= now,
                or_(DeviceBinding.valid_to.is_(None), DeviceBinding.valid_to > now),
            ),
        )
        .outerjoin(Vehicle, Vehicle.id == DeviceBinding.vehicle_id)
        .where(or_(Device.org_id == principal.org_id, Vehicle.org_id == principal.org_id))
        .order_by(LatestPosition.fix_time.desc())
    )
    seen: set[uuid.UUID] = set()
    out: list[LatestOut] = []
    for lp, device, vehicle in rows:
        key = vehicle.id if vehicle is not None else device.id
        if key in seen:
            continue  # a vehicle with several devices shows its newest fix
        seen.add(key)
        out.append(
            LatestOut(
                device=device.identifier,
                device_kind=device.kind,
                vehicle=vehicle.reference if vehicle else None,
                vehicle_kind=vehicle.kind if vehicle else None,
                fix_time=lp.fix_time,
                received_at=lp.received_at,
                lat=lp.lat,
                lon=lp.lon,
                speed_kmh=lp.speed_kmh,
                course_deg=lp.course_deg,
                altitude_m=lp.altitude_m,
                source=lp.source,
            )
        )
    out.sort(key=lambda o: (o.vehicle or "", o.device))
    return out


def as_geojson(latest: Sequence[LatestOut]) -> dict[str, object]:
    """Latest positions as a GeoJSON FeatureCollection of Points ([lon, lat], RFC 7946)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": o.vehicle or o.device,
                "geometry": {"type": "Point", "coordinates": [o.lon, o.lat]},
                "properties": o.model_dump(mode="json", exclude={"lat", "lon"}),
            }
            for o in latest
        ],
    }
