"""Stripe webhooks: verify the signature on the raw body, store each event once, apply it idempotently.

An event is only a hint that something changed: applying it re-reads the object from Stripe and brings
our records in line with what Stripe holds now, so duplicates, reordering and late arrivals are harmless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import stripe
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.core.errors import DomainError
from yidan.settlement import payments, reconciliation
from yidan.settlement.gateway import StripeConfig, StripeGateway, object_id
from yidan.settlement.models import EventStatus, StripeEvent

log = logging.getLogger("yidan.settlement.webhooks")

MAX_ATTEMPTS = 8


class BadWebhook(DomainError):
    """A webhook whose signature, timestamp or body is not acceptable."""

    status, code, title = 400, "bad_webhook", "Webhook rejected"


def verify(payload: bytes, signature: str | None, config: StripeConfig) -> dict[str, Any]:
    """The event of a webhook whose Stripe-Signature matches the raw body and is recent enough."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature, config.webhook_secret, config.tolerance_s)
    except stripe.SignatureVerificationError as exc:
        raise BadWebhook(str(exc).split(". ")[0], code="bad_signature") from exc
    except UnicodeDecodeError as exc:
        raise BadWebhook("the body is not UTF-8", code="bad_body") from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadWebhook("the body is not JSON", code="bad_body") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event.get("type"):
        raise BadWebhook("the body is not a Stripe event", code="bad_body")
    return event


async def store(session: AsyncSession, event: dict[str, Any]) -> bool:
    """Store an event once by its id; False when it was already stored."""
    obj = (event.get("data") or {}).get("object") or {}
    stored = await session.scalar(
        insert(StripeEvent)
        .values(
            id=event["id"],
            type=str(event["type"])[:80],
            object_id=str(obj.get("id"))[:64] if isinstance(obj, dict) and obj.get("id") else None,
            stripe_created=int(event.get("created") or 0),
            livemode=bool(event.get("livemode")),
            payload=event,
            status=EventStatus.PENDING,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
        .returning(StripeEvent.id)
    )
    return stored is not None


# ---- applying ----

Handler = Callable[[AsyncSession, StripeGateway, dict[str, Any]], Awaitable[bool]]


async def _on_payment_intent(session: AsyncSession, gateway: StripeGateway, obj: dict[str, Any]) -> bool:
    return await payments.sync_from_stripe(session, gateway, str(obj["id"])) is not None


async def _on_charge(session: AsyncSession, gateway: StripeGateway, obj: dict[str, Any]) -> bool:
    charge = await gateway.retrieve_charge(str(obj["id"]))
    intent_id = object_id(charge.get("payment_intent"))
    return intent_id is not None and await payments.sync_from_stripe(session, gateway, intent_id) is not None


async def _on_refund(session: AsyncSession, gateway: StripeGateway, obj: dict[str, Any]) -> bool:
    refund = await gateway.retrieve_refund(str(obj["id"]))
    intent_id = object_id(refund.get("payment_intent"))
    if intent_id is None and refund.get("charge"):
        charge = await gateway.retrieve_charge(str(object_id(refund["charge"])))
        intent_id = object_id(charge.get("payment_intent"))
    return intent_id is not None and await payments.sync_from_stripe(session, gateway, intent_id) is not None


async def _on_payout(session: AsyncSession, gateway: StripeGateway, obj: dict[str, Any]) -> bool:
    await reconciliation.apply_payout(session, await gateway.retrieve_payout(str(obj["id"])))
    return True


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _on_payment_intent,
    "payment_intent.payment_failed": _on_payment_intent,
    "payment_intent.canceled": _on_payment_intent,
    "payment_intent.processing": _on_payment_intent,
    "payment_intent.requires_action": _on_payment_intent,
    "payment_intent.amount_capturable_updated": _on_payment_intent,
    "charge.succeeded": _on_charge,
    "charge.failed": _on_charge,
    "charge.captured": _on_charge,
    "charge.refunded": _on_charge,
    "charge.refund.updated": _on_refund,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
    "payout.created": _on_payout,
    "payout.updated": _on_payout,
    "payout.paid": _on_payout,
    "payout.failed": _on_payout,
    "payout.canceled": _on_payout,
    "payout.reconciliation_completed": _on_payout,
}


async def apply_event(
    maker: async_sessionmaker[AsyncSession], gateway: StripeGateway, event_id: str
) -> EventStatus | None:
    """Apply one stored event in its own transaction; None when it is busy elsewhere or already done."""
    async with maker() as session:
        event = await session.scalar(
            select(StripeEvent)
            .where(StripeEvent.id == event_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if event is None or event.status in (EventStatus.APPLIED, EventStatus.IGNORED):
            return None
        handler = HANDLERS.get(event.type)
        obj = (event.payload.get("data") or {}).get("object") or {}
        try:
            ours = handler is not None and isinstance(obj, dict) and await handler(session, gateway, obj)
        except Exception as exc:
            await session.rollback()
            log.warning("applying Stripe event %s (%s) failed: %s", event_id, event.type, exc, exc_info=True)
            async with maker() as retry:
                failed = await retry.get_one(StripeEvent, event_id, with_for_update=True)
                failed.attempts += 1
                failed.status = EventStatus.FAILED
                failed.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                await retry.commit()
            return EventStatus.FAILED
        # an unknown type, or an object Yidan did not make, is acknowledged and kept, but changes nothing
        event.status = EventStatus.APPLIED if ours else EventStatus.IGNORED
        event.attempts += 1
        event.applied_at = utcnow()
        event.last_error = None
        await session.commit()
        return EventStatus(event.status)


async def apply_pending(
    maker: async_sessionmaker[AsyncSession],
    gateway: StripeGateway,
    *,
    grace: timedelta = timedelta(seconds=10),
    limit: int = 500,
) -> int:
    """Apply stored events that were never applied (a crash after storing) or failed; oldest first."""
    async with maker() as session:
        ids = list(
            await session.scalars(
                select(StripeEvent.id)
                .where(
                    or_(
                        StripeEvent.status == EventStatus.PENDING,
                        (StripeEvent.status == EventStatus.FAILED) & (StripeEvent.attempts < MAX_ATTEMPTS),
                    ),
                    StripeEvent.received_at <= utcnow() - grace,
                )
                .order_by(StripeEvent.stripe_created, StripeEvent.received_at)
                .limit(limit)
            )
        )
    done = 0
    for event_id in ids:
        if await apply_event(maker, gateway, event_id) in (EventStatus.APPLIED, EventStatus.IGNORED):
            done += 1
    return done
