"""GraphQL types, queries and mutations for waybills: resolvers call the service, nested fields loaders."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel
from strawberry.types.base import get_object_definition

from yidan.core.errors import NotFound, field_error
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal
from yidan.identity.graphql import OrganisationType
from yidan.locations.graphql import LocationType
from yidan.waybills import service, views
from yidan.waybills.lifecycle import Classifier, EventType, LegStatus, Mode, WaybillStatus
from yidan.waybills.models import CargoLine, Event, Leg, Party, Waybill
from yidan.waybills.schemas import EventIn, StatusIn, WaybillIn, WaybillPatch

M = TypeVar("M", bound=BaseModel)
G = TypeVar("G")

strawberry.enum(WaybillStatus, description="Where a waybill is in its life.")
strawberry.enum(LegStatus, description="Where a leg is.")
strawberry.enum(Mode, description="Transport mode of a leg (DCSA modeOfTransport).")
strawberry.enum(EventType, description="DCSA event type.")
strawberry.enum(Classifier, description="DCSA event classifier: planned, estimated, actual.")


@strawberry.enum(description="The part a party plays on the waybill.")
class PartyRole(StrEnum):
    SHIPPER = "shipper"
    CONSIGNEE = "consignee"
    NOTIFY = "notify"


@strawberry.enum(description="How the caller's organisation relates to a waybill.")
class WaybillRelation(StrEnum):
    OWNER = "owner"
    CARRIER = "carrier"
    CONSIGNEE = "consignee"


# ---- output ----


def _from_row(cls: type[G], row: object, **values: Any) -> G:
    """A GraphQL object whose plain fields are the row's attributes of the same names, unless given."""
    plain = [f.python_name for f in get_object_definition(cls, strict=True).fields if f.base_resolver is None]
    return cls(**{name: getattr(row, name) for name in plain if name not in values}, **values)


@strawberry.type(name="Party", description="Shipper, consignee or notify party of a waybill.")
class PartyType:
    role: PartyRole
    name: str
    address: str | None
    contact: str | None
    org_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, p: Party) -> PartyType:
        """The GraphQL view of a party."""
        return _from_row(cls, p, role=PartyRole(p.role))

    @strawberry.field(description="The party's organisation when it is a Yidan tenant.")
    async def organisation(self, info: Info) -> OrganisationType | None:
        """The tenant behind the party, if any."""
        if self.org_id is None:
            return None
        org = await info.context.loaders.organisations.load(self.org_id)
        return OrganisationType.from_model(org) if org else None


@strawberry.type(
    name="CargoLine", description="A line of cargo; dangerous goods carry UN number, class and group."
)
class CargoLineType:
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

    @classmethod
    def from_model(cls, c: CargoLine) -> CargoLineType:
        """The GraphQL view of a cargo line."""
        return _from_row(cls, c)


@strawberry.type(name="Equipment", description="A container: ISO 6346 number, size/type code, seals.")
class EquipmentType:
    container_number: str
    size_type: str
    seals: list[str]


@strawberry.type(name="Vehicle", description="What carries a leg: a vessel, a train or a truck.")
class VehicleType:
    vessel_name: str | None
    imo: str | None
    mmsi: str | None
    voyage: str | None
    train_number: str | None
    truck_plate: str | None


@strawberry.type(name="Leg", description="One leg of the route by one mode and carrier, with its times.")
class LegType:
    seq: int
    mode: Mode
    status: LegStatus
    vehicle: VehicleType
    from_terminal: str | None
    from_address: str | None
    to_terminal: str | None
    to_address: str | None
    planned_departure: datetime
    planned_arrival: datetime
    estimated_departure: datetime | None
    estimated_arrival: datetime | None
    actual_departure: datetime | None
    actual_arrival: datetime | None
    carrier_org_id: strawberry.Private[uuid.UUID]
    from_unlocode: strawberry.Private[str]
    to_unlocode: strawberry.Private[str]
    id: strawberry.Private[uuid.UUID]
    waybill_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, leg: Leg) -> LegType:
        """The GraphQL view of a leg."""
        return _from_row(cls, leg, vehicle=_from_row(VehicleType, leg))

    @strawberry.field(description="Confidence (0..1) of the tracking estimate behind estimatedArrival.")
    async def eta_confidence(self, info: Info) -> float | None:
        """The confidence of the leg's latest estimate of arrival."""
        if self.actual_arrival is not None:
            return None
        events = await info.context.loaders.events.load(self.waybill_id)
        return service.estimate_confidence(service.latest_arrival_estimates(events).get(self.id))

    @strawberry.field(description="The carrier organisation running this leg.")
    async def carrier(self, info: Info) -> OrganisationType:
        """The leg's carrier."""
        org = await info.context.loaders.organisations.load(self.carrier_org_id)
        if org is None:  # the foreign key makes this impossible; fail loudly rather than invent a carrier
            raise LookupError(f"carrier {self.carrier_org_id} of a leg is missing")
        return OrganisationType.from_model(org)

    @strawberry.field(description="Where the leg begins.")
    async def from_location(self, info: Info) -> LocationType:
        """The departure place."""
        return LocationType.of(
            self.from_unlocode, await info.context.loaders.locations.load(self.from_unlocode)
        )

    @strawberry.field(description="Where the leg ends.")
    async def to_location(self, info: Info) -> LocationType:
        """The arrival place."""
        return LocationType.of(self.to_unlocode, await info.context.loaders.locations.load(self.to_unlocode))


@strawberry.type(name="Event", description="A DCSA Track & Trace event; appended, never edited.")
class WaybillEventType:
    id: strawberry.ID
    event_type: EventType
    event_code: str
    classifier: Classifier
    event_time: datetime
    recorded_at: datetime
    terminal_code: str | None
    container_number: str | None
    description: str | None
    source: str
    supersedes: strawberry.ID | None = strawberry.field(description="the event this one corrects")
    waybill_id: strawberry.Private[uuid.UUID]
    leg_id: strawberry.Private[uuid.UUID | None]
    unlocode: strawberry.Private[str | None]

    @classmethod
    def from_model(cls, ev: Event) -> WaybillEventType:
        """The GraphQL view of an event."""
        supersedes = strawberry.ID(str(ev.supersedes_id)) if ev.supersedes_id else None
        return _from_row(cls, ev, id=strawberry.ID(str(ev.id)), supersedes=supersedes)

    @strawberry.field(description="The number of the leg the event belongs to, if any.")
    async def leg_seq(self, info: Info) -> int | None:
        """The event's leg."""
        if self.leg_id is None:
            return None
        legs = await info.context.loaders.legs.load(self.waybill_id)
        return next((leg.seq for leg in legs if leg.id == self.leg_id), None)

    @strawberry.field(description="Where the event happened.")
    async def location(self, info: Info) -> LocationType | None:
        """The event's place."""
        if not self.unlocode:
            return None
        return LocationType.of(self.unlocode, await info.context.loaders.locations.load(self.unlocode))


@strawberry.type(name="Eta", description="An arrival estimated from tracking, with its confidence.")
class EtaType:
    arrival: datetime
    confidence: float = strawberry.field(description="0..1")
    computed_at: datetime


@strawberry.type(name="Waybill", description="One electronic waybill for the whole multimodal journey.")
class WaybillType:
    number: str
    reference: str | None
    status: WaybillStatus
    remarks: str | None
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[Waybill]

    @classmethod
    def from_model(cls, w: Waybill) -> WaybillType:
        """The GraphQL view of a waybill (nested lists come from the request's loaders)."""
        return _from_row(cls, w, model=w)

    @strawberry.field(description="True when any cargo line is dangerous goods.")
    async def dangerous_goods(self, info: Info) -> bool:
        """Whether the waybill carries dangerous goods."""
        return any(c.un_number for c in await info.context.loaders.cargo_lines.load(self.model.id))

    @strawberry.field(description="Shipper, consignee and notify party.")
    async def parties(self, info: Info) -> list[PartyType]:
        """The parties."""
        return [PartyType.from_model(p) for p in await info.context.loaders.parties.load(self.model.id)]

    @strawberry.field(description="The cargo, line by line.")
    async def cargo_lines(self, info: Info) -> list[CargoLineType]:
        """The cargo lines."""
        return [
            CargoLineType.from_model(c) for c in await info.context.loaders.cargo_lines.load(self.model.id)
        ]

    @strawberry.field(description="The containers.")
    async def equipment(self, info: Info) -> list[EquipmentType]:
        """The containers."""
        rows = await info.context.loaders.equipment.load(self.model.id)
        return [_from_row(EquipmentType, e, seals=list(e.seals)) for e in rows]

    @strawberry.field(description="The legs of the route, in order.")
    async def legs(self, info: Info) -> list[LegType]:
        """The legs."""
        return [LegType.from_model(leg) for leg in await info.context.loaders.legs.load(self.model.id)]

    @strawberry.field(description="The timeline, in event order.")
    async def events(self, info: Info) -> list[WaybillEventType]:
        """The events."""
        return [WaybillEventType.from_model(e) for e in await info.context.loaders.events.load(self.model.id)]

    @strawberry.field(description="Arrival at the destination estimated from tracking (null when none).")
    async def eta(self, info: Info) -> EtaType | None:
        """The waybill's tracking ETA."""
        legs = await info.context.loaders.legs.load(self.model.id)
        events = await info.context.loaders.events.load(self.model.id)
        eta = views.waybill_eta(legs, service.latest_arrival_estimates(events))
        return EtaType(**eta.model_dump()) if eta else None

    @strawberry.field(description="The statuses the caller may move this waybill to now.")
    def allowed_transitions(self, info: Info) -> list[WaybillStatus]:
        """Next statuses for the caller."""
        return service.transitions_for(require_principal(info), self.model)

    @strawberry.field(description="The public tracking page (shown to the owner and the consignee only).")
    def tracking_url(self, info: Info) -> str | None:
        """The public tracking link."""
        ctx = info.context
        if not service.relations(require_principal(info), self.model) & {"owner", "consignee"}:
            return None
        return views.tracking_url(ctx.settings.public_base_url, ctx.secret, self.model.number)


@strawberry.type(name="PageInfo", description="Where a page of a Relay connection stands.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(description="always false: pages are read forwards")
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(name="WaybillEdge", description="A waybill in a connection, with its cursor.")
class WaybillEdge:
    cursor: str
    node: WaybillType


@strawberry.type(name="WaybillConnection", description="A page of waybills, newest first.")
class WaybillConnection:
    edges: list[WaybillEdge]
    page_info: PageInfo


# ---- input ----


@strawberry.input(description="A party named on the waybill.")
class PartyInput:
    name: str
    address: str | None = strawberry.UNSET
    contact: str | None = strawberry.UNSET
    organisation_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="when the party is a Yidan tenant"
    )


@strawberry.input(description="A cargo line; dangerous goods give UN number, class and packing group.")
class CargoLineInput:
    description: str
    packages: int
    gross_weight_kg: float
    hs_code: str | None = strawberry.UNSET
    package_type: str | None = strawberry.UNSET
    volume_m3: float | None = strawberry.UNSET
    marks: str | None = strawberry.UNSET
    un_number: str | None = strawberry.UNSET
    dg_class: str | None = strawberry.UNSET
    packing_group: str | None = strawberry.UNSET


@strawberry.input(description="A container: ISO 6346 number (check digit verified), size/type code, seals.")
class EquipmentInput:
    container_number: str
    size_type: str | None = strawberry.UNSET
    seals: list[str] | None = strawberry.UNSET


@strawberry.input(description="What carries the leg: a vessel, a train or a truck.")
class VehicleInput:
    vessel_name: str | None = strawberry.UNSET
    imo: str | None = strawberry.UNSET
    mmsi: str | None = strawberry.UNSET
    voyage: str | None = strawberry.UNSET
    train_number: str | None = strawberry.UNSET
    truck_plate: str | None = strawberry.UNSET


@strawberry.input(description="One leg of the route; the next leg begins where this one ends.")
class LegInput:
    mode: Mode
    carrier_id: strawberry.ID
    from_unlocode: str
    to_unlocode: str
    planned_departure: datetime
    planned_arrival: datetime
    vehicle: VehicleInput | None = strawberry.UNSET
    from_terminal: str | None = strawberry.UNSET
    from_address: str | None = strawberry.UNSET
    to_terminal: str | None = strawberry.UNSET
    to_address: str | None = strawberry.UNSET


@strawberry.input(description="A new waybill: a draft, or booked at once with `book: true`.")
class CreateWaybillInput:
    consignee: PartyInput
    cargo_lines: list[CargoLineInput]
    legs: list[LegInput]
    reference: str | None = strawberry.UNSET
    shipper: PartyInput | None = strawberry.UNSET
    notify: PartyInput | None = strawberry.UNSET
    equipment: list[EquipmentInput] | None = strawberry.UNSET
    remarks: str | None = strawberry.UNSET
    book: bool | None = strawberry.UNSET


@strawberry.input(description="Changes to a draft: a list replaces the whole list, null clears a field.")
class UpdateWaybillInput:
    shipper: PartyInput | None = strawberry.UNSET
    consignee: PartyInput | None = strawberry.UNSET
    notify: PartyInput | None = strawberry.UNSET
    cargo_lines: list[CargoLineInput] | None = strawberry.UNSET
    equipment: list[EquipmentInput] | None = strawberry.UNSET
    legs: list[LegInput] | None = strawberry.UNSET
    remarks: str | None = strawberry.UNSET


@strawberry.input(description="A requested status change, e.g. booking or cancelling.")
class ChangeStatusInput:
    status: WaybillStatus
    reason: str | None = strawberry.UNSET


@strawberry.input(description="A Track & Trace event for one leg of the waybill.")
class PostEventInput:
    event_type: EventType
    event_code: str
    classifier: Classifier
    event_time: datetime
    leg_seq: int | None = strawberry.UNSET
    unlocode: str | None = strawberry.UNSET
    terminal_code: str | None = strawberry.UNSET
    container_number: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    supersedes: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="the event this one corrects"
    )


@strawberry.input(description="What a waybill list may be narrowed by.")
class WaybillFilterInput:
    status: list[WaybillStatus] | None = None
    mode: Mode | None = None
    q: str | None = strawberry.field(default=None, description="number, reference, party name or container")
    dangerous_goods: bool | None = None
    origin: str | None = strawberry.field(default=None, description="UN/LOCODE where the first leg begins")
    destination: str | None = strawberry.field(default=None, description="UN/LOCODE where the last leg ends")
    relation: WaybillRelation | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def _plain(value: Any) -> Any:
    """An input object as the JSON-like data the REST models read; fields left out stay out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(v)
            for f in dataclasses.fields(value)
            if (v := getattr(value, f.name)) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def to_model(model: type[M], value: Any) -> M:
    """Validate a GraphQL input with the REST model, so both APIs accept exactly the same data."""
    return model.model_validate(_plain(value))


def _filter(flt: WaybillFilterInput | None) -> service.WaybillFilter:
    if flt is None:
        return service.WaybillFilter()
    if flt.q is not None and len(flt.q) > 100:
        raise field_error("filter.q", "at most 100 characters")
    for name in ("origin", "destination"):
        code = getattr(flt, name)
        if code is not None and len(code) != 5:
            raise field_error(f"filter.{name}", "a UN/LOCODE has 5 characters")
    return service.WaybillFilter(
        status=list(flt.status or []),
        mode=flt.mode,
        q=flt.q,
        dangerous_goods=flt.dangerous_goods,
        origin=flt.origin,
        destination=flt.destination,
        relation=flt.relation.value if flt.relation else None,
        created_from=flt.created_from,
        created_to=flt.created_to,
    )


def _node(info: Info, waybill: Waybill) -> WaybillType:
    """A waybill fresh from a command: cached children are replaced by what the service holds."""
    loaders = info.context.loaders
    loaders.forget(waybill.id)
    loaders.adopt(waybill)
    return WaybillType.from_model(waybill)


@strawberry.type
class WaybillsQuery:
    """Waybill queries."""

    @strawberry.field(description="A waybill the caller may see; null when there is none or it is not yours.")
    async def waybill(self, info: Info, number: str) -> WaybillType | None:
        """One waybill by number."""
        principal = require_principal(info)
        try:
            async with info.context.db() as session:
                waybill = await service.get_waybill(session, principal, number)
        except NotFound:
            return None
        info.context.loaders.adopt(waybill)
        return WaybillType.from_model(waybill)

    @strawberry.field(description="Waybills the caller may see, newest first (Relay connection).")
    async def waybills(
        self, info: Info, first: int = 20, after: str | None = None, filter: WaybillFilterInput | None = None
    ) -> WaybillConnection:
        """A page of waybills after a cursor."""
        principal = require_principal(info)
        ctx = info.context
        page_max = ctx.settings.page_size_max
        if not 1 <= first <= page_max:
            raise field_error("first", f"must be between 1 and {page_max}")
        if after is not None:
            decode_cursor(after, "after")
        flt = _filter(filter)
        async with ctx.db() as session:
            rows, next_cursor = await service.list_waybills(
                session, principal, flt, limit=first, cursor=after
            )
        edges = []
        for w in rows:
            ctx.loaders.adopt(w)
            edges.append(
                WaybillEdge(cursor=encode_cursor(w.created_at, w.id), node=WaybillType.from_model(w))
            )
        page = PageInfo(
            has_next_page=next_cursor is not None,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return WaybillConnection(edges=edges, page_info=page)


@strawberry.type(name="CreateWaybillPayload")
class CreateWaybillPayload:
    waybill: WaybillType


@strawberry.type(name="UpdateWaybillPayload")
class UpdateWaybillPayload:
    waybill: WaybillType


@strawberry.type(name="ChangeWaybillStatusPayload")
class ChangeWaybillStatusPayload:
    waybill: WaybillType


@strawberry.type(name="PostEventPayload")
class PostEventPayload:
    event: WaybillEventType
    waybill: WaybillType


@strawberry.type
class WaybillsMutation:
    """Waybill commands; each one is durable once the whole operation has succeeded."""

    @strawberry.mutation(description="Create a draft waybill, or book it at once with `book: true`.")
    async def create_waybill(self, info: Info, input: CreateWaybillInput) -> CreateWaybillPayload | None:
        """Create a waybill."""
        principal = require_principal(info)
        data = to_model(WaybillIn, input)
        async with info.context.db() as session:
            created = await service.create_waybill(session, principal, data)
            # read back like REST does: database defaults (times) are only known after a fresh select
            waybill = await service.get_waybill(session, principal, created.number)
        return CreateWaybillPayload(waybill=_node(info, waybill))

    @strawberry.mutation(description="Edit a draft waybill; lists given replace the whole list.")
    async def update_waybill(
        self, info: Info, number: str, input: UpdateWaybillInput
    ) -> UpdateWaybillPayload | None:
        """Edit a draft."""
        principal = require_principal(info)
        patch = to_model(WaybillPatch, input)
        async with info.context.db() as session:
            await service.update_draft(session, principal, number, patch)
            waybill = await service.get_waybill(session, principal, number)
        return UpdateWaybillPayload(waybill=_node(info, waybill))

    @strawberry.mutation(description="Move a waybill along its lifecycle: book, cancel, deliver, close.")
    async def change_waybill_status(
        self, info: Info, number: str, input: ChangeStatusInput
    ) -> ChangeWaybillStatusPayload | None:
        """Change a waybill's status."""
        principal = require_principal(info)
        change = to_model(StatusIn, input)
        async with info.context.db() as session:
            await service.change_status(session, principal, number, change.status, change.reason)
            waybill = await service.get_waybill(session, principal, number)
        return ChangeWaybillStatusPayload(waybill=_node(info, waybill))

    @strawberry.mutation(description="Append a Track & Trace event for a leg; only that leg's carrier may.")
    async def post_event(self, info: Info, number: str, input: PostEventInput) -> PostEventPayload | None:
        """Post an event."""
        principal = require_principal(info)
        data = to_model(EventIn, input)
        async with info.context.db() as session:
            event = await service.post_event(session, principal, number, data)
            waybill = await service.get_waybill(session, principal, number)
        node = _node(info, waybill)
        # the timeline query also fills in what the database set on the new event (recording time, sequence)
        timeline = await info.context.loaders.events.load(waybill.id)
        posted = next(e for e in timeline if e.id == event.id)
        return PostEventPayload(event=WaybillEventType.from_model(posted), waybill=node)
