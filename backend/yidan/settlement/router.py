"""REST routes for settlement: rate cards, quotes, invoices, payments, refunds, webhooks, reconciliation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.db import SessionDep
from yidan.identity.deps import PrincipalDep
from yidan.settlement import (
    exports,
    invoices,
    ledger,
    payments,
    quotes,
    reconciliation,
    tariffs,
    views,
    webhooks,
)
from yidan.settlement.access import require_finance
from yidan.settlement.gateway import PaymentsUnavailable, StripeGateway, StripeNotConfigured, gateway_for
from yidan.settlement.models import InvoiceKind, InvoiceStatus
from yidan.settlement.money import DEFAULT_CURRENCY
from yidan.settlement.pdf import render_invoice_pdf
from yidan.settlement.schemas import (
    BalanceOut,
    ConfirmIn,
    CreditNoteIn,
    ImportOut,
    InvoiceCreateIn,
    InvoiceOut,
    InvoicePageOut,
    PaymentConfigOut,
    PaymentIn,
    PaymentOut,
    QuoteOut,
    ReconciliationReportOut,
    RefundIn,
    RefundOut,
    TariffIn,
    TariffOut,
)
from yidan.waybills import service as waybills

router = APIRouter(prefix="/api/v1/settlement", tags=["settlement"])


async def stripe_gateway(request: Request) -> StripeGateway:
    """The Stripe gateway of this app's settings."""
    try:
        return gateway_for(request.app.state.settings)
    except StripeNotConfigured as exc:
        raise PaymentsUnavailable(str(exc)) from exc


GatewayDep = Annotated[StripeGateway, Depends(stripe_gateway)]


# ---- rate cards and quotes ----


@router.post(
    "/tariffs", response_model=TariffOut, status_code=status.HTTP_201_CREATED, summary="Publish a rate card"
)
async def create_tariff(session: SessionDep, principal: PrincipalDep, body: TariffIn) -> TariffOut:
    """A rate card of the caller's organisation for one mode (and optionally one lane)."""
    return TariffOut.model_validate(await tariffs.create_tariff(session, principal, body))


@router.get("/tariffs", response_model=list[TariffOut], summary="Rate cards")
async def list_tariffs(session: SessionDep, principal: PrincipalDep) -> list[TariffOut]:
    """The caller's organisation's rate cards."""
    return [TariffOut.model_validate(t) for t in await tariffs.list_tariffs(session, principal)]


@router.post(
    "/waybills/{number}/quotes",
    response_model=QuoteOut,
    status_code=status.HTTP_201_CREATED,
    summary="Get a quote",
)
async def request_quote(session: SessionDep, principal: PrincipalDep, number: str) -> QuoteOut:
    """Price the caller's waybill leg by leg; earlier offers are superseded."""
    quote = await quotes.quote_waybill(session, principal, number)
    return (await views.quotes_out(session, [quote]))[0]


@router.get("/waybills/{number}/quotes", response_model=list[QuoteOut], summary="Quotes of a waybill")
async def list_quotes(session: SessionDep, principal: PrincipalDep, number: str) -> list[QuoteOut]:
    """The waybill's quotes, newest first (for its shipper and its seller)."""
    return await views.quotes_out(session, await quotes.quotes_for(session, principal, number))


@router.post("/quotes/{quote_id}/accept", response_model=QuoteOut, summary="Accept a quote")
async def accept_quote(session: SessionDep, principal: PrincipalDep, quote_id: uuid.UUID) -> QuoteOut:
    """Accept an offered quote; it is frozen and becomes the basis of the invoice."""
    quote = await quotes.accept_quote(session, principal, quote_id)
    return (await views.quotes_out(session, [quote]))[0]


# ---- invoices ----


async def _invoice_out(session: AsyncSession, invoice: invoices.Invoice) -> InvoiceOut:
    return (await views.invoices_out(session, [invoice]))[0]


@router.post(
    "/invoices", response_model=InvoiceOut, status_code=status.HTTP_201_CREATED, summary="Invoice a waybill"
)
async def create_invoice(session: SessionDep, principal: PrincipalDep, body: InvoiceCreateIn) -> InvoiceOut:
    """Draft (or issue at once) the invoice of a waybill from its accepted quote."""
    invoice = await invoices.create_invoice(session, principal, body.waybill_number, issue=body.issue)
    return await _invoice_out(session, invoice)


@router.get("/invoices", response_model=InvoicePageOut, summary="List invoices")
async def list_invoices(
    session: SessionDep,
    principal: PrincipalDep,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    kind: InvoiceKind | None = None,
    waybill: Annotated[str | None, Query(max_length=16, description="waybill number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> InvoicePageOut:
    """Invoices the caller may see (owed by or issued by its organisation), newest first."""
    waybill_id = (await waybills.get_waybill(session, principal, waybill)).id if waybill else None
    rows, next_cursor = await invoices.list_invoices(
        session, principal, status=status_ or [], kind=kind, waybill_id=waybill_id, limit=limit, cursor=cursor
    )
    return InvoicePageOut(items=await views.invoices_out(session, rows), next_cursor=next_cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, summary="One invoice")
async def get_invoice(session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID) -> InvoiceOut:
    """An invoice or credit note with its lines."""
    return await _invoice_out(session, await invoices.get_invoice(session, principal, invoice_id))


@router.post("/invoices/{invoice_id}/issue", response_model=InvoiceOut, summary="Issue an invoice")
async def issue_invoice(session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID) -> InvoiceOut:
    """Issue a draft: it gets the next number of the organisation's series."""
    return await _invoice_out(session, await invoices.issue_invoice(session, principal, invoice_id))


@router.post("/invoices/{invoice_id}/void", response_model=InvoiceOut, summary="Void an invoice")
async def void_invoice(
    session: SessionDep,
    principal: PrincipalDep,
    invoice_id: uuid.UUID,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> InvoiceOut:
    """Void a draft or an unpaid issued invoice; its number stays used."""
    return await _invoice_out(session, await invoices.void_invoice(session, principal, invoice_id, reason))


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response_model=InvoiceOut,
    status_code=status.HTTP_201_CREATED,
    summary="Credit an invoice",
)
async def credit_invoice(
    session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID, body: CreditNoteIn
) -> InvoiceOut:
    """Issue a credit note against an invoice."""
    note = await invoices.create_credit_note(
        session, principal, invoice_id, amount_minor=body.amount_minor, reason=body.reason
    )
    return await _invoice_out(session, note)


@router.get(
    "/invoices/{invoice_id}/document.pdf",
    summary="Invoice PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def invoice_pdf(session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID) -> Response:
    """The invoice or credit note as a bilingual PDF."""
    invoice = await invoices.get_invoice(session, principal, invoice_id)
    doc = await views.invoice_document(session, invoice)
    pdf = await asyncio.to_thread(render_invoice_pdf, doc)
    name = invoice.number or f"draft-{invoice.id}"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


# ---- payments and refunds ----


@router.get("/config", response_model=PaymentConfigOut, summary="Payment configuration for the browser")
async def payment_config(request: Request, principal: PrincipalDep) -> PaymentConfigOut:
    """The publishable key and where to load Stripe.js from (localstripe's copy in test mode)."""
    settings = request.app.state.settings
    base = settings.stripe_api_base
    return PaymentConfigOut(
        publishable_key=settings.stripe_publishable_key,
        stripe_js_url=f"{base.rstrip('/')}/js.stripe.com/v3/" if base else settings.stripe_js_url,
        test_mode=bool(base) or (settings.stripe_api_key or "").startswith("sk_test_"),
        currency=DEFAULT_CURRENCY,
    )


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Pay an invoice",
)
async def pay_invoice(
    session: SessionDep, principal: PrincipalDep, gateway: GatewayDep, invoice_id: uuid.UUID, body: PaymentIn
) -> PaymentOut:
    """Start a payment (all or part of the balance due): a PaymentIntent, confirmed at once when a
    payment method is given; otherwise confirm it with Stripe.js using the client secret."""
    payment = await payments.start_payment(session, principal, invoice_id, body)
    payment = await payments.submit_payment(session, gateway, payment.id, body.payment_method)
    return views.payment_out(principal, payment)


@router.get(
    "/invoices/{invoice_id}/payments", response_model=list[PaymentOut], summary="Payments of an invoice"
)
async def list_payments(
    session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID
) -> list[PaymentOut]:
    """The invoice's payment attempts, oldest first."""
    return [
        views.payment_out(principal, p) for p in await payments.payments_of(session, principal, invoice_id)
    ]


@router.get("/payments/{payment_id}", response_model=PaymentOut, summary="One payment")
async def get_payment(session: SessionDep, principal: PrincipalDep, payment_id: uuid.UUID) -> PaymentOut:
    """A payment attempt."""
    return views.payment_out(principal, await payments.get_payment(session, principal, payment_id))


@router.post("/payments/{payment_id}/confirm", response_model=PaymentOut, summary="Confirm a payment")
async def confirm_payment(
    session: SessionDep, principal: PrincipalDep, gateway: GatewayDep, payment_id: uuid.UUID, body: ConfirmIn
) -> PaymentOut:
    """Confirm a payment started without a payment method."""
    payment = await payments.confirm_payment(session, gateway, principal, payment_id, body.payment_method)
    return views.payment_out(principal, payment)


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundOut,
    status_code=status.HTTP_201_CREATED,
    summary="Refund a payment",
)
async def refund_payment(
    session: SessionDep, principal: PrincipalDep, gateway: GatewayDep, payment_id: uuid.UUID, body: RefundIn
) -> RefundOut:
    """Refund all or part of a payment (finance users of the seller); a credit note records it."""
    refund = await payments.start_refund(session, principal, payment_id, body)
    return RefundOut.model_validate(await payments.submit_refund(session, gateway, refund.id))


@router.get("/invoices/{invoice_id}/refunds", response_model=list[RefundOut], summary="Refunds of an invoice")
async def list_refunds(
    session: SessionDep, principal: PrincipalDep, invoice_id: uuid.UUID
) -> list[RefundOut]:
    """The refunds on an invoice."""
    return [RefundOut.model_validate(r) for r in await payments.refunds_of(session, principal, invoice_id)]


# ---- Stripe webhooks ----


@router.post(
    "/stripe/webhook",
    summary="Stripe webhook",
    responses={400: {"description": "bad signature, stale timestamp or not an event"}},
)
async def stripe_webhook(
    request: Request,
    session: SessionDep,
    gateway: GatewayDep,
    background: BackgroundTasks,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> dict[str, object]:
    """Verify, store once, acknowledge; the event is applied right after the answer (and by the worker
    should this process stop first)."""
    event = webhooks.verify(await request.body(), stripe_signature, gateway.config)
    new = await webhooks.store(session, event)
    # durable before the acknowledgement: Stripe may never send it again
    await session.commit()
    if new:
        maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        background.add_task(webhooks.apply_event, maker, gateway, event["id"])
    return {"received": True, "duplicate": not new}


# ---- ledger and reconciliation ----


@router.get("/ledger/balances", response_model=list[BalanceOut], summary="Ledger balances")
async def ledger_balances(session: SessionDep, principal: PrincipalDep) -> list[BalanceOut]:
    """The caller's organisation's account balances (finance users)."""
    require_finance(principal, "the ledger")
    rows = await ledger.balances(session, views.org_scope(principal))
    return [BalanceOut(account=r.account, currency=r.currency, balance_minor=r.balance_minor) for r in rows]


@router.post("/reconciliation/imports", response_model=ImportOut, summary="Import from Stripe")
async def run_import(request: Request, principal: PrincipalDep, gateway: GatewayDep) -> ImportOut:
    """Import Stripe balance transactions and payouts now (an interrupted import carries on)."""
    require_finance(principal, "reconciliation")
    txns, payouts, resumed = await reconciliation.import_from_stripe(request.app.state.sessionmaker, gateway)
    return ImportOut(balance_transactions=txns, payouts=payouts, resumed=resumed)


@router.get(
    "/reconciliation/report",
    response_model=ReconciliationReportOut,
    summary="Reconciliation report",
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def reconciliation_report(
    session: SessionDep,
    principal: PrincipalDep,
    format: Literal["json", "csv", "xlsx"] = "json",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response | ReconciliationReportOut:
    """Matched, unmatched on either side, mismatches, fees and payouts; as JSON, CSV or XLSX."""
    require_finance(principal, "reconciliation")
    report = await reconciliation.build_report(
        session, org_id=views.org_scope(principal), since=since, until=until
    )
    stamp = report.generated_at.strftime("%Y%m%d-%H%M%S")
    if format == "csv":
        return Response(
            exports.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="reconciliation-{stamp}.csv"'},
        )
    if format == "xlsx":
        return Response(
            exports.to_xlsx(report),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="reconciliation-{stamp}.xlsx"'},
        )
    return views.report_out(report)
