"""Background work for settlement: apply stored webhook events that were never applied, and reconcile
with Stripe once a day."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.settlement import exports, reconciliation, webhooks
from yidan.settlement.gateway import StripeGateway
from yidan.settlement.models import ImportRun

log = logging.getLogger("yidan.settlement.tasks")

RECONCILE_EVERY = timedelta(days=1)


@dataclass
class PassResult:
    """What one worker pass did."""

    events_applied: int
    reconciled: bool
    report: reconciliation.Report | None = None


async def reconciliation_due(
    maker: async_sessionmaker[AsyncSession], every: timedelta = RECONCILE_EVERY
) -> bool:
    """True when no import of balance transactions finished within `every` (or one was interrupted)."""
    async with maker() as session:
        last = await session.scalar(
            select(ImportRun)
            .where(ImportRun.kind == "balance_transactions")
            .order_by(ImportRun.started_at.desc())
            .limit(1)
        )
    return last is None or last.status != "completed" or last.started_at < utcnow() - every


async def reconcile(maker: async_sessionmaker[AsyncSession], gateway: StripeGateway) -> reconciliation.Report:
    """Import from Stripe and build the platform-wide report."""
    txns, payouts, resumed = await reconciliation.import_from_stripe(maker, gateway)
    log.info(
        "imported %d balance transactions and %d payouts from Stripe%s", txns, payouts, " (resumed)" * resumed
    )
    async with maker() as session:
        return await reconciliation.build_report(session)


async def run_pass(
    maker: async_sessionmaker[AsyncSession],
    gateway: StripeGateway,
    *,
    force_reconcile: bool = False,
    grace: timedelta = timedelta(seconds=10),
) -> PassResult:
    """Apply pending webhook events, then reconcile when a day has passed (or when forced)."""
    applied = await webhooks.apply_pending(maker, gateway, grace=grace)
    if applied:
        log.info("applied %d stored Stripe events", applied)
    if force_reconcile or await reconciliation_due(maker):
        report = await reconcile(maker, gateway)
        log.info("reconciliation: %s", report.counts)
        return PassResult(applied, True, report)
    return PassResult(applied, False)


async def run_worker(
    maker: async_sessionmaker[AsyncSession],
    gateway: StripeGateway,
    *,
    once: bool = False,
    interval_s: float = 15.0,
) -> PassResult:
    """Run passes until cancelled (or one pass with once); a failing pass is logged and retried."""
    while True:
        try:
            result = await run_pass(
                maker, gateway, force_reconcile=once, grace=timedelta(0) if once else timedelta(seconds=10)
            )
        except Exception:
            if once:
                raise
            log.exception("settlement worker pass failed; trying again in %.0f s", interval_s)
        else:
            if once:
                if result.report is not None:
                    print(exports.to_text(result.report), flush=True)
                return result
        await asyncio.sleep(interval_s)
