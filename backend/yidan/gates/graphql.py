"""GraphQL queries and mutations for gates: resolvers call the gate services."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import strawberry

from yidan.core.errors import NotFound, field_error
from yidan.core.pagination import encode_cursor
from yidan.gates import appointments, passes, reports, scans, slots
from yidan.gates.access import gate_and_terminal
from yidan.gates.config import DEFAULT_TZ, GateConfig, config_for
from yidan.gates.graphql_types import (
    ChangeGateSlotCapacityPayload,
    GateAppointmentPayload,
    GateAppointmentType,
    GateArrivalSlotType,
    GateArrivalsType,
    GateDenialReasonType,
    GateDenialsType,
    GateDwellItemType,
    GateDwellType,
    GateLaneType,
    GatePassKeyType,
    GatePassType,
    GateSlotType,
    GateTransactionConnection,
    GateTransactionEdge,
    GateTransactionPayload,
    GateTransactionType,
    PublishGateLanesPayload,
    PublishGateSlotsPayload,
    RevokeGatePassPayload,
    build,
    gid,
)
from yidan.gates.models import AppointmentKind, AppointmentStatus, Direction, LaneDirection, ScanResult
from yidan.gates.schemas import (
    AppointmentIn,
    LanesIn,
    OverrideIn,
    ReasonIn,
    RescheduleIn,
    ScanIn,
    SlotPatch,
    SlotsIn,
)
from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal
from yidan.waybills.graphql import PageInfo, to_model


def _cfg(info: Info) -> GateConfig:
    return config_for(info.context.settings, info.context.secret)


def _uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise field_error(name, "not a valid id") from exc


# ---- input ----


@strawberry.input(
    description="Slots to publish: the window cut into slot_minutes pieces, each with a capacity."
)
class PublishGateSlotsInput:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    slot_minutes: int | None = strawberry.UNSET


@strawberry.input(description="A lane of the gate as the terminal publishes it.")
class GateLaneInput:
    code: str
    direction: LaneDirection
    is_open: bool | None = strawberry.UNSET


@strawberry.input(description="Lanes of a gate; lanes not listed are left as they are.")
class PublishGateLanesInput:
    lanes: list[GateLaneInput]


@strawberry.input(description="The driver: name, mobile phone and driving licence number.")
class GateDriverInput:
    name: str
    phone: str
    licence: str


@strawberry.input(description="A truck booked into a slot for a TRUCK leg's pickup or drop-off.")
class BookGateAppointmentInput:
    waybill_number: str
    leg_seq: int
    kind: AppointmentKind
    slot_id: strawberry.ID
    truck_plate: str
    driver: GateDriverInput
    container_number: str


@strawberry.input(description="Another slot, truck or driver for an appointment.")
class RescheduleGateAppointmentInput:
    slot_id: strawberry.ID | None = strawberry.UNSET
    truck_plate: str | None = strawberry.UNSET
    driver: GateDriverInput | None = strawberry.UNSET
    reason: str | None = strawberry.UNSET


@strawberry.input(
    description="What a lane read: the pass token, and the plate and container from its cameras."
)
class ScanGatePassInput:
    token: str
    plate: str
    lane: str
    direction: Direction
    container: str | None = strawberry.UNSET


@strawberry.input(description="A gate operator's decision on a denied or inspected scan.")
class OverrideGateTransactionInput:
    decision: ScanResult
    reason: str


# ---- queries ----


@strawberry.type
class GatesQuery:
    """Gate queries."""

    @strawberry.field(description="Slots of a gate for one local day (today by default).")
    async def gate_slots(
        self, info: Info, gate: str, day: date | None = None, tz: str = DEFAULT_TZ
    ) -> list[GateSlotType]:
        """Slots with their free places."""
        require_principal(info)
        async with info.context.db() as session:
            g, _ = await gate_and_terminal(session, gate)
            _, frm, to = slots.day_window(day, tz)
            rows = await slots.list_slots(session, g.code, frm, to)
        return [GateSlotType.of(slots.slot_out(s)) for s in rows]

    @strawberry.field(description="The lanes of a gate.")
    async def gate_lanes(self, info: Info, gate: str) -> list[GateLaneType]:
        """Lanes as published by the terminal."""
        require_principal(info)
        async with info.context.db() as session:
            g, _ = await gate_and_terminal(session, gate)
            rows = await slots.list_lanes(session, g.code)
        return [GateLaneType(code=r.code, direction=r.direction, is_open=r.is_open) for r in rows]

    @strawberry.field(description="Appointments the caller may see; a local day when `day` is given.")
    async def gate_appointments(
        self,
        info: Info,
        gate: str | None = None,
        day: date | None = None,
        tz: str = DEFAULT_TZ,
        status: list[AppointmentStatus] | None = None,
        waybill: str | None = None,
    ) -> list[GateAppointmentType]:
        """Appointments by slot time."""
        principal = require_principal(info)
        frm = to = None
        if day is not None:
            _, frm, to = slots.day_window(day, tz)
        cfg = _cfg(info)
        async with info.context.db() as session:
            rows = await appointments.list_appointments(
                session,
                principal,
                gate_code=gate,
                frm=frm,
                to=to,
                status=status or (),
                waybill_number=waybill,
            )
        return [GateAppointmentType.of(appointments.appointment_out(b, cfg)) for b in rows]

    @strawberry.field(
        description="An appointment the caller may see; null when there is none or it is not yours."
    )
    async def gate_appointment(self, info: Info, id: strawberry.ID) -> GateAppointmentType | None:
        """One appointment."""
        principal = require_principal(info)
        try:
            async with info.context.db() as session:
                b = await appointments.load(session, principal, _uuid(id, "id"))
        except NotFound:
            return None
        return GateAppointmentType.of(appointments.appointment_out(b, _cfg(info)))

    @strawberry.field(
        description="A gate pass the caller may see; null when there is none or it is not yours."
    )
    async def gate_pass(self, info: Info, id: strawberry.ID) -> GatePassType | None:
        """One pass."""
        principal = require_principal(info)
        try:
            async with info.context.db() as session:
                b = await appointments.load_by_pass(session, principal, _uuid(id, "id"))
        except NotFound:
            return None
        assert b.gate_pass is not None
        return GatePassType.of(passes.pass_out(b.gate_pass, b.appointment, b.gate, _cfg(info)))

    @strawberry.field(description="A gate transaction the caller may see; null otherwise.")
    async def gate_transaction(self, info: Info, id: strawberry.ID) -> GateTransactionType | None:
        """One transaction."""
        principal = require_principal(info)
        try:
            async with info.context.db() as session:
                row = await reports.get_transaction(session, principal, _uuid(id, "id"))
                view = (await reports.transaction_views(session, [row]))[0]
        except NotFound:
            return None
        return GateTransactionType.of(view)

    @strawberry.field(description="A gate's scans and overrides, newest first (today by default).")
    async def gate_transactions(
        self,
        info: Info,
        gate: str,
        first: int = 50,
        after: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        result: ScanResult | None = None,
    ) -> GateTransactionConnection:
        """A page of transactions."""
        principal = require_principal(info)
        if not 1 <= first <= info.context.settings.page_size_max:
            raise field_error("first", f"must be between 1 and {info.context.settings.page_size_max}")
        async with info.context.db() as session:
            rows, nxt = await reports.list_transactions(
                session, principal, gate, frm=from_, to=to, result=result, limit=first, cursor=after
            )
            views = await reports.transaction_views(session, rows)
        edges = [
            GateTransactionEdge(cursor=encode_cursor(v.scanned_at, v.id), node=GateTransactionType.of(v))
            for v in views
        ]
        page = PageInfo(
            has_next_page=nxt is not None,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return GateTransactionConnection(edges=edges, page_info=page)

    @strawberry.field(description="Arrivals against slots for one local day at a gate.")
    async def gate_arrivals(
        self, info: Info, gate: str, day: date | None = None, tz: str = DEFAULT_TZ
    ) -> GateArrivalsType:
        """The arrivals report."""
        principal = require_principal(info)
        async with info.context.db() as session:
            r = await reports.arrivals(session, principal, gate, day, tz)
        return build(
            GateArrivalsType,
            r,
            slots=[build(GateArrivalSlotType, s, slot_id=gid(s.slot_id)) for s in r.slots],
        )

    @strawberry.field(description="Dwell time between gate-in and gate-out (today by default).")
    async def gate_dwell(
        self,
        info: Info,
        gate: str,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> GateDwellType:
        """The dwell report."""
        principal = require_principal(info)
        async with info.context.db() as session:
            r = await reports.dwell(session, principal, gate, from_, to)
        items = [build(GateDwellItemType, i, appointment_id=gid(i.appointment_id)) for i in r.items]
        return build(GateDwellType, r, items=items)

    @strawberry.field(description="Scan answers and how often each reason came up (today by default).")
    async def gate_denials(
        self,
        info: Info,
        gate: str,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> GateDenialsType:
        """The denials report."""
        principal = require_principal(info)
        async with info.context.db() as session:
            r = await reports.denials(session, principal, gate, from_, to)
        return build(GateDenialsType, r, by_reason=[build(GateDenialReasonType, x) for x in r.by_reason])

    @strawberry.field(description="The public keys that verify gate-pass tokens offline.")
    def gate_pass_keys(self, info: Info) -> list[GatePassKeyType]:
        """JWKs of the pass-signing keys."""
        return [GatePassKeyType(**k) for k in _cfg(info).keys.jwks()]


# ---- mutations ----


@strawberry.type
class GatesMutation:
    """Gate commands; each is durable once the whole operation has succeeded."""

    @strawberry.mutation(description="Publish slots for a gate (its terminal's operators).")
    async def publish_gate_slots(
        self, info: Info, gate: str, input: PublishGateSlotsInput
    ) -> PublishGateSlotsPayload | None:
        """Publish slots."""
        principal = require_principal(info)
        data = to_model(SlotsIn, input)
        async with info.context.db() as session:
            rows = await slots.publish_slots(session, principal, gate, data)
        return PublishGateSlotsPayload(slots=[GateSlotType.of(slots.slot_out(s)) for s in rows])

    @strawberry.mutation(description="Create or change lanes of a gate (its terminal's operators).")
    async def publish_gate_lanes(
        self, info: Info, gate: str, input: PublishGateLanesInput
    ) -> PublishGateLanesPayload | None:
        """Publish lanes."""
        principal = require_principal(info)
        data = to_model(LanesIn, input)
        async with info.context.db() as session:
            rows = await slots.publish_lanes(session, principal, gate, data)
        return PublishGateLanesPayload(
            lanes=[GateLaneType(code=r.code, direction=r.direction, is_open=r.is_open) for r in rows]
        )

    @strawberry.mutation(description="Change a slot's capacity (never below what is booked).")
    async def change_gate_slot_capacity(
        self, info: Info, id: strawberry.ID, capacity: int
    ) -> ChangeGateSlotCapacityPayload | None:
        """Change capacity."""
        principal = require_principal(info)
        data = SlotPatch(capacity=capacity)
        async with info.context.db() as session:
            slot = await slots.change_capacity(session, principal, _uuid(id, "id"), data.capacity)
        return ChangeGateSlotCapacityPayload(slot=GateSlotType.of(slots.slot_out(slot)))

    @strawberry.mutation(
        description="Book a slot for a TRUCK leg's pickup or drop-off; the pass is issued at once."
    )
    async def book_gate_appointment(
        self, info: Info, input: BookGateAppointmentInput
    ) -> GateAppointmentPayload | None:
        """Book an appointment."""
        principal = require_principal(info)
        data = to_model(AppointmentIn, input)
        cfg = _cfg(info)
        async with info.context.db() as session:
            b = await appointments.book(session, principal, data, cfg.keys.kid)
        return GateAppointmentPayload(
            appointment=GateAppointmentType.of(appointments.appointment_out(b, cfg))
        )

    @strawberry.mutation(description="Move an appointment or change truck or driver; the pass is reissued.")
    async def reschedule_gate_appointment(
        self, info: Info, id: strawberry.ID, input: RescheduleGateAppointmentInput
    ) -> GateAppointmentPayload | None:
        """Reschedule."""
        principal = require_principal(info)
        data = to_model(RescheduleIn, input)
        cfg = _cfg(info)
        async with info.context.db() as session:
            b = await appointments.reschedule(session, principal, _uuid(id, "id"), data, cfg.keys.kid)
        return GateAppointmentPayload(
            appointment=GateAppointmentType.of(appointments.appointment_out(b, cfg))
        )

    @strawberry.mutation(
        description="Cancel an appointment: the place returns to the slot, the pass is revoked."
    )
    async def cancel_gate_appointment(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> GateAppointmentPayload | None:
        """Cancel."""
        principal = require_principal(info)
        data = ReasonIn(reason=reason)
        async with info.context.db() as session:
            b = await appointments.cancel(session, principal, _uuid(id, "id"), data.reason)
        return GateAppointmentPayload(
            appointment=GateAppointmentType.of(appointments.appointment_out(b, _cfg(info)))
        )

    @strawberry.mutation(
        description="Issue a fresh pass for a confirmed appointment (an active one is revoked)."
    )
    async def reissue_gate_pass(
        self, info: Info, appointment_id: strawberry.ID, reason: str
    ) -> GateAppointmentPayload | None:
        """Reissue the pass."""
        principal = require_principal(info)
        data = ReasonIn(reason=reason)
        cfg = _cfg(info)
        async with info.context.db() as session:
            b = await appointments.reissue_pass(
                session, principal, _uuid(appointment_id, "appointmentId"), data.reason, cfg.keys.kid
            )
        return GateAppointmentPayload(
            appointment=GateAppointmentType.of(appointments.appointment_out(b, cfg))
        )

    @strawberry.mutation(description="Revoke a gate pass; lanes refuse it from now on.")
    async def revoke_gate_pass(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> RevokeGatePassPayload | None:
        """Revoke a pass."""
        principal = require_principal(info)
        data = ReasonIn(reason=reason)
        async with info.context.db() as session:
            b = await appointments.revoke_pass(session, principal, _uuid(id, "id"), data.reason)
        assert b.gate_pass is not None
        return RevokeGatePassPayload(
            gate_pass=GatePassType.of(passes.pass_out(b.gate_pass, b.appointment, b.gate, _cfg(info)))
        )

    @strawberry.mutation(
        description="A lane scan: check the pass and the reads, answer admit, deny or inspect."
    )
    async def scan_gate_pass(
        self, info: Info, gate: str, input: ScanGatePassInput
    ) -> GateTransactionPayload | None:
        """Scan a pass."""
        principal = require_principal(info)
        data = to_model(ScanIn, input)
        async with info.context.db() as session:
            row = await scans.scan(session, principal, gate, data, _cfg(info))
            view = (await reports.transaction_views(session, [row]))[0]
        return GateTransactionPayload(transaction=GateTransactionType.of(view))

    @strawberry.mutation(
        description="A gate operator admits or denies a denied or inspected scan, with the reason."
    )
    async def override_gate_transaction(
        self, info: Info, id: strawberry.ID, input: OverrideGateTransactionInput
    ) -> GateTransactionPayload | None:
        """Override a scan's answer."""
        principal = require_principal(info)
        if input.decision is ScanResult.MANUAL_INSPECTION:
            raise field_error("input.decision", "decide admit or deny")
        data = to_model(OverrideIn, input)
        async with info.context.db() as session:
            row = await scans.override(session, principal, _uuid(id, "id"), data, _cfg(info))
            view = (await reports.transaction_views(session, [row]))[0]
        return GateTransactionPayload(transaction=GateTransactionType.of(view))
