"""Every table, imported in one place so migrations and tests see the whole schema."""

from yidan.core.audit import AuditEntry
from yidan.core.db import Base
from yidan.gates.models import GateAppointment, GateLane, GatePass, GateSlot, GateTransaction
from yidan.identity.models import ApiKey, Organisation, RefreshToken, User
from yidan.locations.models import Gate, Location, Terminal
from yidan.partners.models import WebhookDelivery, WebhookSubscription
from yidan.settlement.models import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Quote,
    QuoteLine,
    Refund,
    StripeEvent,
    Tariff,
    TariffCharge,
)
from yidan.tracking.geofence import GeofenceState
from yidan.tracking.models import (
    Device,
    DeviceBinding,
    LatestPosition,
    LegAssignment,
    Position,
    TrackingEpoch,
    Vehicle,
)
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
    "GateAppointment",
    "GateLane",
    "GatePass",
    "GateSlot",
    "GateTransaction",
    "GeofenceState",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "LatestPosition",
    "LedgerEntry",
    "LedgerTransaction",
    "Leg",
    "LegAssignment",
    "Location",
    "Organisation",
    "Party",
    "Payment",
    "Position",
    "Quote",
    "QuoteLine",
    "RefreshToken",
    "Refund",
    "StripeEvent",
    "Tariff",
    "TariffCharge",
    "Terminal",
    "TrackingEpoch",
    "User",
    "Vehicle",
    "Waybill",
    "WebhookDelivery",
    "WebhookSubscription",
    "metadata",
]
