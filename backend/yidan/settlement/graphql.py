"""GraphQL types, queries and mutations for settlement; resolvers call the same services as REST."""

from __future__ import annotations

import uuid
import warnings
from datetime import datetime
from typing import Any, NewType

import strawberry

from yidan.core.errors import NotFound, field_error
from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal
from yidan.settlement import invoices, payments, quotes, views
from yidan.settlement.gateway import PaymentsUnavailable, StripeNotConfigured, gateway_for
from yidan.settlement.models import InvoiceStatus
from yidan.settlement.schemas import InvoiceOut, LineOut, PaymentIn, PaymentOut, QuoteOut, RefundIn, RefundOut

with warnings.catch_warnings():
    # the scalar_map alternative needs the shared schema's config; a NewType scalar works the same
    warnings.simplefilter("ignore", DeprecationWarning)
    MinorUnits = strawberry.scalar(
        NewType("MinorUnits", int),
        name="MinorUnits",
        description="An amount in integer minor units of its currency (fen for CNY); may exceed 32 bits.",
        serialize=int,
        parse_value=int,
    )


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise field_error(field, "not a valid id") from exc


@strawberry.type(name="ChargeLine", description="One charge on one leg of a quote or invoice.")
class LineType:
    seq: int
    leg_seq: int | None
    charge_code: str
    description: str
    description_zh: str | None
    quantity: str = strawberry.field(description="decimal quantity of the unit")
    unit: str
    unit_amount_minor: MinorUnits  # type: ignore[valid-type]
    net_minor: MinorUnits  # type: ignore[valid-type]
    vat_rate_bp: int = strawberry.field(description="VAT rate in basis points (900 = 9 %)")
    tax_minor: MinorUnits  # type: ignore[valid-type]

    @classmethod
    def of(cls, line: LineOut) -> LineType:
        """From the REST view."""
        return cls(**{**line.model_dump(), "quantity": str(line.quantity)})


@strawberry.type(name="Quote", description="A booking priced leg by leg; frozen once accepted.")
class QuoteType:
    id: strawberry.ID
    waybill_number: str
    status: str
    currency: str
    subtotal_minor: MinorUnits  # type: ignore[valid-type]
    tax_minor: MinorUnits  # type: ignore[valid-type]
    total_minor: MinorUnits  # type: ignore[valid-type]
    priced_at: datetime
    valid_until: datetime
    accepted_at: datetime | None
    lines: list[LineType]

    @classmethod
    def of(cls, q: QuoteOut) -> QuoteType:
        """From the REST view."""
        data: dict[str, Any] = q.model_dump(exclude={"lines", "seller_org_id"})
        return cls(**{**data, "id": strawberry.ID(str(q.id))}, lines=[LineType.of(x) for x in q.lines])


@strawberry.type(name="Invoice", description="An invoice or credit note with its lines and payments so far.")
class InvoiceType:
    id: strawberry.ID
    kind: str
    number: str | None
    status: str
    waybill_number: str
    currency: str
    subtotal_minor: MinorUnits  # type: ignore[valid-type]
    tax_minor: MinorUnits  # type: ignore[valid-type]
    total_minor: MinorUnits  # type: ignore[valid-type]
    amount_paid_minor: MinorUnits  # type: ignore[valid-type]
    amount_refunded_minor: MinorUnits  # type: ignore[valid-type]
    amount_credited_minor: MinorUnits  # type: ignore[valid-type]
    balance_due_minor: MinorUnits  # type: ignore[valid-type]
    reason: str | None
    issued_at: datetime | None
    due_at: datetime | None
    created_at: datetime
    lines: list[LineType]

    @classmethod
    def of(cls, i: InvoiceOut) -> InvoiceType:
        """From the REST view."""
        data: dict[str, Any] = i.model_dump(
            exclude={"lines", "seller_org_id", "buyer_org_id", "credited_invoice_id", "voided_at"}
        )
        return cls(**{**data, "id": strawberry.ID(str(i.id))}, lines=[LineType.of(x) for x in i.lines])


@strawberry.type(name="Payment", description="A payment attempt and what Stripe says about it.")
class PaymentType:
    id: strawberry.ID
    attempt: int
    method: str
    amount_minor: MinorUnits  # type: ignore[valid-type]
    currency: str
    status: str
    amount_received_minor: MinorUnits  # type: ignore[valid-type]
    amount_refunded_minor: MinorUnits  # type: ignore[valid-type]
    failure_code: str | None
    failure_message: str | None
    client_secret: str | None = strawberry.field(description="for Stripe.js; only shown to the payer")
    created_at: datetime

    @classmethod
    def of(cls, p: PaymentOut) -> PaymentType:
        """From the REST view."""
        return cls(
            id=strawberry.ID(str(p.id)),
            attempt=p.attempt,
            method=p.method,
            amount_minor=p.amount_minor,
            currency=p.currency,
            status=p.status,
            amount_received_minor=p.amount_received_minor,
            amount_refunded_minor=p.amount_refunded_minor,
            failure_code=p.failure_code,
            failure_message=p.failure_message,
            client_secret=p.client_secret,
            created_at=p.created_at,
        )


@strawberry.type(name="Refund", description="Money given back on a payment, with its credit note.")
class RefundType:
    id: strawberry.ID
    status: str
    amount_minor: MinorUnits  # type: ignore[valid-type]
    currency: str
    reason: str | None
    credit_note_id: strawberry.ID | None

    @classmethod
    def of(cls, r: RefundOut) -> RefundType:
        """From the REST view."""
        note = strawberry.ID(str(r.credit_note_id)) if r.credit_note_id else None
        return cls(
            id=strawberry.ID(str(r.id)),
            status=r.status,
            amount_minor=r.amount_minor,
            currency=r.currency,
            reason=r.reason,
            credit_note_id=note,
        )


@strawberry.input(description="Pay all or part of an invoice.")
class PayInvoiceInput:
    invoice_id: strawberry.ID
    amount_minor: MinorUnits | None = None  # type: ignore[valid-type]
    method: str = "card"
    payment_method: str | None = strawberry.field(default=None, description="a Stripe PaymentMethod id")


@strawberry.input(description="Refund all or part of a payment (finance users of the seller).")
class RefundPaymentInput:
    payment_id: strawberry.ID
    reason: str
    amount_minor: MinorUnits | None = None  # type: ignore[valid-type]


@strawberry.type(name="PayInvoicePayload")
class PayInvoicePayload:
    payment: PaymentType
    invoice: InvoiceType


@strawberry.type(name="RefundPaymentPayload")
class RefundPaymentPayload:
    refund: RefundType
    invoice: InvoiceType


def _gateway(info: Info):  # type: ignore[no-untyped-def]
    try:
        return gateway_for(info.context.settings)
    except StripeNotConfigured as exc:
        raise PaymentsUnavailable(str(exc)) from exc


async def _invoice(session: Any, principal: Any, invoice_id: uuid.UUID) -> InvoiceType:
    invoice = await invoices.get_invoice(session, principal, invoice_id)
    return InvoiceType.of((await views.invoices_out(session, [invoice]))[0])


@strawberry.type
class SettlementQuery:
    """Settlement queries."""

    @strawberry.field(description="An invoice or credit note the caller may see; null otherwise.")
    async def invoice(self, info: Info, id: strawberry.ID) -> InvoiceType | None:
        """One invoice."""
        principal = require_principal(info)
        try:
            async with info.context.db() as session:
                return await _invoice(session, principal, _uuid(id, "id"))
        except NotFound:
            return None

    @strawberry.field(description="Invoices owed by or issued by the caller's organisation, newest first.")
    async def invoices(
        self, info: Info, first: int = 20, status: list[str] | None = None, waybill_number: str | None = None
    ) -> list[InvoiceType]:
        """A page of invoices."""
        principal = require_principal(info)
        if not 1 <= first <= info.context.settings.page_size_max:
            raise field_error("first", f"must be between 1 and {info.context.settings.page_size_max}")
        try:
            wanted = [InvoiceStatus(s) for s in status or []]
        except ValueError as exc:
            raise field_error("status", str(exc)) from exc
        async with info.context.db() as session:
            waybill_id = None
            if waybill_number:
                from yidan.waybills import service as waybills

                waybill_id = (await waybills.get_waybill(session, principal, waybill_number)).id
            rows, _ = await invoices.list_invoices(
                session, principal, status=wanted, waybill_id=waybill_id, limit=first, cursor=None
            )
            return [InvoiceType.of(i) for i in await views.invoices_out(session, rows)]

    @strawberry.field(description="The quotes of a waybill, newest first (its shipper and its seller).")
    async def quotes(self, info: Info, waybill_number: str) -> list[QuoteType]:
        """Quotes of a waybill."""
        principal = require_principal(info)
        async with info.context.db() as session:
            rows = await quotes.quotes_for(session, principal, waybill_number)
            return [QuoteType.of(q) for q in await views.quotes_out(session, rows)]


@strawberry.type
class SettlementMutation:
    """Settlement commands."""

    @strawberry.mutation(
        description="Price a waybill leg by leg (the shipper); earlier offers are superseded."
    )
    async def request_quote(self, info: Info, waybill_number: str) -> QuoteType:
        """Get a quote."""
        principal = require_principal(info)
        async with info.context.db() as session:
            q = await quotes.quote_waybill(session, principal, waybill_number)
            return QuoteType.of((await views.quotes_out(session, [q]))[0])

    @strawberry.mutation(description="Accept an offered quote; it is frozen from then on.")
    async def accept_quote(self, info: Info, id: strawberry.ID) -> QuoteType:
        """Accept a quote."""
        principal = require_principal(info)
        async with info.context.db() as session:
            q = await quotes.accept_quote(session, principal, _uuid(id, "id"))
            return QuoteType.of((await views.quotes_out(session, [q]))[0])

    @strawberry.mutation(description="Invoice a waybill from its accepted quote (finance of the seller).")
    async def create_invoice(self, info: Info, waybill_number: str, issue: bool = False) -> InvoiceType:
        """Draft or issue an invoice."""
        principal = require_principal(info)
        async with info.context.db() as session:
            invoice = await invoices.create_invoice(session, principal, waybill_number, issue=issue)
            return await _invoice(session, principal, invoice.id)

    @strawberry.mutation(description="Issue a draft invoice: it gets the next number of the series.")
    async def issue_invoice(self, info: Info, id: strawberry.ID) -> InvoiceType:
        """Issue an invoice."""
        principal = require_principal(info)
        async with info.context.db() as session:
            invoice = await invoices.issue_invoice(session, principal, _uuid(id, "id"))
            return await _invoice(session, principal, invoice.id)

    @strawberry.mutation(description="Pay all or part of an invoice through a Stripe PaymentIntent.")
    async def pay_invoice(self, info: Info, input: PayInvoiceInput) -> PayInvoicePayload:
        """Pay an invoice."""
        principal = require_principal(info)
        data = PaymentIn.model_validate(
            {
                "amount_minor": input.amount_minor,
                "method": input.method,
                "payment_method": input.payment_method,
            }
        )
        gateway = _gateway(info)
        async with info.context.db() as session:
            started = await payments.start_payment(
                session, principal, _uuid(input.invoice_id, "invoiceId"), data
            )
            payment = await payments.submit_payment(session, gateway, started.id, data.payment_method)
            return PayInvoicePayload(
                payment=PaymentType.of(views.payment_out(principal, payment)),
                invoice=await _invoice(session, principal, payment.invoice_id),
            )

    @strawberry.mutation(description="Refund all or part of a payment (finance users of the seller).")
    async def refund_payment(self, info: Info, input: RefundPaymentInput) -> RefundPaymentPayload:
        """Refund a payment."""
        principal = require_principal(info)
        data = RefundIn.model_validate({"amount_minor": input.amount_minor, "reason": input.reason})
        gateway = _gateway(info)
        async with info.context.db() as session:
            started = await payments.start_refund(
                session, principal, _uuid(input.payment_id, "paymentId"), data
            )
            refund = await payments.submit_refund(session, gateway, started.id)
            return RefundPaymentPayload(
                refund=RefundType.of(RefundOut.model_validate(refund)),
                invoice=await _invoice(session, principal, refund.invoice_id),
            )
