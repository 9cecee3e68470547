"""Every table, imported in one place so migrations and tests see the whole schema."""

from yidan.core.audit import AuditEntry
from yidan.core.db import Base
from yidan.identity.models import ApiKey, Organisation, RefreshToken, User
from yidan.locations.models import Gate, Location, Terminal
from yidan.tracking.models import Device, DeviceBinding, LatestPosition, LegAssignment, Position, Vehicle
from yidan.waybills.models import CargoLine, Equipment, Event, Leg, Party, Waybill

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "AuditEntry",
    "CargoLine",
    "Device",
    "DeviceBinding",
    "Equipment",
    "Event",
    "Gate",
    "LatestPosition",
    "Leg",
    "LegAssignment",
    "Location",
    "Organisation",
    "Party",
    "Position",
    "RefreshToken",
    "Terminal",
    "User",
    "Vehicle",
    "Waybill",
    "metadata",
]
