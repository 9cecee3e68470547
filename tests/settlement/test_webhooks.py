"""Replay harness: events signed with the webhook secret and posted to the endpoint in any order, twice,
badly signed or stale; and a crash between storing and applying, recovered by the worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from tests.settlement.conftest import CARD_OK, card
from yidan.settlement import ledger, webhooks
from yidan.settlement.models import EventStatus, Invoice, LedgerTransaction, Payment, Refund, StripeEvent

URL = "/api/v1/settlement/stripe/webhook"


def signed(event: dict, secret: str, *, at: int | None = None, key: str | None = None) -> tuple[bytes, dict]:
    """The raw body and headers Stripe would send."""
    body = json.dumps(event).encode()
    ts = at if at is not None else int(time.time())
    sig = hmac.new((key or secret).encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}


def event(kind: str, obj_id: str, obj: str) -> dict:
    """An event about an object; its body is only a hint (the object is re-read from Stripe)."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": obj_id, "object": obj}},
    }


async def post(client, ev: dict, secret: str, **kw):  # type: ignore[no-untyped-def]
    body, headers = signed(ev, secret, **kw)
    return await client.post(URL, content=body, headers=headers)


async def _paid_behind_our_back(deal, client, gateway):  # type: ignore[no-untyped-def]
    """An invoice whose payment and a refund happened in Stripe without Yidan hearing of it yet."""
    invoice = await deal.invoice()
    r = await client.post(
        f"/api/v1/settlement/invoices/{invoice['id']}/payments", json={}, headers=deal.shipper.headers
    )
    payment = r.json()
    assert payment["status"] == "requires_payment_method" and payment["client_secret"]
    intent = payment["stripe_payment_intent_id"]
    # what Stripe.js and then the Stripe Dashboard would do
    await gateway.set_payment_method(intent, await card(gateway, CARD_OK))
    confirmed = await gateway.confirm_payment_intent(intent)
    assert confirmed["status"] == "succeeded"
    refund = await gateway.client.v1.refunds.create_async(params={"payment_intent": intent, "amount": 10000})
    charge_id = confirmed["latest_charge"]
    charge_id = charge_id["id"] if isinstance(charge_id, dict) else charge_id
    return invoice, payment, intent, str(charge_id), str(refund.id)


async def _state(sessionmaker, invoice_id):  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        inv = await s.get_one(Invoice, uuid.UUID(invoice_id))
        journal = await s.scalar(select(func.count()).select_from(LedgerTransaction))
        refunds = await s.scalar(select(func.count()).select_from(Refund).where(Refund.invoice_id == inv.id))
        notes = await s.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.credited_invoice_id == inv.id)
        )
        trial = await ledger.trial_balance(s)
        return (inv.status, inv.amount_paid_minor, inv.amount_refunded_minor, refunds, notes, journal), trial


async def test_any_order_and_duplicates_change_nothing(deal, client, gateway, stripe_settings, sessionmaker):
    secret = stripe_settings.stripe_webhook_secret
    invoice, payment, intent, charge, refund = await _paid_behind_our_back(deal, client, gateway)
    # the refund's news arrives before the payment's
    refunded = event("charge.refunded", charge, "charge")
    r = await post(client, refunded, secret)
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False}
    state, trial = await _state(sessionmaker, invoice["id"])
    total = invoice["total_minor"]
    assert state[:5] == ("paid", total, 10000, 1, 1)
    assert all(v == 0 for v in trial.values())
    succeeded = event("payment_intent.succeeded", intent, "payment_intent")
    refund_created = event("charge.refund.updated", refund, "refund")
    for ev in (succeeded, refund_created, refunded, succeeded):
        r = await post(client, ev, secret)
        assert r.status_code == 200
    r = await post(client, refunded, secret)
    assert r.json()["duplicate"] is True
    # the same news under a new event id (Stripe sends a succeeded event twice) is applied once
    r = await post(client, event("payment_intent.succeeded", intent, "payment_intent"), secret)
    assert r.status_code == 200
    again, trial = await _state(sessionmaker, invoice["id"])
    assert again == state
    assert all(v == 0 for v in trial.values())
    async with sessionmaker() as s:
        p = await s.get_one(Payment, uuid.UUID(payment["id"]))
        assert p.status == "succeeded" and p.amount_refunded_minor == 10000
        stored = await s.scalar(
            select(func.count()).select_from(StripeEvent).where(StripeEvent.id == refunded["id"])
        )
        assert stored == 1


async def test_bad_signatures_and_stale_timestamps_are_rejected(client, stripe_settings, sessionmaker):
    secret = stripe_settings.stripe_webhook_secret
    ev = event("payment_intent.succeeded", "pi_nothing", "payment_intent")
    r = await post(client, ev, secret, key="whsec_wrong")
    assert r.status_code == 400 and r.json()["code"] == "bad_signature"
    r = await post(client, ev, secret, at=int(time.time()) - 3600)
    assert r.status_code == 400 and r.json()["code"] == "bad_signature"
    body, headers = signed(ev, secret)
    r = await client.post(URL, content=body + b" ", headers=headers)
    assert r.status_code == 400
    r = await client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = await client.post(URL, content=body, headers={"Stripe-Signature": "garbage"})
    assert r.status_code == 400
    body = b"\xff\xfe not json"
    ts = int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    r = await client.post(URL, content=body, headers={"Stripe-Signature": f"t={ts},v1={sig}"})
    assert r.status_code == 400
    async with sessionmaker() as s:
        assert await s.get(StripeEvent, ev["id"]) is None


async def test_unknown_event_type_is_acknowledged_and_ignored(client, gateway, stripe_settings, sessionmaker):
    secret = stripe_settings.stripe_webhook_secret
    ev = event("customer.subscription.trial_will_end", "sub_123", "subscription")
    r = await post(client, ev, secret)
    assert r.status_code == 200
    # a payment event about a PaymentIntent Yidan never made is acknowledged and ignored too
    foreign = await gateway.create_payment_intent(
        {"amount": 500, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True},
        idempotency_key=uuid.uuid4().hex,
    )
    other = event("payment_intent.succeeded", foreign["id"], "payment_intent")
    r = await post(client, other, secret)
    assert r.status_code == 200
    async with sessionmaker() as s:
        assert (await s.get_one(StripeEvent, ev["id"])).status == EventStatus.IGNORED
        assert (await s.get_one(StripeEvent, other["id"])).status == EventStatus.IGNORED


async def test_crash_between_storing_and_applying_is_recovered_by_the_worker(
    deal, client, gateway, stripe_settings, sessionmaker
):
    invoice, _payment, intent, _, _ = await _paid_behind_our_back(deal, client, gateway)
    ev = event("payment_intent.succeeded", intent, "payment_intent")
    # the endpoint stored the event, then the process died before applying it
    async with sessionmaker() as s:
        assert await webhooks.store(s, ev)
        await s.commit()
    state, _ = await _state(sessionmaker, invoice["id"])
    assert state[0] == "issued"
    applied = await webhooks.apply_pending(sessionmaker, gateway, grace=timedelta(0))
    assert applied >= 1
    state, trial = await _state(sessionmaker, invoice["id"])
    assert state[:5] == ("paid", invoice["total_minor"], 10000, 1, 1)
    assert all(v == 0 for v in trial.values())
    async with sessionmaker() as s:
        assert (await s.get_one(StripeEvent, ev["id"])).status == EventStatus.APPLIED
    # a second pass finds nothing left to do
    assert await webhooks.apply_pending(sessionmaker, gateway, grace=timedelta(0)) == 0
