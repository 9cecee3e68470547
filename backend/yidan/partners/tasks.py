"""Sending webhooks: due deliveries are locked in batches (FOR UPDATE SKIP LOCKED, so several workers
share the outbox), signed the Standard Webhooks way, posted, and retried with backoff until delivered
or given up. A worker that dies between sending and committing sends again later: at-least-once, and
the receiver drops a repeat by its webhook-id."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from yidan import __version__
from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from yidan.settings import Settings

log = logging.getLogger("yidan.partners.webhooks")

# the wait after the 1st, 2nd, … failed attempt; the attempt after the last one is the last of all
RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
JITTER = 0.2
ERROR_MAX = 500


@dataclass(frozen=True)
class DeliveryConfig:
    """How the worker sends: timeout, attempts before giving up, when to disable, batch size."""

    timeout_s: float = 10.0
    max_attempts: int = len(RETRY_DELAYS) + 1
    disable_after_dead: int = 5
    batch: int = 20


def config_for(settings: Settings) -> DeliveryConfig:
    """The delivery configuration of these settings."""
    return DeliveryConfig(
        timeout_s=settings.webhooks_timeout_s,
        max_attempts=settings.webhooks_max_attempts,
        disable_after_dead=settings.webhooks_disable_after_dead,
        batch=settings.webhooks_batch,
    )


def retry_delay(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts, stretched by up to 20 % so retries spread out."""
    base = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    return base * (1 + random.uniform(0, JITTER))


def body_of(delivery: WebhookDelivery) -> str:
    """The exact text that is posted and signed."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256)."""
    at = at.astimezone(UTC)
    return {
        "content-type": "application/json",
        "user-agent": f"Yidan-Webhooks/{__version__}",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
    }


@dataclass
class Outcome:
    """What one attempt came to."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass
class PassResult:
    """What one pass over the outbox did."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    disabled: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Attempts made in the pass."""
        return self.delivered + self.retrying + self.dead


async def attempt(
    client: httpx.AsyncClient, delivery: WebhookDelivery, sub: WebhookSubscription, timeout_s: float
) -> Outcome:
    """Post one signed delivery; a 2xx answer is success, anything else (or no answer) a failure."""
    body = body_of(delivery)
    headers = signed_headers(sub.secret, str(delivery.event_id), body, utcnow())
    started = time.perf_counter()
    try:
        response = await client.post(
            sub.url, content=body.encode(), headers=headers, timeout=timeout_s, follow_redirects=False
        )
    except httpx.TimeoutException:
        return Outcome(False, None, f"no answer within {timeout_s:g} s", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX], _ms(started))
    took = _ms(started)
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None, took)
    text = response.text.strip().replace("\n", " ")
    detail = f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text}" if text else "")
    return Outcome(False, response.status_code, detail[:ERROR_MAX], took)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


async def deliver_due(
    maker: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    cfg: DeliveryConfig,
    *,
    now: datetime | None = None,
) -> PassResult:
    """Send one batch of due deliveries of active subscriptions and record each outcome."""
    now = now or utcnow()
    result = PassResult()
    async with maker() as session:
        due = (
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(
                WebhookDelivery.status.in_([WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED]),
                WebhookDelivery.next_attempt_at <= now,
                WebhookSubscription.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(cfg.batch)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
        rows = (await session.execute(due)).all()
        if not rows:
            return result
        outcomes = await asyncio.gather(*(attempt(client, d, s, cfg.timeout_s) for d, s in rows))
        for (delivery, sub), outcome in zip(rows, outcomes, strict=True):
            await _record(session, delivery, sub, outcome, cfg, now, result)
        await session.commit()
    return result


async def _record(
    session: AsyncSession,
    delivery: WebhookDelivery,
    sub: WebhookSubscription,
    outcome: Outcome,
    cfg: DeliveryConfig,
    now: datetime,
    result: PassResult,
) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = utcnow()
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.last_duration_ms = outcome.duration_ms
    if outcome.ok:
        delivery.status = WebhookDeliveryStatus.DELIVERED
        delivery.delivered_at = delivery.last_attempt_at
        delivery.next_attempt_at = None
        result.delivered += 1
        if sub.dead_streak:
            await session.execute(
                update(WebhookSubscription).where(WebhookSubscription.id == sub.id).values(dead_streak=0)
            )
        what = "delivered"
    elif delivery.attempts >= cfg.max_attempts:
        delivery.status = WebhookDeliveryStatus.DEAD
        delivery.next_attempt_at = None
        result.dead += 1
        what = "dead (gave up)"
        await _count_dead(session, sub, cfg, result)
    else:
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        result.retrying += 1
        what = f"failed, retry at {delivery.next_attempt_at.isoformat(timespec='seconds')}"
    log.info(
        "webhook %s %s → %s: %s (%s, %d ms, attempt %d)",
        delivery.event_type,
        delivery.event_id,
        sub.url,
        what,
        f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error,
        outcome.duration_ms,
        delivery.attempts,
    )


async def _count_dead(
    session: AsyncSession, sub: WebhookSubscription, cfg: DeliveryConfig, result: PassResult
) -> None:
    """One more delivery given up; after disable_after_dead in a row the subscription is disabled."""
    streak = await session.scalar(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == sub.id)
        .values(dead_streak=WebhookSubscription.dead_streak + 1)
        .returning(WebhookSubscription.dead_streak)
    )
    if not cfg.disable_after_dead or (streak or 0) < cfg.disable_after_dead:
        return
    reason = f"{streak} deliveries in a row failed after every retry; fix the endpoint and enable it again"
    disabled = await session.scalar(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == sub.id, WebhookSubscription.active.is_(True))
        .values(active=False, disabled_reason=reason, updated_at=utcnow())
        .returning(WebhookSubscription.org_id)
    )
    if disabled is None:
        return
    result.disabled.append(str(sub.id))
    log.warning("webhook subscription %s to %s disabled: %s", sub.id, sub.url, reason)
    await audit.record(
        session,
        None,
        action="webhook.disable",
        object_type="webhook_subscription",
        object_id=str(sub.id),
        changes={"active": {"from": True, "to": False}, "reason": reason},
    )


async def deliver_all_due(
    maker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, cfg: DeliveryConfig
) -> PassResult:
    """Batches until nothing is due (or a batch sends nothing new)."""
    total = PassResult()
    while True:
        batch = await deliver_due(maker, client, cfg)
        total.delivered += batch.delivered
        total.retrying += batch.retrying
        total.dead += batch.dead
        total.disabled += batch.disabled
        if batch.sent < cfg.batch:
            return total


async def run_worker(
    maker: async_sessionmaker[AsyncSession],
    cfg: DeliveryConfig,
    *,
    once: bool = False,
    interval_s: float = 1.0,
) -> PassResult:
    """Deliver due webhooks every interval_s until cancelled (once: until nothing is due)."""
    async with httpx.AsyncClient() as client:
        while True:
            try:
                result = await deliver_all_due(maker, client, cfg)
            except Exception:
                if once:
                    raise
                log.exception("webhook delivery pass failed; trying again in %.0f s", interval_s)
            else:
                if once:
                    return result
            await asyncio.sleep(interval_s)


# ---- inside `yidan serve` ----


async def start_in_app(app: FastAPI) -> None:
    """Start the delivery loop as a task of the API process, when the settings ask for it."""
    settings: Settings = app.state.settings
    if not settings.webhooks_deliver_in_app:
        return
    app.state.webhook_worker = asyncio.create_task(
        run_worker(app.state.sessionmaker, config_for(settings), interval_s=settings.webhooks_poll_s),
        name="webhook-delivery",
    )
    log.info("webhook delivery runs in this process every %.1f s", settings.webhooks_poll_s)


async def stop_in_app(app: FastAPI) -> None:
    """Stop the in-process delivery loop (what is due stays in the outbox for the next start)."""
    task: asyncio.Task[PassResult] | None = getattr(app.state, "webhook_worker", None)
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    app.state.webhook_worker = None
