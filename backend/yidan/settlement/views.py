"""Turning settlement rows into API output and printable documents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.identity.models import Organisation
from yidan.identity.principal import Principal
from yidan.settlement.invoices import balance_due, waybill_numbers
from yidan.settlement.models import Invoice, Payment, Quote
from yidan.settlement.pdf import InvoiceDocument, InvoiceLineView
from yidan.settlement.reconciliation import Report
from yidan.settlement.schemas import (
    CurrencyTotalsOut,
    InvoiceOut,
    LineOut,
    PaymentOut,
    PayoutSummaryOut,
    QuoteOut,
    ReconciliationReportOut,
    ReconciliationRowOut,
)


async def quotes_out(session: AsyncSession, quotes: Sequence[Quote]) -> list[QuoteOut]:
    """Quotes with their waybill numbers."""
    numbers = await waybill_numbers(session, {q.waybill_id for q in quotes})
    return [
        QuoteOut(
            id=q.id,
            waybill_number=numbers.get(q.waybill_id, ""),
            status=q.status,
            seller_org_id=q.seller_org_id,
            currency=q.currency,
            subtotal_minor=q.subtotal_minor,
            tax_minor=q.tax_minor,
            total_minor=q.total_minor,
            priced_at=q.priced_at,
            valid_until=q.valid_until,
            accepted_at=q.accepted_at,
            lines=[LineOut.model_validate(line) for line in q.lines],
        )
        for q in quotes
    ]


async def invoices_out(session: AsyncSession, rows: Sequence[Invoice]) -> list[InvoiceOut]:
    """Invoices with their waybill numbers and balance due."""
    numbers = await waybill_numbers(session, {i.waybill_id for i in rows})
    return [
        InvoiceOut(
            id=i.id,
            kind=i.kind,
            number=i.number,
            status=i.status,
            seller_org_id=i.org_id,
            buyer_org_id=i.buyer_org_id,
            waybill_number=numbers.get(i.waybill_id, ""),
            credited_invoice_id=i.credited_invoice_id,
            currency=i.currency,
            subtotal_minor=i.subtotal_minor,
            tax_minor=i.tax_minor,
            total_minor=i.total_minor,
            amount_paid_minor=i.amount_paid_minor,
            amount_refunded_minor=i.amount_refunded_minor,
            amount_credited_minor=i.amount_credited_minor,
            balance_due_minor=balance_due(i),
            reason=i.reason,
            issued_at=i.issued_at,
            due_at=i.due_at,
            voided_at=i.voided_at,
            created_at=i.created_at,
            lines=[LineOut.model_validate(line) for line in i.lines],
        )
        for i in rows
    ]


def payment_out(principal: Principal, payment: Payment) -> PaymentOut:
    """A payment; the client secret only for the paying organisation."""
    out = PaymentOut.model_validate(payment)
    if payment.org_id != principal.org_id:
        out.client_secret = None
    return out


async def invoice_document(session: AsyncSession, invoice: Invoice) -> InvoiceDocument:
    """What goes on the printed invoice."""
    orgs = {
        o.id: o
        for o in await session.scalars(
            select(Organisation).where(Organisation.id.in_([invoice.org_id, invoice.buyer_org_id]))
        )
    }
    seller, buyer = orgs[invoice.org_id], orgs[invoice.buyer_org_id]
    numbers = await waybill_numbers(session, {invoice.waybill_id})
    credited = (
        await session.scalar(select(Invoice.number).where(Invoice.id == invoice.credited_invoice_id))
        if invoice.credited_invoice_id
        else None
    )
    return InvoiceDocument(
        kind=invoice.kind,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        seller_name=seller.name,
        seller_name_zh=seller.name_zh,
        seller_uscc=seller.uscc,
        buyer_name=buyer.name,
        buyer_name_zh=buyer.name_zh,
        buyer_uscc=buyer.uscc,
        waybill_number=numbers.get(invoice.waybill_id, ""),
        issued_at=invoice.issued_at,
        due_at=invoice.due_at,
        subtotal_minor=invoice.subtotal_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
        paid_minor=invoice.amount_paid_minor - invoice.amount_refunded_minor,
        balance_due_minor=balance_due(invoice),
        credited_number=credited,
        reason=invoice.reason,
        lines=[
            InvoiceLineView(
                leg_seq=line.leg_seq,
                charge_code=line.charge_code,
                description=line.description,
                description_zh=line.description_zh,
                quantity=line.quantity,
                unit=line.unit,
                unit_amount_minor=line.unit_amount_minor,
                net_minor=line.net_minor,
                vat_rate_bp=line.vat_rate_bp,
                tax_minor=line.tax_minor,
            )
            for line in invoice.lines
        ],
    )


def report_out(report: Report) -> ReconciliationReportOut:
    """The report as API output."""
    return ReconciliationReportOut(
        generated_at=report.generated_at,
        scope=report.scope,
        counts=report.counts,
        totals=[
            CurrencyTotalsOut(currency=c, gross_minor=g, fees_minor=f, net_minor=n)
            for c, (g, f, n) in report.totals.items()
        ],
        rows=[ReconciliationRowOut(**vars(r)) for r in report.rows],
        payouts=[
            PayoutSummaryOut(
                payout_id=p.payout_id,
                status=p.status,
                currency=p.currency,
                amount_minor=p.amount_minor,
                transactions=p.transactions,
                gross_minor=p.gross_minor,
                fees_minor=p.fees_minor,
                net_minor=p.net_minor,
                difference_minor=p.difference_minor,
                arrival_date=p.arrival_date,
            )
            for p in report.payouts
        ],
    )


def org_scope(principal: Principal) -> uuid.UUID | None:
    """The organisation a finance user's report is limited to; None for the platform's finance."""
    from yidan.settlement.access import is_platform_finance

    return None if is_platform_finance(principal) else principal.org_id
