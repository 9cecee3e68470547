"""Paying invoices through Stripe PaymentIntents, refunds, and bringing our records in line with Stripe.

A payment attempt is committed before Stripe is called (so no money can move without a durable record),
created with the idempotency key invoice + attempt, and its outcome is always taken from the
PaymentIntent re-read from Stripe — whether the answer, a webhook or the worker brings the news.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import DomainError, IllegalTransition, NotFound, ValidationFailed
from yidan.identity.models import Organisation
from yidan.identity.principal import Principal
from yidan.partners import outbox
from yidan.settlement import invoices, ledger
from yidan.settlement.access import require_finance, require_payer
from yidan.settlement.gateway import PaymentDeclinedError, StripeError, StripeGateway, object_id
from yidan.settlement.models import Invoice, InvoiceStatus, Payment, PaymentCustomer, PaymentStatus, Refund
from yidan.settlement.money import to_stripe_currency
from yidan.settlement.schemas import PaymentIn, RefundIn

log = logging.getLogger("yidan.settlement.payments")

IN_FLIGHT = (PaymentStatus.CREATED, PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)
WALLETS = ("alipay", "wechat_pay")


class PaymentProviderError(DomainError):
    """Stripe could not be reached or refused the request; the attempt is kept and can be retried."""

    status, code, title = 502, "payment_provider_error", "Payment provider error"


def _ts(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC) if value else utcnow()


# ---- paying ----


async def _reserved(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            Payment.invoice_id == invoice_id, Payment.status.in_([s.value for s in IN_FLIGHT])
        )
    )
    return int(total or 0)


async def start_payment(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID, data: PaymentIn
) -> Payment:
    """Record a new payment attempt on an invoice the caller's organisation owes (not yet sent to Stripe)."""
    invoice = await invoices.get_invoice(session, principal, invoice_id, lock=True)
    if invoice.buyer_org_id != principal.org_id:
        raise NotFound(f"invoice {invoice_id} not found")
    require_payer(principal)
    if invoice.status not in invoices.OPEN:
        raise IllegalTransition(f"invoice {invoice.number or invoice.id} is {invoice.status}; nothing to pay")
    available = invoices.balance_due(invoice) - await _reserved(session, invoice.id)
    amount = data.amount_minor or available
    if available <= 0 or amount > available:
        raise ValidationFailed(
            f"amount_minor: at most {max(available, 0)} can be paid on {invoice.number} now",
            errors=[{"field": "amount_minor", "message": f"at most {max(available, 0)}"}],
            code="over_payment",
        )
    attempt = (
        int(
            await session.scalar(
                select(func.coalesce(func.max(Payment.attempt), 0)).where(Payment.invoice_id == invoice.id)
            )
            or 0
        )
        + 1
    )
    payment = Payment(
        invoice_id=invoice.id,
        org_id=invoice.buyer_org_id,
        seller_org_id=invoice.org_id,
        attempt=attempt,
        idempotency_key=f"yidan:invoice:{invoice.id}:attempt:{attempt}",
        method=data.method,
        amount_minor=amount,
        currency=invoice.currency,
        status=PaymentStatus.CREATED,
        amount_received_minor=0,
        amount_refunded_minor=0,
        created_by=principal.user_id,
    )
    session.add(payment)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="payment.start",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={
            "payment": str(payment.id),
            "attempt": attempt,
            "amount_minor": amount,
            "method": data.method,
        },
    )
    return payment


async def _customer(session: AsyncSession, gateway: StripeGateway, org_id: uuid.UUID) -> str:
    row = await session.get(PaymentCustomer, org_id)
    if row is not None:
        return row.stripe_customer_id
    org = await session.get_one(Organisation, org_id)
    customer = await gateway.create_customer(name=org.name, org_id=str(org_id))
    session.add(PaymentCustomer(org_id=org_id, stripe_customer_id=customer["id"]))
    await session.flush()
    return str(customer["id"])


async def submit_payment(
    session: AsyncSession, gateway: StripeGateway, payment_id: uuid.UUID, payment_method: str | None
) -> Payment:
    """Create the attempt's PaymentIntent (confirmed at once when a payment method is given).

    Commits: the attempt must be durable before Stripe is called, and what Stripe answered must be
    durable before the caller learns it."""
    payment = await session.get_one(Payment, payment_id, with_for_update=True)
    invoice = await session.get_one(Invoice, payment.invoice_id)
    await session.commit()
    params: dict[str, Any] = {
        "amount": payment.amount_minor,
        "currency": to_stripe_currency(payment.currency),
        "metadata": {
            "yidan_payment": str(payment.id),
            "yidan_invoice": str(invoice.id),
            "yidan_invoice_number": invoice.number or "",
            "yidan_org": str(payment.org_id),
            "yidan_seller": str(payment.seller_org_id),
        },
    }
    if payment.method in WALLETS:
        # Alipay and WeChat Pay are confirmed by the payer's browser or app through Stripe.js
        params["payment_method_types"] = [payment.method]
        if payment.method == "wechat_pay":
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    intent: dict[str, Any] | None = None
    try:
        if payment_method and payment.method == "card":
            if payment_method.startswith("card_"):
                # a card from a Stripe.js token is for this payment only: it cannot be saved on a Customer
                params.update(payment_method=payment_method, confirm=True)
            else:
                customer = await _customer(session, gateway, payment.org_id)
                await session.commit()
                await gateway.attach_payment_method(payment_method, customer)
                params.update(customer=customer, payment_method=payment_method, confirm=True)
        intent = await gateway.create_payment_intent(params, idempotency_key=payment.idempotency_key)
    except PaymentDeclinedError as exc:
        intent = await _intent_of_decline(gateway, exc)
        if intent is None:
            payment = await session.get_one(Payment, payment_id, with_for_update=True)
            payment.status = PaymentStatus.FAILED
            payment.failure_code = exc.code or "card_declined"
            payment.failure_message = (exc.user_message or str(exc))[:500]
            await session.commit()
            return payment
    except StripeError as exc:
        log.warning("Stripe refused payment %s: %s", payment_id, exc)
        raise PaymentProviderError(
            f"Stripe could not take the payment now: {exc.user_message or exc}"
        ) from exc
    synced = await sync_intent(session, intent) if intent is not None else None
    await session.commit()
    if synced is None:
        synced = await session.get_one(Payment, payment_id)
    return synced


async def _intent_of_decline(gateway: StripeGateway, exc: PaymentDeclinedError) -> dict[str, Any] | None:
    """The PaymentIntent a declined confirmation left behind (found through its charge if need be)."""
    body: dict[str, Any] = exc.json_body if isinstance(exc.json_body, dict) else {}
    error: dict[str, Any] = body.get("error") or {}
    intent_id = object_id(error.get("payment_intent"))
    if intent_id is None and error.get("charge"):
        charge = await gateway.retrieve_charge(str(error["charge"]))
        intent_id = object_id(charge.get("payment_intent"))
    return await gateway.retrieve_payment_intent(intent_id) if intent_id else None


async def confirm_payment(
    session: AsyncSession,
    gateway: StripeGateway,
    principal: Principal,
    payment_id: uuid.UUID,
    payment_method: str,
) -> Payment:
    """Confirm an attempt made without a payment method, with one collected by Stripe.js."""
    payment = await get_payment(session, principal, payment_id)
    if payment.org_id != principal.org_id:
        raise NotFound(f"payment {payment_id} not found")
    require_payer(principal)
    if payment.status != PaymentStatus.REQUIRES_PAYMENT_METHOD or not payment.stripe_payment_intent_id:
        raise IllegalTransition(f"payment {payment_id} is {payment.status}; it cannot be confirmed now")
    intent_id = payment.stripe_payment_intent_id
    await session.commit()
    try:
        await gateway.set_payment_method(intent_id, payment_method)
        intent = await gateway.confirm_payment_intent(intent_id)
    except PaymentDeclinedError:
        intent = await gateway.retrieve_payment_intent(intent_id)
    except StripeError as exc:
        raise PaymentProviderError(
            f"Stripe could not confirm the payment: {exc.user_message or exc}"
        ) from exc
    synced = await sync_intent(session, intent)
    await session.commit()
    return synced or payment


# ---- bringing our records in line with Stripe (idempotent, any order) ----


async def _payment_for(session: AsyncSession, intent: dict[str, Any]) -> Payment | None:
    payment = await session.scalar(
        select(Payment)
        .where(Payment.stripe_payment_intent_id == intent["id"])
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment is None:
        ref = (intent.get("metadata") or {}).get("yidan_payment")
        try:
            ident = uuid.UUID(str(ref))
        except ValueError:
            return None
        payment = await session.get(Payment, ident, with_for_update=True, populate_existing=True)
        if payment is not None and payment.stripe_payment_intent_id not in (None, intent["id"]):
            return None
    return payment


async def sync_intent(session: AsyncSession, intent: dict[str, Any]) -> Payment | None:
    """Apply a PaymentIntent as Stripe has it now; None when it is not one of ours."""
    payment = await _payment_for(session, intent)
    if payment is None:
        return None
    payment.stripe_payment_intent_id = intent["id"]
    payment.client_secret = intent.get("client_secret") or payment.client_secret
    status = str(intent.get("status"))
    charge = intent.get("latest_charge")
    payment.stripe_charge_id = object_id(charge) or payment.stripe_charge_id
    if payment.status != PaymentStatus.SUCCEEDED:
        if status == "succeeded":
            await _succeeded(session, payment, intent)
        elif status == "canceled":
            payment.status = PaymentStatus.CANCELED
        elif status == "processing":
            payment.status = PaymentStatus.PROCESSING
        elif status == "requires_action":
            payment.status = PaymentStatus.REQUIRES_ACTION
        elif status == "requires_payment_method":
            error = intent.get("last_payment_error") or {}
            if error:
                payment.status = PaymentStatus.FAILED
                payment.failure_code = str(error.get("code") or error.get("decline_code") or "payment_failed")
                payment.failure_message = str(error.get("message") or "")[:500] or None
            elif payment.status != PaymentStatus.FAILED:
                payment.status = PaymentStatus.REQUIRES_PAYMENT_METHOD
    if isinstance(charge, dict):
        await _fee(session, payment, charge)
    await session.flush()
    return payment


async def _succeeded(session: AsyncSession, payment: Payment, intent: dict[str, Any]) -> None:
    received = int(intent.get("amount_received") or intent.get("amount") or payment.amount_minor)
    charge = intent.get("latest_charge")
    when = _ts(charge.get("created")) if isinstance(charge, dict) else utcnow()
    payment.status = PaymentStatus.SUCCEEDED
    payment.amount_received_minor = received
    payment.succeeded_at = when
    payment.failure_code = payment.failure_message = None
    invoice = await session.get_one(Invoice, payment.invoice_id, with_for_update=True, populate_existing=True)
    invoice.amount_paid_minor += received
    invoices.settle_status(invoice)
    await ledger.post(
        session,
        reference=f"payment:{intent['id']}",
        kind="payment",
        description=f"payment for {invoice.number} ({intent['id']})",
        postings=ledger.payment_received(invoice.org_id, payment.currency, received),
        occurred_at=when,
        invoice_id=invoice.id,
        payment_id=payment.id,
    )
    await audit.record(
        session,
        None,
        action="payment.succeeded",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"payment": str(payment.id), "amount_minor": received, "status": invoice.status},
    )
    await outbox.payment_succeeded(session, payment, invoice)


async def _fee(session: AsyncSession, payment: Payment, charge: dict[str, Any]) -> None:
    txn = charge.get("balance_transaction")
    if not isinstance(txn, dict) or payment.fee_minor is not None:
        return
    fee = int(txn.get("fee") or 0)
    payment.fee_minor = fee
    await ledger.post(
        session,
        reference=f"fee:{txn['id']}",
        kind="fee",
        description=f"Stripe fee on {charge.get('id')}",
        postings=ledger.fee_charged(payment.seller_org_id, payment.currency, fee),
        occurred_at=_ts(txn.get("created")),
        invoice_id=payment.invoice_id,
        payment_id=payment.id,
    )


async def sync_from_stripe(session: AsyncSession, gateway: StripeGateway, intent_id: str) -> Payment | None:
    """Re-read a PaymentIntent, its charge and the charge's refunds from Stripe and apply them all."""
    intent = await gateway.retrieve_payment_intent(intent_id)
    payment = await sync_intent(session, intent)
    charge_id = object_id(intent.get("latest_charge"))
    if payment is None or charge_id is None or payment.status != PaymentStatus.SUCCEEDED:
        return payment
    charge = await gateway.retrieve_charge(charge_id)
    refunds = (charge.get("refunds") or {}).get("data") or []
    for refund in sorted(refunds, key=lambda r: (r.get("created") or 0, r["id"])):
        await apply_refund(session, payment, refund)
    return payment


# ---- refunds ----


async def start_refund(
    session: AsyncSession, principal: Principal, payment_id: uuid.UUID, data: RefundIn
) -> Refund:
    """Record a refund on a payment of an invoice the caller's organisation issued (finance only)."""
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None or payment.seller_org_id != principal.org_id:
        raise NotFound(f"payment {payment_id} not found")
    require_finance(principal, "refunding")
    if payment.status != PaymentStatus.SUCCEEDED:
        raise IllegalTransition(
            f"payment {payment_id} is {payment.status}; only succeeded payments are refunded"
        )
    pending = int(
        await session.scalar(
            select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
                Refund.payment_id == payment.id, Refund.status == "pending"
            )
        )
        or 0
    )
    refundable = payment.amount_received_minor - payment.amount_refunded_minor - pending
    amount = data.amount_minor or refundable
    if refundable <= 0 or amount > refundable:
        raise ValidationFailed(
            f"amount_minor: at most {max(refundable, 0)} can be refunded on this payment",
            errors=[{"field": "amount_minor", "message": f"at most {max(refundable, 0)}"}],
            code="over_refund",
        )
    count = int(await session.scalar(select(func.count()).where(Refund.payment_id == payment.id)) or 0)
    refund = Refund(
        payment_id=payment.id,
        invoice_id=payment.invoice_id,
        idempotency_key=f"yidan:refund:{payment.id}:{count + 1}",
        amount_minor=amount,
        currency=payment.currency,
        status="pending",
        reason=data.reason,
        created_by=principal.user_id,
    )
    session.add(refund)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="refund.start",
        object_type="invoice",
        object_id=str(payment.invoice_id),
        changes={
            "payment": str(payment.id),
            "refund": str(refund.id),
            "amount_minor": amount,
            "reason": data.reason,
        },
    )
    return refund


async def submit_refund(session: AsyncSession, gateway: StripeGateway, refund_id: uuid.UUID) -> Refund:
    """Send a recorded refund to Stripe and apply what Stripe answers. Commits, like submit_payment."""
    refund = await session.get_one(Refund, refund_id)
    payment = await session.get_one(Payment, refund.payment_id)
    await session.commit()
    assert payment.stripe_payment_intent_id
    try:
        made = await gateway.create_refund(
            payment_intent=payment.stripe_payment_intent_id,
            amount=refund.amount_minor,
            idempotency_key=refund.idempotency_key,
            metadata={"yidan_refund": str(refund.id), "yidan_payment": str(payment.id)},
        )
    except StripeError as exc:
        refund = await session.get_one(Refund, refund_id, with_for_update=True)
        refund.status = "failed"
        await session.commit()
        raise PaymentProviderError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
    payment = await session.get_one(Payment, refund.payment_id, with_for_update=True, populate_existing=True)
    await apply_refund(session, payment, made)
    await session.commit()
    return await session.get_one(Refund, refund_id, populate_existing=True)


async def apply_refund(session: AsyncSession, payment: Payment, obj: dict[str, Any]) -> Refund | None:
    """Apply a Stripe refund once: a credit note, the ledger, and the payment's and invoice's totals."""
    refund = await session.scalar(
        select(Refund)
        .where(Refund.stripe_refund_id == obj["id"])
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if refund is None:
        ref = (obj.get("metadata") or {}).get("yidan_refund")
        try:
            refund = await session.get(
                Refund, uuid.UUID(str(ref)), with_for_update=True, populate_existing=True
            )
        except ValueError:
            refund = None
    if refund is None:
        # made outside Yidan (e.g. in the Stripe Dashboard): recorded all the same
        refund = Refund(
            payment_id=payment.id,
            invoice_id=payment.invoice_id,
            idempotency_key=f"stripe:{obj['id']}",
            amount_minor=int(obj["amount"]),
            currency=str(obj.get("currency") or payment.currency).upper(),
            status="pending",
            reason="refunded in Stripe",
        )
        session.add(refund)
    refund.stripe_refund_id = obj["id"]
    status = str(obj.get("status"))
    if refund.status == "succeeded" or status in ("pending", "requires_action"):
        await session.flush()
        return refund
    if status != "succeeded":
        refund.status = "failed"
        await session.flush()
        return refund
    now = _ts(obj.get("created"))
    refund.status = "succeeded"
    refund.amount_minor = int(obj["amount"])
    invoice = await session.get_one(Invoice, payment.invoice_id, with_for_update=True, populate_existing=True)
    payment.amount_refunded_minor += refund.amount_minor
    invoice.amount_refunded_minor += refund.amount_minor
    creditable = invoice.total_minor - invoice.amount_credited_minor
    if creditable > 0 and invoice.status != InvoiceStatus.VOID:
        note = await invoices.credit(
            session,
            invoice,
            gross=min(refund.amount_minor, creditable),
            reason=f"refund: {refund.reason or obj['id']}",
            created_by=refund.created_by,
            now=now,
        )
        refund.credit_note_id = note.id
    invoices.settle_status(invoice)
    await ledger.post(
        session,
        reference=f"refund:{obj['id']}",
        kind="refund",
        description=f"refund on {invoice.number} ({obj['id']})",
        postings=ledger.refund_paid(invoice.org_id, refund.currency, refund.amount_minor),
        occurred_at=now,
        invoice_id=invoice.id,
        payment_id=payment.id,
    )
    await audit.record(
        session,
        None,
        action="refund.succeeded",
        object_type="invoice",
        object_id=str(invoice.id),
        changes={"refund": obj["id"], "amount_minor": refund.amount_minor, "status": invoice.status},
    )
    await outbox.payment_refunded(session, refund, payment, invoice)
    await session.flush()
    return refund


# ---- reading ----


async def get_payment(session: AsyncSession, principal: Principal, payment_id: uuid.UUID) -> Payment:
    """A payment of an invoice the caller may see; else 404."""
    payment = await session.get(Payment, payment_id, populate_existing=True)
    if payment is None:
        raise NotFound(f"payment {payment_id} not found")
    await invoices.get_invoice(session, principal, payment.invoice_id)
    return payment


async def payments_of(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID
) -> Sequence[Payment]:
    """The payment attempts of an invoice the caller may see, oldest first."""
    await invoices.get_invoice(session, principal, invoice_id)
    rows = await session.scalars(
        select(Payment).where(Payment.invoice_id == invoice_id).order_by(Payment.attempt)
    )
    return list(rows)


async def refunds_of(session: AsyncSession, principal: Principal, invoice_id: uuid.UUID) -> Sequence[Refund]:
    """The refunds on an invoice the caller may see, oldest first."""
    await invoices.get_invoice(session, principal, invoice_id)
    rows = await session.scalars(
        select(Refund).where(Refund.invoice_id == invoice_id).order_by(Refund.created_at, Refund.id)
    )
    return list(rows)
