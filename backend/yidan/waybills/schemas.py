"""Waybill API input and output; input rejects unknown fields and names the field of every error."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yidan.waybills import identifiers as ids
from yidan.waybills.lifecycle import Classifier, EventType, LegStatus, Mode, WaybillStatus

ContainerNumber = Annotated[str, AfterValidator(ids.validate_container_number)]
SizeType = Annotated[str, AfterValidator(ids.validate_size_type)]
UnLocode = Annotated[str, AfterValidator(ids.validate_unlocode)]
UnNumber = Annotated[str, AfterValidator(ids.validate_un_number)]
DgClass = Annotated[str, AfterValidator(ids.validate_dg_class)]
PackingGroup = Annotated[str, AfterValidator(ids.validate_packing_group)]
HsCode = Annotated[str, AfterValidator(ids.validate_hs_code)]
Imo = Annotated[str, AfterValidator(ids.validate_imo)]
Mmsi = Annotated[str, AfterValidator(ids.validate_mmsi)]
Plate = Annotated[str, AfterValidator(ids.validate_cn_plate)]


class StrictIn(BaseModel):
    """Base for input: unknown fields are errors; strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartyIn(StrictIn):
    """A party named on the waybill."""

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    contact: str | None = Field(default=None, max_length=200)
    organisation_id: uuid.UUID | None = Field(default=None, description="when the party is a Yidan tenant")


class CargoLineIn(StrictIn):
    """A cargo line; dangerous goods give UN number, class and packing group."""

    description: str = Field(min_length=1, max_length=500)
    hs_code: HsCode | None = None
    packages: int = Field(ge=1, le=1_000_000)
    package_type: str = Field(default="PK", min_length=2, max_length=10)
    gross_weight_kg: float = Field(gt=0, le=200_000)
    volume_m3: float | None = Field(default=None, ge=0, le=10_000)
    marks: str | None = Field(default=None, max_length=500)
    un_number: UnNumber | None = None
    dg_class: DgClass | None = None
    packing_group: PackingGroup | None = None

    @model_validator(mode="after")
    def _dg_complete(self) -> CargoLineIn:
        if self.un_number and not self.dg_class:
            raise ValueError("dg_class is required when un_number is given")
        if self.dg_class and not self.un_number:
            raise ValueError("un_number is required when dg_class is given")
        return self


class EquipmentIn(StrictIn):
    """A container: ISO 6346 number (check digit verified), size/type code, seals."""

    container_number: ContainerNumber
    size_type: SizeType = "42G1"
    seals: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=6
    )


class VehicleIn(StrictIn):
    """What carries the leg: a vessel, a train or a truck."""

    vessel_name: str | None = Field(default=None, max_length=100)
    imo: Imo | None = None
    mmsi: Mmsi | None = None
    voyage: str | None = Field(default=None, max_length=20)
    train_number: str | None = Field(default=None, max_length=20)
    truck_plate: Plate | None = None


class LegIn(StrictIn):
    """One leg of the route; legs must connect, the next beginning where this one ends."""

    mode: Mode
    carrier_id: uuid.UUID
    vehicle: VehicleIn = Field(default_factory=VehicleIn)
    from_unlocode: UnLocode
    from_terminal: str | None = Field(default=None, max_length=20)
    from_address: str | None = Field(default=None, max_length=300)
    to_unlocode: UnLocode
    to_terminal: str | None = Field(default=None, max_length=20)
    to_address: str | None = Field(default=None, max_length=300)
    planned_departure: AwareDatetime
    planned_arrival: AwareDatetime

    @model_validator(mode="after")
    def _times(self) -> LegIn:
        if self.planned_arrival <= self.planned_departure:
            raise ValueError("planned_arrival must be after planned_departure")
        if self.mode is not Mode.TRUCK and self.vehicle.truck_plate:
            raise ValueError(f"truck_plate is only for TRUCK legs, this leg is {self.mode.value}")
        if self.mode not in (Mode.VESSEL, Mode.BARGE) and (self.vehicle.imo or self.vehicle.mmsi):
            raise ValueError(f"imo/mmsi are only for VESSEL or BARGE legs, this leg is {self.mode.value}")
        return self


class WaybillIn(StrictIn):
    """A new waybill (a draft, or booked at once with `book`)."""

    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="your booking reference; unique in your organisation",
    )
    shipper: PartyIn | None = Field(default=None, description="defaults to the caller's organisation")
    consignee: PartyIn
    notify: PartyIn | None = None
    cargo_lines: list[CargoLineIn] = Field(min_length=1, max_length=500)
    equipment: list[EquipmentIn] = Field(default_factory=list, max_length=200)
    legs: list[LegIn] = Field(min_length=1, max_length=12)
    remarks: str | None = Field(default=None, max_length=2000)
    book: bool = Field(default=False, description="book at once instead of saving a draft")


class WaybillPatch(StrictIn):
    """Changes to a draft; a list given replaces the whole list."""

    shipper: PartyIn | None = None
    consignee: PartyIn | None = None
    notify: PartyIn | None = None
    cargo_lines: list[CargoLineIn] | None = Field(default=None, min_length=1, max_length=500)
    equipment: list[EquipmentIn] | None = Field(default=None, max_length=200)
    legs: list[LegIn] | None = Field(default=None, min_length=1, max_length=12)
    remarks: str | None = Field(default=None, max_length=2000)


class StatusIn(StrictIn):
    """A requested status change."""

    status: WaybillStatus
    reason: str | None = Field(default=None, max_length=500)


class EventIn(StrictIn):
    """A Track & Trace event for one leg of the waybill."""

    event_type: EventType
    event_code: str = Field(min_length=4, max_length=4)
    classifier: Classifier
    event_time: AwareDatetime
    leg_seq: int | None = Field(default=None, ge=1, le=12)
    unlocode: UnLocode | None = None
    terminal_code: str | None = Field(default=None, max_length=20)
    container_number: ContainerNumber | None = None
    description: str | None = Field(default=None, max_length=500)
    supersedes: uuid.UUID | None = Field(default=None, description="the event this one corrects")


# ---- output ----


class PlaceOut(BaseModel):
    """A place as shown with a waybill."""

    unlocode: str
    name: str
    name_zh: str | None = None
    lat: float | None = None
    lon: float | None = None


class CarrierOut(BaseModel):
    """The carrier of a leg."""

    id: uuid.UUID
    name: str


class PartyOut(BaseModel):
    """A party of the waybill."""

    role: Literal["shipper", "consignee", "notify"]
    name: str
    address: str | None = None
    contact: str | None = None
    organisation_id: uuid.UUID | None = None


class CargoLineOut(BaseModel):
    """A cargo line."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    description: str
    hs_code: str | None
    packages: int
    package_type: str
    gross_weight_kg: float
    volume_m3: float | None
    marks: str | None
    un_number: str | None
    dg_class: str | None
    packing_group: str | None


class EquipmentOut(BaseModel):
    """A container."""

    model_config = ConfigDict(from_attributes=True)

    container_number: str
    size_type: str
    seals: list[str]


class VehicleOut(BaseModel):
    """What carries a leg."""

    vessel_name: str | None = None
    imo: str | None = None
    mmsi: str | None = None
    voyage: str | None = None
    train_number: str | None = None
    truck_plate: str | None = None


class LegOut(BaseModel):
    """A leg with its planned, estimated and actual times."""

    seq: int
    mode: Mode
    status: LegStatus
    carrier: CarrierOut
    vehicle: VehicleOut
    from_location: PlaceOut
    to_location: PlaceOut
    from_terminal: str | None
    to_terminal: str | None
    from_address: str | None
    to_address: str | None
    planned_departure: datetime
    planned_arrival: datetime
    estimated_departure: datetime | None
    estimated_arrival: datetime | None
    actual_departure: datetime | None
    actual_arrival: datetime | None
    eta_confidence: float | None = Field(
        default=None, description="confidence (0..1) of the tracking estimate behind estimated_arrival"
    )


class EtaOut(BaseModel):
    """The arrival Yidan estimates from tracking, with its confidence."""

    arrival: datetime
    confidence: float = Field(description="0..1; falls with few fixes, stale data or legs still ahead")
    computed_at: datetime


class EventOut(BaseModel):
    """An event of the timeline."""

    id: uuid.UUID
    event_type: EventType
    event_code: str
    classifier: Classifier
    event_time: datetime
    recorded_at: datetime
    leg_seq: int | None
    location: PlaceOut | None
    terminal_code: str | None
    container_number: str | None
    description: str | None
    source: str
    supersedes: uuid.UUID | None


class WaybillOut(BaseModel):
    """A whole waybill."""

    number: str
    reference: str | None
    status: WaybillStatus
    created_at: datetime
    updated_at: datetime
    remarks: str | None
    dangerous_goods: bool
    parties: list[PartyOut]
    cargo_lines: list[CargoLineOut]
    equipment: list[EquipmentOut]
    legs: list[LegOut]
    events: list[EventOut]
    eta: EtaOut | None = Field(
        default=None, description="arrival at the destination estimated from tracking (null when none)"
    )
    allowed_transitions: list[WaybillStatus] = Field(
        description="statuses the caller may move this waybill to"
    )
    tracking_url: str | None = Field(
        default=None, description="public tracking page (owner and consignee only)"
    )


class WaybillSummaryOut(BaseModel):
    """A waybill in a list."""

    number: str
    reference: str | None
    status: WaybillStatus
    shipper_name: str
    consignee_name: str
    origin: PlaceOut
    destination: PlaceOut
    modes: list[Mode]
    dangerous_goods: bool
    created_at: datetime
    updated_at: datetime


class WaybillPageOut(BaseModel):
    """A page of waybills and the cursor of the next page (null at the end)."""

    items: list[WaybillSummaryOut]
    next_cursor: str | None


class AuditOut(BaseModel):
    """An audit entry."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    ip: str | None
    changes: dict[str, object]


class PublicLegOut(BaseModel):
    """What a consignee may see of a leg."""

    seq: int
    mode: Mode
    status: LegStatus
    from_location: PlaceOut
    to_location: PlaceOut
    planned_arrival: datetime
    estimated_arrival: datetime | None
    actual_arrival: datetime | None


class PublicEventOut(BaseModel):
    """What a consignee may see of an event."""

    event_code: str
    classifier: Classifier
    event_time: datetime
    location: PlaceOut | None


class PublicTrackingOut(BaseModel):
    """The public tracking view behind the e-waybill's QR code."""

    number: str
    status: WaybillStatus
    origin: PlaceOut
    destination: PlaceOut
    legs: list[PublicLegOut]
    events: list[PublicEventOut]
