"""Helpers for the ingestion tests: devices, vehicles and waybills made directly, and fixes."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.tracking.decoders.fix import Fix
from yidan.tracking.models import Device, DeviceBinding, DeviceKind, Position, Vehicle, VehicleKind

Maker = async_sessionmaker[AsyncSession]


def phone() -> str:
    """A random 11-digit terminal phone number."""
    return "1" + "".join(random.choices("0123456789", k=10))


def mmsi() -> str:
    """A random MMSI."""
    return "4" + "".join(random.choices("0123456789", k=8))


def plate() -> str:
    """A random valid Shaanxi truck plate, normalised."""
    return "陕A" + "".join(random.choices("0123456789", k=5))


def now() -> datetime:
    """Now, whole seconds (JT/T 808 time resolution), UTC."""
    return datetime.now(UTC).replace(microsecond=0)


async def make_device(
    maker: Maker,
    org_id: uuid.UUID,
    kind: DeviceKind = DeviceKind.JT808,
    identifier: str | None = None,
    *,
    device_plate: str | None = None,
) -> Device:
    """A device row of the organisation."""
    ident = identifier or (mmsi() if kind is DeviceKind.AIS else phone())
    async with maker() as session:
        device = Device(org_id=org_id, kind=kind, identifier=ident, plate=device_plate, simulated=False)
        session.add(device)
        await session.commit()
        return device


async def make_vehicle(
    maker: Maker, org_id: uuid.UUID, kind: VehicleKind = VehicleKind.TRUCK, reference: str | None = None
) -> Vehicle:
    """A vehicle row of the organisation."""
    ref = reference or (plate() if kind is VehicleKind.TRUCK else mmsi())
    async with maker() as session:
        vehicle = Vehicle(org_id=org_id, kind=kind, reference=ref)
        session.add(vehicle)
        await session.commit()
        return vehicle


async def bind(
    maker: Maker, device: Device, vehicle: Vehicle, valid_from: datetime, valid_to: datetime | None = None
) -> None:
    """Mount device on vehicle."""
    async with maker() as session:
        session.add(
            DeviceBinding(
                device_id=device.id, vehicle_id=vehicle.id, valid_from=valid_from, valid_to=valid_to
            )
        )
        await session.commit()


def fix(
    device: Device | str,
    at: datetime,
    lat: float = 29.87,
    lon: float = 121.55,
    source: str = "jt808",
    **kw: Any,
) -> Fix:
    """A fix of device at a time (default: in Ningbo)."""
    ident = device if isinstance(device, str) else device.identifier
    return Fix(device_id=ident, source=source, fix_time=at, lat=lat, lon=lon, **kw)  # type: ignore[arg-type]


async def count_rows(maker: Maker, device_id: uuid.UUID) -> int:
    """How many positions a device has."""
    async with maker() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Position).where(Position.device_id == device_id)
            )
            or 0
        )


def tracked_waybill_body(
    carrier_ids: list[uuid.UUID],
    *,
    truck_plate: str,
    vessel_mmsi: str,
    start: datetime,
    book: bool = True,
) -> dict[str, object]:
    """A booked Ningbo → Qingdao → Xi'an booking whose vessel leg runs from start and truck leg later."""
    h = timedelta(hours=1)
    route = [
        ("VESSEL", "CNNGB", "CNTAO", start, start + 40 * h),
        ("RAIL", "CNTAO", "CNXIA", start + 48 * h, start + 90 * h),
        ("TRUCK", "CNXIA", "CNXIA", start + 96 * h, start + 102 * h),
    ]
    vehicles = [
        {"vessel_name": "TEST VESSEL", "voyage": "001N", "mmsi": vessel_mmsi},
        {"train_number": "X1"},
        {"truck_plate": truck_plate},
    ]
    legs = [
        {
            "mode": mode,
            "carrier_id": str(carrier_ids[i % len(carrier_ids)]),
            "vehicle": vehicles[i],
            "from_unlocode": frm,
            "to_unlocode": to,
            "planned_departure": dep.isoformat(),
            "planned_arrival": arr.isoformat(),
        }
        for i, (mode, frm, to, dep, arr) in enumerate(route)
    ]
    return {
        "consignee": {"name": "Shaanxi Consignee Co.", "address": "Xi'an"},
        "cargo_lines": [{"description": "Machine parts", "packages": 10, "gross_weight_kg": 5000.5}],
        "legs": legs,
        "book": book,
    }
