"""The webhook event catalogue and the outbox writer: the domains call these in their own transaction.

Each call finds the organisations that may see the object, and the active subscriptions among them
that want the event type, with one query; only when there are some is the payload built and one
delivery row written per subscription. A transaction that rolls back takes its deliveries with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, Uuid, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.clock import utcnow
from yidan.gates.models import GateAppointment
from yidan.locations.models import Terminal
from yidan.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from yidan.waybills.lifecycle import WaybillStatus
from yidan.waybills.models import Equipment, Event, Leg, Waybill

if TYPE_CHECKING:
    from yidan.gates.models import GateTransaction
    from yidan.settlement.models import Invoice, Payment, Refund


class WebhookEventType(StrEnum):
    """What a subscription can ask to be told about."""

    WAYBILL_BOOKED = "waybill.booked"
    WAYBILL_STATUS_CHANGED = "waybill.status_changed"
    WAYBILL_EVENT = "waybill.event"
    GATE_TRANSACTION = "gate.transaction"
    INVOICE_ISSUED = "invoice.issued"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_REFUNDED = "payment.refunded"


WAYBILL_TYPES = (
    WebhookEventType.WAYBILL_BOOKED,
    WebhookEventType.WAYBILL_STATUS_CHANGED,
    WebhookEventType.WAYBILL_EVENT,
)

# sent only by "send test event", to one subscription, whatever it subscribed to
PING = "ping"


@dataclass(frozen=True)
class EventTypeInfo:
    """An event type of the catalogue with what it means, in English and Chinese."""

    type: WebhookEventType
    en: str
    zh: str


CATALOGUE: tuple[EventTypeInfo, ...] = (
    EventTypeInfo(
        WebhookEventType.WAYBILL_BOOKED,
        "A waybill was booked: its route, legs and containers.",
        "运单已订舱：路线、各段运输与集装箱。",
    ),
    EventTypeInfo(
        WebhookEventType.WAYBILL_STATUS_CHANGED,
        "A waybill moved to another status (booked, in transit, delivered, closed, cancelled).",
        "运单状态变更（已订舱、运输中、已交付、已关闭、已取消）。",
    ),
    EventTypeInfo(
        WebhookEventType.WAYBILL_EVENT,
        "A DCSA transport, equipment or shipment event was appended to a waybill "
        "(planned, estimated — ETA — or actual; GTIN/GTOT at gates).",
        "运单新增 DCSA 运输、设备或货运事件（计划、预计（ETA）或实际；闸口进出 GTIN/GTOT）。",
    ),
    EventTypeInfo(
        WebhookEventType.GATE_TRANSACTION,
        "A truck was scanned at a gate lane, or an operator overrode a scan: the answer and its reasons.",
        "闸口车道扫描或人工处置：放行结果及原因。",
    ),
    EventTypeInfo(
        WebhookEventType.INVOICE_ISSUED,
        "An invoice or credit note was issued with its number.",
        "发票或红字发票已开具并编号。",
    ),
    EventTypeInfo(
        WebhookEventType.PAYMENT_SUCCEEDED,
        "A payment of an invoice succeeded.",
        "发票付款成功。",
    ),
    EventTypeInfo(
        WebhookEventType.PAYMENT_REFUNDED,
        "A refund on a payment succeeded.",
        "付款退款成功。",
    ),
)

# Keys of an event's own payload that partners may see; the rest (devices, positions, pass and
# transaction ids) stays inside Yidan.
_EVENT_DETAILS = ("confidence", "empty_indicator", "gate")


# ---- writing deliveries ----


OrgSource = Iterable[uuid.UUID | None] | Select[Any]


async def subscribers(session: AsyncSession, org_ids: OrgSource) -> list[WebhookSubscription]:
    """The active subscriptions of these organisations (ids, or a query selecting ids)."""
    if isinstance(org_ids, Select):
        scope: ColumnElement[bool] = WebhookSubscription.org_id.in_(org_ids.scalar_subquery())
    else:
        ids = {o for o in org_ids if o is not None}
        if not ids:
            return []
        scope = WebhookSubscription.org_id.in_(ids)
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(scope, WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return list(rows)


def envelope(
    event_type: str, data: Mapping[str, Any], *, event_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """The body every webhook carries: {id, type, created_at, data}."""
    return {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "created_at": utcnow().isoformat(),
        "data": plain(data),
    }


def write(
    session: AsyncSession, subs: Sequence[WebhookSubscription], event_type: str, data: Mapping[str, Any]
) -> list[WebhookDelivery]:
    """Add one delivery of one new event to each subscription in subs that wants event_type."""
    wanting = [s for s in subs if event_type == PING or event_type in s.event_types]
    if not wanting:
        return []
    body = envelope(event_type, data)
    now = utcnow()
    rows = [
        WebhookDelivery(
            id=uuid.uuid4(),
            subscription_id=s.id,
            org_id=s.org_id,
            event_id=uuid.UUID(body["id"]),
            event_type=event_type,
            payload=body,
            status=WebhookDeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
        )
        for s in wanting
    ]
    session.add_all(rows)
    return rows


async def emit(
    session: AsyncSession, *, org_ids: OrgSource, event_type: WebhookEventType, payload: Mapping[str, Any]
) -> list[WebhookDelivery]:
    """Write deliveries of one event for every active subscription of org_ids that wants its type."""
    return write(session, await subscribers(session, org_ids), event_type.value, payload)


def _wanted(subs: Sequence[WebhookSubscription], *types: WebhookEventType) -> bool:
    return any(t.value in s.event_types for s in subs for t in types)


# ---- who may see what ----


def waybill_orgs(waybill_id: uuid.UUID) -> Select[Any]:
    """The organisations that may see a waybill: shipper, consignee, its carriers and route terminals."""
    route_terminals = union(
        select(Leg.from_terminal).where(Leg.waybill_id == waybill_id),
        select(Leg.to_terminal).where(Leg.waybill_id == waybill_id),
    )
    orgs = union(
        select(Waybill.org_id.label("org_id")).where(Waybill.id == waybill_id),
        select(Waybill.consignee_org_id).where(Waybill.id == waybill_id),
        select(Leg.carrier_org_id).where(Leg.waybill_id == waybill_id),
        select(Terminal.operator_org_id).where(Terminal.code.in_(route_terminals.scalar_subquery())),
    ).subquery()
    return select(orgs.c.org_id).where(orgs.c.org_id.is_not(None))


def _gate_transaction_orgs(tx: GateTransaction) -> Select[Any]:
    """The terminal operator and, through the appointment, its booker, shipper and truck carrier."""
    parts: list[Select[Any]] = [select(literal(tx.org_id, Uuid).label("org_id"))]
    if tx.appointment_id is not None:
        parts += [
            select(GateAppointment.org_id).where(GateAppointment.id == tx.appointment_id),
            select(Waybill.org_id)
            .join(GateAppointment, GateAppointment.waybill_id == Waybill.id)
            .where(GateAppointment.id == tx.appointment_id),
            select(Leg.carrier_org_id)
            .join(GateAppointment, GateAppointment.leg_id == Leg.id)
            .where(GateAppointment.id == tx.appointment_id),
        ]
    orgs = union(*parts).subquery()
    return select(orgs.c.org_id).where(orgs.c.org_id.is_not(None))


# ---- waybills ----


def _waybill_ref(waybill: Waybill) -> dict[str, Any]:
    return {"number": waybill.number, "reference": waybill.reference, "status": waybill.status}


async def _legs(session: AsyncSession, waybill_id: uuid.UUID) -> list[Leg]:
    return list(await session.scalars(select(Leg).where(Leg.waybill_id == waybill_id).order_by(Leg.seq)))


def _event_data(event: Event, legs: Sequence[Leg]) -> dict[str, Any]:
    leg = next((leg for leg in legs if leg.id == event.leg_id), None)
    details = {k: v for k, v in (event.payload or {}).items() if k in _EVENT_DETAILS}
    return {
        "id": event.id,
        "event_type": event.event_type,
        "event_code": event.event_code,
        "classifier": event.classifier,
        "event_time": event.event_time,
        "leg_seq": leg.seq if leg else None,
        "mode": leg.mode if leg else None,
        "unlocode": event.unlocode,
        "terminal_code": event.terminal_code,
        "container_number": event.container_number,
        "description": event.description,
        "source": event.source,
        "supersedes": event.supersedes_id,
        **details,
    }


async def waybill_event(session: AsyncSession, waybill: Waybill, event: Event) -> None:
    """waybill.event: an event appended to a waybill's timeline."""
    subs = await subscribers(session, waybill_orgs(waybill.id))
    if not _wanted(subs, WebhookEventType.WAYBILL_EVENT):
        return
    if event.id is None:
        event.id = uuid.uuid4()  # what the flush would give it; the payload names it now
    legs = await _legs(session, waybill.id)
    data = {"waybill": _waybill_ref(waybill), "event": _event_data(event, legs)}
    write(session, subs, WebhookEventType.WAYBILL_EVENT, data)


async def waybill_status_changed(
    session: AsyncSession, waybill: Waybill, frm: Enum, *, reason: str | None = None
) -> None:
    """waybill.status_changed: a waybill moved from frm to its present status."""
    subs = await subscribers(session, waybill_orgs(waybill.id))
    if not _wanted(subs, WebhookEventType.WAYBILL_STATUS_CHANGED):
        return
    data = {
        "waybill": _waybill_ref(waybill),
        "from": frm,
        "to": waybill.status,
        "changed_at": utcnow(),
        "reason": reason,
    }
    write(session, subs, WebhookEventType.WAYBILL_STATUS_CHANGED, data)


async def waybill_booked(session: AsyncSession, waybill: Waybill) -> None:
    """waybill.booked, its status change, and the events booking appended (CONF, ISSU, planned legs)."""
    subs = await subscribers(session, waybill_orgs(waybill.id))
    if not _wanted(subs, *WAYBILL_TYPES):
        return
    legs = await _legs(session, waybill.id)
    equipment = list(
        await session.scalars(
            select(Equipment).where(Equipment.waybill_id == waybill.id).order_by(Equipment.container_number)
        )
    )
    booked = {
        "waybill": {
            **_waybill_ref(waybill),
            "booked_at": waybill.updated_at,
            "containers": [{"number": e.container_number, "size_type": e.size_type} for e in equipment],
            "legs": [
                {
                    "seq": leg.seq,
                    "mode": leg.mode,
                    "carrier_id": leg.carrier_org_id,
                    "from_unlocode": leg.from_unlocode,
                    "from_terminal": leg.from_terminal,
                    "to_unlocode": leg.to_unlocode,
                    "to_terminal": leg.to_terminal,
                    "planned_departure": leg.planned_departure,
                    "planned_arrival": leg.planned_arrival,
                    "vessel_name": leg.vessel_name,
                    "voyage": leg.voyage,
                    "imo": leg.imo,
                    "train_number": leg.train_number,
                    "truck_plate": leg.truck_plate,
                }
                for leg in legs
            ],
        }
    }
    write(session, subs, WebhookEventType.WAYBILL_BOOKED, booked)
    changed = {
        "waybill": _waybill_ref(waybill),
        "from": WaybillStatus.DRAFT,
        "to": waybill.status,
        "changed_at": utcnow(),
        "reason": None,
    }
    write(session, subs, WebhookEventType.WAYBILL_STATUS_CHANGED, changed)
    if _wanted(subs, WebhookEventType.WAYBILL_EVENT):
        events = await session.scalars(
            select(Event).where(Event.waybill_id == waybill.id).order_by(Event.event_time, Event.seq)
        )
        for event in events:
            data = {"waybill": _waybill_ref(waybill), "event": _event_data(event, legs)}
            write(session, subs, WebhookEventType.WAYBILL_EVENT, data)


# ---- gates ----


async def gate_transaction(session: AsyncSession, tx: GateTransaction) -> None:
    """gate.transaction: a lane scan or an operator's override, with its answer and reasons."""
    subs = await subscribers(session, _gate_transaction_orgs(tx))
    if not _wanted(subs, WebhookEventType.GATE_TRANSACTION):
        return
    number = await session.scalar(select(Waybill.number).where(Waybill.id == tx.waybill_id))
    reference = await session.scalar(
        select(GateAppointment.reference).where(GateAppointment.id == tx.appointment_id)
    )
    data = {
        "id": tx.id,
        "gate_code": tx.gate_code,
        "terminal_code": tx.terminal_code,
        "lane": tx.lane,
        "direction": tx.direction,
        "result": tx.result,
        "reasons": [{k: r.get(k) for k in ("code", "severity", "en", "zh")} for r in (tx.reasons or [])],
        "scanned_at": tx.scanned_at,
        "plate_read": tx.plate_read,
        "container_read": tx.container_read,
        "appointment_reference": reference,
        "waybill_number": number,
        "override_of": tx.override_of_id,
        "override_reason": tx.override_reason,
        "event_ids": list(tx.event_ids or []),
    }
    write(session, subs, WebhookEventType.GATE_TRANSACTION, data)


# ---- settlement ----


async def _waybill_number(session: AsyncSession, waybill_id: uuid.UUID | None) -> str | None:
    if waybill_id is None:
        return None
    return await session.scalar(select(Waybill.number).where(Waybill.id == waybill_id))


async def invoice_issued(session: AsyncSession, invoice: Invoice) -> None:
    """invoice.issued: an invoice or credit note got its number; told to the seller and the buyer."""
    subs = await subscribers(session, (invoice.org_id, invoice.buyer_org_id))
    if not _wanted(subs, WebhookEventType.INVOICE_ISSUED):
        return
    data = {
        "invoice": {
            "id": invoice.id,
            "number": invoice.number,
            "kind": invoice.kind,
            "status": invoice.status,
            "currency": invoice.currency,
            "subtotal_minor": invoice.subtotal_minor,
            "tax_minor": invoice.tax_minor,
            "total_minor": invoice.total_minor,
            "issued_at": invoice.issued_at,
            "due_at": invoice.due_at,
            "seller_org_id": invoice.org_id,
            "buyer_org_id": invoice.buyer_org_id,
            "credited_invoice_id": invoice.credited_invoice_id,
            "waybill_number": await _waybill_number(session, invoice.waybill_id),
        }
    }
    write(session, subs, WebhookEventType.INVOICE_ISSUED, data)


def _invoice_ref(invoice: Invoice) -> dict[str, Any]:
    return {"id": invoice.id, "number": invoice.number, "status": invoice.status}


async def payment_succeeded(session: AsyncSession, payment: Payment, invoice: Invoice) -> None:
    """payment.succeeded: money was received on an invoice; told to the payer and the seller."""
    subs = await subscribers(session, (payment.org_id, payment.seller_org_id))
    if not _wanted(subs, WebhookEventType.PAYMENT_SUCCEEDED):
        return
    data = {
        "payment": {
            "id": payment.id,
            "method": payment.method,
            "amount_minor": payment.amount_received_minor,
            "currency": payment.currency,
            "succeeded_at": payment.succeeded_at,
        },
        "invoice": _invoice_ref(invoice),
        "waybill_number": await _waybill_number(session, invoice.waybill_id),
    }
    write(session, subs, WebhookEventType.PAYMENT_SUCCEEDED, data)


async def payment_refunded(session: AsyncSession, refund: Refund, payment: Payment, invoice: Invoice) -> None:
    """payment.refunded: a refund on a payment succeeded; told to the payer and the seller."""
    subs = await subscribers(session, (payment.org_id, payment.seller_org_id))
    if not _wanted(subs, WebhookEventType.PAYMENT_REFUNDED):
        return
    data = {
        "refund": {
            "id": refund.id,
            "amount_minor": refund.amount_minor,
            "currency": refund.currency,
            "reason": refund.reason,
            "credit_note_id": refund.credit_note_id,
        },
        "payment": {"id": payment.id, "amount_refunded_minor": payment.amount_refunded_minor},
        "invoice": _invoice_ref(invoice),
        "waybill_number": await _waybill_number(session, invoice.waybill_id),
    }
    write(session, subs, WebhookEventType.PAYMENT_REFUNDED, data)


# ---- JSON ----


def plain(value: Any) -> Any:
    """Payload values as JSON: ids and times as strings, enums as their values."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
