"""Every table, imported in one place so migrations and tests see the whole schema."""

from yidan.core.audit import AuditEntry
from yidan.core.db import Base
from yidan.identity.models import ApiKey, Organisation, RefreshToken, User
from yidan.locations.models import Gate, Location, Terminal
from yidan.waybills.models import CargoLine, Equipment, Event, Leg, Party, Waybill

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "AuditEntry",
    "CargoLine",
    "Equipment",
    "Event",
    "Gate",
    "Leg",
    "Location",
    "Organisation",
    "Party",
    "RefreshToken",
    "Terminal",
    "User",
    "Waybill",
    "metadata",
]
