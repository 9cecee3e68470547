"""REST routes for tracking: position batches and queries, devices, vehicles, bindings, leg assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.responses import JSONResponse

from yidan.core.db import SessionDep
from yidan.identity.deps import PrincipalDep
from yidan.tracking import fleet, service
from yidan.tracking.schemas import (
    AssignmentIn,
    AssignmentOut,
    BindingIn,
    BindingOut,
    DeviceIn,
    DeviceOut,
    FeatureCollectionOut,
    LatestOut,
    PositionBatchIn,
    PositionBatchOut,
    PositionPageOut,
    VehicleIn,
    VehicleOut,
)

router = APIRouter(prefix="/api/v1", tags=["tracking"])


def _device_out(view: fleet.DeviceView) -> DeviceOut:
    d = view.device
    return DeviceOut(
        id=d.id,
        kind=d.kind,
        identifier=d.identifier,
        terminal_id=d.terminal_id,
        plate=d.plate,
        simulated=d.simulated,
        registered_at=d.registered_at,
        last_seen_at=d.last_seen_at,
        vehicle=view.vehicle,
        latest_fix_time=view.latest_fix_time,
        created_at=d.created_at,
    )


@router.post("/tracking/positions", response_model=PositionBatchOut, summary="Report positions")
async def post_positions(
    request: Request, session: SessionDep, principal: PrincipalDep, body: PositionBatchIn
) -> PositionBatchOut:
    """Store up to 5,000 fixes of your devices (API key with tracking:write, or a dispatcher).

    Idempotent on (device, fix_time): a retried batch reports the fixes already stored as duplicates.
    The answer comes once the fixes are committed, with one result per item (stored, duplicate, or
    rejected with a code and reason). A malformed item fails the whole request before anything is stored.
    """
    pipeline = getattr(request.app.state, "pipeline", None)
    return await service.ingest_positions(session, principal, pipeline, body.positions)


@router.get("/tracking/positions", response_model=PositionPageOut, summary="A device's positions")
async def get_positions(
    session: SessionDep,
    principal: PrincipalDep,
    device: Annotated[str, Query(min_length=1, max_length=20, description="the device identifier")],
    since: Annotated[datetime | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="up to this time (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1_000,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PositionPageOut:
    """Fixes of a device you own, or of one that carried a waybill you may see (while it carried it)."""
    return await service.list_positions(
        session, principal, device=device, since=since, until=until, limit=limit, cursor=cursor
    )


@router.get(
    "/tracking/latest",
    response_model=list[LatestOut],
    summary="Latest positions of your vehicles",
    responses={
        200: {"content": {"application/geo+json": {"schema": FeatureCollectionOut.model_json_schema()}}}
    },
)
async def get_latest(
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[Literal["json", "geojson"], Query(description="geojson: a FeatureCollection")] = "json",
) -> list[LatestOut] | JSONResponse:
    """The newest plausible fix of each vehicle (and unbound device) of your organisation."""
    latest = await service.latest_positions(session, principal)
    if format == "geojson":
        return JSONResponse(service.as_geojson(latest), media_type="application/geo+json")
    return latest


@router.get("/tracking/devices", response_model=list[DeviceOut], summary="Your devices")
async def get_devices(session: SessionDep, principal: PrincipalDep) -> list[DeviceOut]:
    """Devices of your organisation with the vehicle each is mounted on now and its newest fix time."""
    return [_device_out(v) for v in await fleet.list_devices(session, principal)]


@router.post(
    "/tracking/devices",
    response_model=DeviceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Provision a device",
)
async def post_device(session: SessionDep, principal: PrincipalDep, body: DeviceIn) -> DeviceOut:
    """Provision a JT/T 808 terminal (phone number, terminal id, plate), AIS transponder, receiver or app."""
    device = await fleet.create_device(session, principal, body)
    await session.refresh(device)
    return _device_out(fleet.DeviceView(device, None, None))


@router.get("/tracking/vehicles", response_model=list[VehicleOut], summary="Your vehicles")
async def get_vehicles(session: SessionDep, principal: PrincipalDep) -> list[VehicleOut]:
    """Trucks, vessels, barges and trains of your organisation."""
    return [VehicleOut.model_validate(v) for v in await fleet.list_vehicles(session, principal)]


@router.post(
    "/tracking/vehicles",
    response_model=VehicleOut,
    status_code=status.HTTP_201_CREATED,
    summary="Register a vehicle",
)
async def post_vehicle(session: SessionDep, principal: PrincipalDep, body: VehicleIn) -> VehicleOut:
    """Register a truck (plate), vessel or barge (MMSI) or train (number) of your organisation."""
    vehicle = await fleet.create_vehicle(session, principal, body)
    await session.refresh(vehicle)
    return VehicleOut.model_validate(vehicle)


@router.post(
    "/tracking/devices/{identifier}/bindings",
    response_model=BindingOut,
    status_code=status.HTTP_201_CREATED,
    summary="Mount a device on a vehicle",
)
async def post_binding(
    session: SessionDep,
    principal: PrincipalDep,
    identifier: Annotated[str, Path(max_length=20)],
    body: BindingIn,
) -> BindingOut:
    """Mount the device on one of your vehicles for an interval; an open earlier mounting ends here."""
    binding, device, vehicle = await fleet.bind_device(session, principal, identifier, body)
    return BindingOut(
        id=binding.id,
        device=device.identifier,
        vehicle=vehicle.reference,
        valid_from=binding.valid_from,
        valid_to=binding.valid_to,
    )


@router.post(
    "/waybills/{number}/legs/{seq}/assignments",
    response_model=AssignmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Assign a vehicle to a leg",
    tags=["waybills"],
)
async def post_assignment(
    session: SessionDep,
    principal: PrincipalDep,
    number: str,
    seq: Annotated[int, Path(ge=1, le=12)],
    body: AssignmentIn,
) -> AssignmentOut:
    """The leg's carrier names the vehicle carrying it; its fixes are then attributed to this waybill."""
    assignment, waybill, leg, vehicle = await fleet.assign_vehicle(session, principal, number, seq, body)
    return AssignmentOut(
        id=assignment.id,
        waybill_number=waybill.number,
        leg_seq=leg.seq,
        mode=leg.mode,
        vehicle=vehicle.reference,
        valid_from=assignment.valid_from,
        valid_to=assignment.valid_to,
    )
