"""The fleet side of tracking: devices, vehicles, which device is on which vehicle, who carries a leg."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, Forbidden, IllegalTransition, NotFound, field_error
from yidan.identity.principal import Principal
from yidan.tracking.attribution import Window, identifier_spellings, normalise_identifier, normalise_plate
from yidan.tracking.models import (
    Device,
    DeviceBinding,
    DeviceKind,
    LatestPosition,
    LegAssignment,
    Vehicle,
    VehicleKind,
)
from yidan.tracking.schemas import AssignmentIn, BindingIn, DeviceIn, VehicleIn
from yidan.tracking.service import (
    find_device,
    require_fleet_manager,
)
from yidan.waybills import identifiers
from yidan.waybills.lifecycle import WaybillStatus
from yidan.waybills.models import Leg, Waybill
from yidan.waybills.service import get_waybill

FREE_ID = re.compile(r"[A-Za-z0-9._:-]{1,20}")


def _device_identifier(data: DeviceIn) -> str:
    ident = data.identifier.replace(" ", "")
    if data.kind is DeviceKind.JT808:
        if not ident.isdigit():
            raise field_error("identifier", "a JT/T 808 terminal is identified by its phone number (digits)")
        return normalise_identifier(DeviceKind.JT808, ident)
    if data.kind is DeviceKind.AIS:
        try:
            return identifiers.validate_mmsi(ident)
        except ValueError as exc:
            raise field_error("identifier", str(exc)) from exc
    if not FREE_ID.fullmatch(ident):
        raise field_error("identifier", "use letters, digits and . _ : - (at most 20)")
    return ident


def _vehicle_reference(kind: VehicleKind, reference: str) -> str:
    try:
        if kind is VehicleKind.TRUCK:
            return identifiers.validate_cn_plate(reference)
        if kind in (VehicleKind.VESSEL, VehicleKind.BARGE):
            return identifiers.validate_mmsi(reference)
    except ValueError as exc:
        raise field_error("reference", str(exc)) from exc
    text = reference.replace(" ", "").upper()
    if not FREE_ID.fullmatch(text):
        raise field_error("reference", "a train number is letters and digits (at most 20)")
    return text


@dataclass(frozen=True)
class DeviceView:
    """A device with its current vehicle and newest fix time."""

    device: Device
    vehicle: str | None
    latest_fix_time: datetime | None


async def list_devices(session: AsyncSession, principal: Principal) -> list[DeviceView]:
    """The caller's organisation's devices."""
    now = utcnow()
    rows = await session.execute(
        select(Device, Vehicle.reference, LatestPosition.fix_time)
        .outerjoin(
            DeviceBinding,
            and_(
                DeviceBinding.device_id == Device.id,
                DeviceBinding.valid_from <= now,
                or_(DeviceBinding.valid_to.is_(None), DeviceBinding.valid_to > now),
            ),
        )
        .outerjoin(Vehicle, Vehicle.id == DeviceBinding.vehicle_id)
        .outerjoin(LatestPosition, LatestPosition.device_id == Device.id)
        .where(Device.org_id == principal.org_id)
        .order_by(Device.kind, Device.identifier)
    )
    return [DeviceView(d, ref, t) for d, ref, t in rows]


async def create_device(session: AsyncSession, principal: Principal, data: DeviceIn) -> Device:
    """Provision a device for the caller's organisation; identifiers are unique per kind everywhere."""
    require_fleet_manager(principal)
    ident = _device_identifier(data)
    plate = None
    if data.plate:
        try:
            plate = identifiers.validate_cn_plate(data.plate)
        except ValueError as exc:
            raise field_error("plate", str(exc)) from exc
    if data.kind is not DeviceKind.JT808 and (data.terminal_id or plate):
        raise field_error("terminal_id", "terminal_id and plate are for jt808 terminals")
    taken = await session.scalar(
        select(func.count())
        .select_from(Device)
        .where(Device.kind == data.kind, Device.identifier.in_(identifier_spellings(data.kind, ident)))
    )
    if taken:
        raise Conflict(f"a {data.kind.value} device {ident} is already provisioned", code="device_exists")
    device = Device(
        org_id=principal.org_id,
        kind=data.kind,
        identifier=ident,
        terminal_id=data.terminal_id or None,
        plate=plate,
        simulated=data.simulated,
    )
    session.add(device)
    try:
        await session.flush()
    except IntegrityError as exc:  # provisioned concurrently by another request
        raise Conflict(
            f"a {data.kind.value} device {ident} is already provisioned", code="device_exists"
        ) from exc
    await audit.record(
        session,
        principal,
        action="device.create",
        object_type="device",
        object_id=f"{data.kind.value}:{ident}",
        changes={"terminal_id": device.terminal_id, "plate": plate},
    )
    return device


async def list_vehicles(session: AsyncSession, principal: Principal) -> list[Vehicle]:
    """The caller's organisation's vehicles."""
    return list(
        await session.scalars(
            select(Vehicle)
            .where(Vehicle.org_id == principal.org_id)
            .order_by(Vehicle.kind, Vehicle.reference)
        )
    )


async def create_vehicle(session: AsyncSession, principal: Principal, data: VehicleIn) -> Vehicle:
    """Register a truck, vessel, barge or train of the caller's organisation."""
    require_fleet_manager(principal)
    reference = _vehicle_reference(data.kind, data.reference)
    imo = None
    if data.imo:
        try:
            imo = identifiers.validate_imo(data.imo)
        except ValueError as exc:
            raise field_error("imo", str(exc)) from exc
    if await session.scalar(
        select(Vehicle.id).where(Vehicle.kind == data.kind, Vehicle.reference == reference)
    ):
        raise Conflict(f"a {data.kind.value} {reference} is already registered", code="vehicle_exists")
    vehicle = Vehicle(org_id=principal.org_id, kind=data.kind, reference=reference, name=data.name, imo=imo)
    session.add(vehicle)
    try:
        await session.flush()
    except IntegrityError as exc:  # registered concurrently by another request
        raise Conflict(
            f"a {data.kind.value} {reference} is already registered", code="vehicle_exists"
        ) from exc
    await audit.record(
        session,
        principal,
        action="vehicle.create",
        object_type="vehicle",
        object_id=f"{data.kind.value}:{reference}",
        changes={"name": data.name, "imo": imo},
    )
    return vehicle


async def _org_vehicle(session: AsyncSession, org_id: uuid.UUID, ref: str, field: str = "vehicle") -> Vehicle:
    try:
        by_id = uuid.UUID(ref)
    except ValueError:
        by_id = None
    candidates = {ref.strip().upper(), normalise_plate(ref) or ref}
    query = select(Vehicle).where(
        Vehicle.org_id == org_id,
        Vehicle.id == by_id if by_id else Vehicle.reference.in_(candidates),
    )
    vehicle = (await session.scalars(query.order_by(Vehicle.kind))).first()
    if vehicle is None:
        raise field_error(field, f"{ref!r} is not a vehicle of your organisation")
    return vehicle


async def bind_device(
    session: AsyncSession, principal: Principal, identifier: str, data: BindingIn
) -> tuple[DeviceBinding, Device, Vehicle]:
    """Mount a device on a vehicle; an open-ended earlier mounting of the device ends where this starts."""
    require_fleet_manager(principal)
    device = await find_device(session, identifier, principal.org_id)
    if device is None:
        raise NotFound(f"device {identifier} not found")
    vehicle = await _org_vehicle(session, principal.org_id, data.vehicle)
    existing = list(
        await session.scalars(
            select(DeviceBinding).where(DeviceBinding.device_id == device.id).with_for_update()
        )
    )
    new = Window(data.valid_from, data.valid_to)
    for b in existing:
        old = Window(b.valid_from, b.valid_to)
        if old.overlap(new) is None:
            continue
        if b.valid_to is None and b.valid_from < data.valid_from:
            b.valid_to = data.valid_from  # remounted: the old mounting ends here
            continue
        raise Conflict(
            f"device {device.identifier} is already mounted from {b.valid_from.isoformat()}"
            + (f" to {b.valid_to.isoformat()}" if b.valid_to else ""),
            code="binding_overlaps",
        )
    binding = DeviceBinding(
        device_id=device.id, vehicle_id=vehicle.id, valid_from=data.valid_from, valid_to=data.valid_to
    )
    session.add(binding)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="device.bind",
        object_type="device",
        object_id=f"{device.kind.value}:{device.identifier}",
        changes={"vehicle": vehicle.reference, "valid_from": data.valid_from, "valid_to": data.valid_to},
    )
    return binding, device, vehicle


async def assign_vehicle(
    session: AsyncSession, principal: Principal, number: str, seq: int, data: AssignmentIn
) -> tuple[LegAssignment, Waybill, Leg, Vehicle]:
    """Let a vehicle of the leg's carrier carry the leg over an interval (by default from now)."""
    waybill = await get_waybill(session, principal, number)
    leg = next((leg for leg in waybill.legs if leg.seq == seq), None)
    if leg is None:
        raise NotFound(f"waybill {waybill.number} has no leg {seq}")
    if leg.carrier_org_id != principal.org_id:
        raise Forbidden(f"only the carrier of leg {seq} may assign vehicles to it", code="not_leg_carrier")
    require_fleet_manager(principal)
    if waybill.status not in (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT):
        raise IllegalTransition(
            f"waybill {waybill.number} is {waybill.status.value}; vehicles are assigned to booked or "
            "in-transit waybills",
            code="waybill_not_active",
        )
    vehicle = await _org_vehicle(session, principal.org_id, data.vehicle)
    valid_from = data.valid_from or utcnow()
    if data.valid_to is not None and data.valid_to <= valid_from:
        raise field_error("valid_to", "valid_to must be after valid_from")
    assignment = LegAssignment(
        leg_id=leg.id, vehicle_id=vehicle.id, valid_from=valid_from, valid_to=data.valid_to
    )
    session.add(assignment)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="leg.assign",
        object_type="waybill",
        object_id=waybill.number,
        changes={
            "leg": seq,
            "vehicle": vehicle.reference,
            "valid_from": valid_from,
            "valid_to": data.valid_to,
        },
    )
    return assignment, waybill, leg, vehicle
