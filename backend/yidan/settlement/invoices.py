"""Invoices and credit notes: made from the frozen quote, numbered without gaps, settled by payments."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed, field_error
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.identity.principal import Principal
from yidan.partners import outbox
from yidan.settlement import ledger
from yidan.settlement.access import FINANCE_ROLES, PAYER_ROLES, require_finance
from yidan.settlement.models import Invoice, InvoiceCounter, InvoiceKind, InvoiceLine, InvoiceStatus
from yidan.settlement.quotes import accepted_quote
from yidan.waybills import service as waybills

PAYMENT_TERMS = timedelta(days=30)
SERIES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}
OPEN = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


def balance_due(invoice: Invoice) -> int:
    """What the buyer still owes: total less credit notes less money kept (paid minus refunded)."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        return 0
    kept = invoice.amount_paid_minor - invoice.amount_refunded_minor
    return invoice.total_minor - invoice.amount_credited_minor - kept


def settle_status(invoice: Invoice) -> None:
    """Move an issued invoice between issued, partially_paid and paid from what has been paid."""
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (*OPEN, InvoiceStatus.PAID):
        return
    kept = invoice.amount_paid_minor - invoice.amount_refunded_minor
    if balance_due(invoice) <= 0:
        invoice.status = InvoiceStatus.PAID
    elif kept > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


def _visible(principal: Principal) -> ColumnElement[bool]:
    """Buyers see their invoices; a seller's finance users see the ones they issued."""
    clauses = []
    if principal.has_role(*PAYER_ROLES):
        clauses.append(Invoice.buyer_org_id == principal.org_id)
    if principal.has_role(*FINANCE_ROLES):
        clauses.append(Invoice.org_id == principal.org_id)
    if principal.is_api_key or not clauses:
        return Invoice.id.is_(None)
    return or_(*clauses)


async def get_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, lock: bool = False
) -> Invoice:
    """An invoice the caller may see, with its lines; anything else is 404."""
    query = select(Invoice).where(Invoice.id == invoice_id, _visible(principal))
    if lock:
        query = query.with_for_update(of=Invoice)
    invoice = await session.scalar(
        query.options(selectinload(Invoice.lines)).execution_options(populate_existing=True)
    )
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} not found")
    return invoice


async def list_invoices(
    session: AsyncSession,
    principal: Principal,
    *,
    status: Sequence[InvoiceStatus] = (),
    kind: InvoiceKind | None = None,
    waybill_id: uuid.UUID | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Invoice], str | None]:
    """A page of invoices the caller may see, newest first."""
    query = select(Invoice).where(_visible(principal))
    if status:
        query = query.where(Invoice.status.in_([s.value for s in status]))
    if kind is not None:
        query = query.where(Invoice.kind == kind.value)
    if waybill_id is not None:
        query = query.where(Invoice.waybill_id == waybill_id)
    if cursor:
        created, ident = decode_cursor(cursor)
        query = query.where(tuple_(Invoice.created_at, Invoice.id) < tuple_(created, ident))
    query = query.order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query.options(selectinload(Invoice.lines))))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def next_number(session: AsyncSession, org_id: uuid.UUID, kind: InvoiceKind) -> str:
    """The next number of an organisation's series; the counter row stays locked until commit, so a
    rolled-back issue gives its number back and two issues never share one."""
    series = SERIES[kind]
    await session.execute(
        insert(InvoiceCounter)
        .values(org_id=org_id, series=series, next_value=1)
        .on_conflict_do_nothing(index_elements=[InvoiceCounter.org_id, InvoiceCounter.series])
    )
    counter = await session.scalar(
        select(InvoiceCounter)
        .where(InvoiceCounter.org_id == org_id, InvoiceCounter.series == series)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    value = counter.next_value
    counter.next_value = value + 1
    await session.flush()
    return f"{series}-{value:08d}"


async def create_invoice(
    session: AsyncSession, principal: Principal, waybill_number: str, *, issue: bool = False
) -> Invoice:
    """Draft (or issue) the invoice of a waybill from its accepted quote; the quote's seller only."""
    require_finance(principal, "invoicing")
    waybill = await waybills.get_waybill(session, principal, waybill_number, lock=True)
    quote = await accepted_quote(session, waybill.id)
    if quote is None or quote.seller_org_id != principal.org_id:
        if quote is None and waybill.legs and waybill.legs[0].carrier_org_id == principal.org_id:
            raise IllegalTransition(
                f"waybill {waybill.number} has no accepted quote to invoice", code="no_accepted_quote"
            )
        raise NotFound(f"waybill {waybill_number} not found")
    live = await session.scalar(
        select(Invoice.id).where(
            Invoice.waybill_id == waybill.id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status != InvoiceStatus.VOID,
        )
    )
    if live is not None:
        raise Conflict(f"waybill {waybill.number} already has an invoice", code="invoice_exists")
    invoice = Invoice(
        org_id=quote.seller_org_id,
        buyer_org_id=quote.org_id,
        waybill_id=waybill.id,
        quote_id=quote.id,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.DRAFT,
        currency=quote.currency,
        subtotal_minor=quote.subtotal_minor,
        tax_minor=quote.tax_minor,
        total_minor=quote.total_minor,
        amount_paid_minor=0,
        amount_refunded_minor=0,
        amount_credited_minor=0,
        created_by=principal.user_id,
    )
    invoice.lines = [
        InvoiceLine(
            seq=q.seq,
            leg_seq=q.leg_seq,
            charge_code=q.charge_code,
            description=q.description,
            description_zh=q.description_zh,
            quantity=q.quantity,
            unit=q.unit,
            unit_amount_minor=q.unit_amount_minor,
            net_minor=q.net_minor,
            vat_rate_bp=q.vat_rate_bp,
            tax_minor=q.tax_minor,
        )
        for q in quote.lines
    ]
    session.add(invoice)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="invoice.create",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"waybill": waybill.number, "total_minor": invoice.total_minor, "currency": invoice.currency},
    )
    if issue:
        return await issue_invoice(session, principal, invoice.id)
    return await get_invoice(session, principal, invoice.id)


async def _seller_invoice(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    invoice = await get_invoice(session, principal, invoice_id, lock=True)
    if invoice.org_id != principal.org_id:
        raise NotFound(f"invoice {invoice_id} not found")
    require_finance(principal, "this")
    return invoice


async def issue_invoice(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    """Issue a draft: it gets the next number of the series and the receivable is booked."""
    invoice = await _seller_invoice(session, principal, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise IllegalTransition(f"invoice {invoice.number} is {invoice.status}; only drafts are issued")
    now = utcnow()
    await _issue(session, invoice, now)
    await audit.record(
        session,
        principal,
        action="invoice.issue",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"number": invoice.number, "status": {"from": "draft", "to": "issued"}},
    )
    return await get_invoice(session, principal, invoice.id)


async def _issue(session: AsyncSession, invoice: Invoice, now: datetime) -> None:
    invoice.number = await next_number(session, invoice.org_id, InvoiceKind(invoice.kind))
    invoice.status = InvoiceStatus.ISSUED if invoice.kind == InvoiceKind.INVOICE else InvoiceStatus.PAID
    invoice.issued_at = now
    if invoice.kind == InvoiceKind.INVOICE:
        invoice.due_at = now + PAYMENT_TERMS
    await session.flush()
    if invoice.kind == InvoiceKind.INVOICE:
        postings = ledger.invoice_issued(
            invoice.org_id, invoice.currency, invoice.subtotal_minor, invoice.tax_minor
        )
        kind, what = "invoice", "issued"
    else:
        postings = ledger.credit_note_issued(
            invoice.org_id, invoice.currency, -invoice.subtotal_minor, -invoice.tax_minor
        )
        kind, what = "credit_note", "credit note"
    await ledger.post(
        session,
        reference=f"issue:{invoice.id}",
        kind=kind,
        description=f"{what} {invoice.number}",
        postings=postings,
        occurred_at=now,
        invoice_id=invoice.id,
    )
    await outbox.invoice_issued(session, invoice)


async def void_invoice(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, reason: str | None = None
) -> Invoice:
    """Void a draft, or an issued invoice nothing was paid on (its number stays used, the receivable goes)."""
    invoice = await _seller_invoice(session, principal, invoice_id)
    if invoice.kind != InvoiceKind.INVOICE:
        raise IllegalTransition(
            "a credit note cannot be voided; issue an invoice instead", code="not_voidable"
        )
    if (
        invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)
        or invoice.amount_paid_minor
        or invoice.amount_credited_minor
    ):
        raise IllegalTransition(
            f"invoice {invoice.number} is {invoice.status}; refund and credit it instead", code="not_voidable"
        )
    was = invoice.status
    now = utcnow()
    if was == InvoiceStatus.ISSUED:
        await ledger.post(
            session,
            reference=f"void:{invoice.id}",
            kind="void",
            description=f"void {invoice.number}",
            postings=ledger.credit_note_issued(
                invoice.org_id, invoice.currency, invoice.subtotal_minor, invoice.tax_minor
            ),
            occurred_at=now,
            invoice_id=invoice.id,
        )
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = now
    invoice.reason = reason
    await session.flush()
    await audit.record(
        session,
        principal,
        action="invoice.void",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"status": {"from": was, "to": "void"}, "reason": reason},
    )
    return await get_invoice(session, principal, invoice.id)


def split_gross(invoice: Invoice, gross: int) -> tuple[int, int]:
    """Split a gross amount into net and VAT in the proportion of the invoice."""
    tax = (
        (gross * invoice.tax_minor + invoice.total_minor // 2) // invoice.total_minor
        if invoice.total_minor
        else 0
    )
    return gross - tax, tax


async def credit(
    session: AsyncSession,
    invoice: Invoice,
    *,
    gross: int,
    reason: str,
    created_by: uuid.UUID | None,
    now: datetime,
) -> Invoice:
    """Issue a credit note of `gross` against a (locked) invoice; the caller checked the rights."""
    if gross <= 0:
        raise field_error("amount_minor", "must be positive")
    creditable = invoice.total_minor - invoice.amount_credited_minor
    if gross > creditable:
        raise ValidationFailed(
            f"amount_minor: at most {creditable} can still be credited on {invoice.number}",
            errors=[{"field": "amount_minor", "message": f"at most {creditable}"}],
            code="over_credit",
        )
    net, tax = split_gross(invoice, gross)
    note = Invoice(
        org_id=invoice.org_id,
        buyer_org_id=invoice.buyer_org_id,
        waybill_id=invoice.waybill_id,
        credited_invoice_id=invoice.id,
        kind=InvoiceKind.CREDIT_NOTE,
        status=InvoiceStatus.DRAFT,
        currency=invoice.currency,
        # a credit note's amounts are negative: it takes away from what was invoiced
        subtotal_minor=-net,
        tax_minor=-tax,
        total_minor=-gross,
        amount_paid_minor=0,
        amount_refunded_minor=0,
        amount_credited_minor=0,
        reason=reason,
        created_by=created_by,
    )
    rate = round(invoice.tax_minor * 10_000 / invoice.subtotal_minor) if invoice.subtotal_minor else 0
    note.lines = [
        InvoiceLine(
            seq=1,
            leg_seq=None,
            charge_code="CREDIT",
            description=f"Credit against invoice {invoice.number}: {reason}"[:300],
            description_zh=f"冲减发票 {invoice.number}：{reason}"[:300],
            quantity=1,
            unit="credit",
            unit_amount_minor=-net,
            net_minor=-net,
            vat_rate_bp=rate,
            tax_minor=-tax,
        )
    ]
    session.add(note)
    await session.flush()
    await _issue(session, note, now)
    invoice.amount_credited_minor += gross
    settle_status(invoice)
    await session.flush()
    return note


async def create_credit_note(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, *, amount_minor: int, reason: str
) -> Invoice:
    """Credit part or all of an issued invoice (finance users of the seller)."""
    invoice = await _seller_invoice(session, principal, invoice_id)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (*OPEN, InvoiceStatus.PAID):
        raise IllegalTransition(
            f"invoice {invoice.number} is {invoice.status}; only issued invoices are credited"
        )
    note = await credit(
        session, invoice, gross=amount_minor, reason=reason, created_by=principal.user_id, now=utcnow()
    )
    await audit.record(
        session,
        principal,
        action="invoice.credit",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"credit_note": note.number, "amount_minor": amount_minor, "reason": reason},
    )
    return await get_invoice(session, principal, note.id)


async def waybill_numbers(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Waybill numbers by id, for output."""
    from yidan.waybills.models import Waybill

    if not ids:
        return {}
    rows = await session.execute(select(Waybill.id, Waybill.number).where(Waybill.id.in_(ids)))
    return {i: n for i, n in rows}
