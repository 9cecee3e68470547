"""Reconciliation: import Stripe balance transactions and payouts (resumable), match them to our payments
and refunds, and report what matches, what is missing on either side, what differs, fees and payouts."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.settlement import ledger
from yidan.settlement.gateway import StripeGateway
from yidan.settlement.models import (
    ImportRun,
    Invoice,
    Payment,
    PaymentStatus,
    Refund,
    StripeBalanceTransaction,
    StripePayout,
)

log = logging.getLogger("yidan.settlement.reconciliation")

BATCH = 100
# Stripe lists newest first, but objects of the same second may come in any order: a new run reads back a
# little past the newest object of the last complete run, and upserts make the overlap harmless
OVERLAP = timedelta(minutes=10)
CHARGE_TYPES = frozenset({"charge", "payment"})
REFUND_TYPES = frozenset({"refund", "payment_refund"})
PAYOUT_TYPES = frozenset({"payout", "payout_cancel", "payout_failure"})


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


# ---- import ----


async def _upsert_transactions(session: AsyncSession, items: list[dict[str, Any]]) -> None:
    for t in items:
        values = {
            "id": t["id"],
            "type": str(t.get("type")),
            "reporting_category": t.get("reporting_category"),
            "amount_minor": int(t["amount"]),
            "fee_minor": int(t.get("fee") or 0),
            "net_minor": int(t["net"])
            if t.get("net") is not None
            else int(t["amount"]) - int(t.get("fee") or 0),
            "currency": str(t["currency"]).upper(),
            "status": str(t.get("status") or "available"),
            "source_id": t["source"]
            if isinstance(t.get("source"), str)
            else (t.get("source") or {}).get("id"),
            "stripe_created": _ts(t.get("created")) or utcnow(),
            "available_on": _ts(t.get("available_on")),
        }
        update = {k: v for k, v in values.items() if k not in ("id", "stripe_created")}
        await session.execute(
            insert(StripeBalanceTransaction)
            .values(values)
            .on_conflict_do_update(
                index_elements=[StripeBalanceTransaction.id], set_={**update, "imported_at": utcnow()}
            )
        )


async def apply_payout(session: AsyncSession, p: dict[str, Any]) -> StripePayout:
    """Store a payout as Stripe has it now; a paid payout moves money from the Stripe balance to the bank."""
    values = {
        "id": p["id"],
        "amount_minor": int(p["amount"]),
        "currency": str(p["currency"]).upper(),
        "status": str(p.get("status")),
        "automatic": bool(p.get("automatic")),
        "balance_transaction_id": p.get("balance_transaction")
        if isinstance(p.get("balance_transaction"), str)
        else None,
        "failure_code": p.get("failure_code"),
        "stripe_created": _ts(p.get("created")) or utcnow(),
        "arrival_date": _ts(p.get("arrival_date")),
    }
    update = {k: v for k, v in values.items() if k not in ("id", "stripe_created")}
    await session.execute(
        insert(StripePayout)
        .values(values)
        .on_conflict_do_update(index_elements=[StripePayout.id], set_={**update, "imported_at": utcnow()})
    )
    currency, amount = values["currency"], values["amount_minor"]
    assert isinstance(currency, str) and isinstance(amount, int)
    when = _ts(p.get("arrival_date")) or utcnow()
    if values["status"] == "paid":
        await ledger.post(
            session,
            reference=f"payout:{p['id']}",
            kind="payout",
            description=f"Stripe payout {p['id']}",
            postings=ledger.payout_paid(currency, amount),
            occurred_at=when,
        )
    elif values["status"] in ("failed", "canceled") and await ledger.has_entry(session, f"payout:{p['id']}"):
        await ledger.post(
            session,
            reference=f"payout-reversal:{p['id']}",
            kind="payout",
            description=f"Stripe payout {p['id']} {values['status']}",
            postings=ledger.payout_paid(currency, -amount),
            occurred_at=utcnow(),
        )
    row = await session.get(StripePayout, p["id"], populate_existing=True)
    assert row is not None
    return row


async def _run_import(
    maker: async_sessionmaker[AsyncSession],
    kind: str,
    lister: Callable[[str | None], AsyncIterator[dict[str, Any]]],
    store: Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]],
) -> tuple[int, bool]:
    """Read a Stripe list into the database; an interrupted run is carried on from its cursor."""
    async with maker() as session:
        run = await session.scalar(
            select(ImportRun)
            .where(ImportRun.kind == kind, ImportRun.status == "running")
            .order_by(ImportRun.started_at.desc())
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        resumed = run is not None
        if run is None:
            last = await session.scalar(
                select(ImportRun)
                .where(ImportRun.kind == kind, ImportRun.status == "completed")
                .order_by(ImportRun.started_at.desc())
                .limit(1)
            )
            stop = last.high_water - OVERLAP if last is not None and last.high_water else None
            run = ImportRun(
                kind=kind,
                status="running",
                stop_before=stop,
                high_water=last.high_water if last else None,
                imported=0,
            )
            session.add(run)
        await session.commit()
        run_id, cursor, stop_before = run.id, run.cursor, run.stop_before
    count = 0
    batch: list[dict[str, Any]] = []

    async def flush(final: bool) -> None:
        async with maker() as s:
            r = await s.get_one(ImportRun, run_id, with_for_update=True)
            if batch:
                await store(s, batch)
                r.cursor = batch[-1]["id"]
                newest = max(_ts(b.get("created")) or utcnow() for b in batch)
                r.high_water = max(r.high_water, newest) if r.high_water else newest
                r.imported += len(batch)
            if final:
                r.status = "completed"
                r.finished_at = utcnow()
            await s.commit()
        batch.clear()

    try:
        async for item in lister(cursor):
            created = _ts(item.get("created"))
            if stop_before is not None and created is not None and created < stop_before:
                break
            batch.append(item)
            count += 1
            if len(batch) >= BATCH:
                await flush(False)
        await flush(True)
    except Exception as exc:
        async with maker() as s:
            r = await s.get_one(ImportRun, run_id, with_for_update=True)
            r.error = f"{type(exc).__name__}: {exc}"[:2000]
            await s.commit()
        raise
    return count, resumed


async def import_from_stripe(
    maker: async_sessionmaker[AsyncSession], gateway: StripeGateway
) -> tuple[int, int, bool]:
    """Import balance transactions and payouts; returns (transactions, payouts, resumed)."""

    async def store_payouts(session: AsyncSession, items: list[dict[str, Any]]) -> None:
        for p in items:
            await apply_payout(session, p)
            if p.get("automatic") and p.get("status") == "paid":
                # automatic payouts list their transactions; manual ones are allocated by time in the report
                async for t in gateway.balance_transactions(starting_after=None, payout=p["id"]):
                    row = await session.get(StripeBalanceTransaction, t["id"])
                    if row is not None:
                        row.payout_id = p["id"]

    txns, resumed_t = await _run_import(
        maker,
        "balance_transactions",
        lambda c: gateway.balance_transactions(starting_after=c),
        _upsert_transactions,
    )
    payouts, resumed_p = await _run_import(
        maker, "payouts", lambda c: gateway.payouts(starting_after=c), store_payouts
    )
    return txns, payouts, resumed_t or resumed_p


# ---- the report ----


@dataclass
class Row:
    """One line of the report."""

    category: str  # matched | mismatch | unmatched_stripe | unmatched_ours
    stripe_id: str | None
    kind: str  # charge | refund | payout | other
    payment_id: uuid.UUID | None
    invoice_number: str | None
    currency: str
    stripe_amount_minor: int | None
    our_amount_minor: int | None
    fee_minor: int
    payout_id: str | None
    note: str


@dataclass
class PayoutSummary:
    """A payout and what it carried."""

    payout_id: str
    status: str
    currency: str
    amount_minor: int
    transactions: int = 0
    gross_minor: int = 0
    fees_minor: int = 0
    net_minor: int = 0
    arrival_date: datetime | None = None

    @property
    def difference_minor(self) -> int:
        """Payout amount less the net of the transactions it carried (zero when it reconciles)."""
        return self.amount_minor - self.net_minor


@dataclass
class Report:
    """The reconciliation report."""

    generated_at: datetime
    scope: str
    rows: list[Row] = field(default_factory=list)
    payouts: list[PayoutSummary] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per category, and the number of payouts."""
        out = {k: 0 for k in ("matched", "mismatch", "unmatched_stripe", "unmatched_ours")}
        for r in self.rows:
            out[r.category] += 1
        out["payouts"] = len(self.payouts)
        return out

    @property
    def totals(self) -> dict[str, tuple[int, int, int]]:
        """Per currency: gross, fees and net of what Stripe holds (payouts excluded)."""
        out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in self.rows:
            if r.stripe_amount_minor is None or r.kind == "payout":
                continue
            t = out[r.currency]
            t[0] += r.stripe_amount_minor
            t[1] += r.fee_minor
            t[2] += r.stripe_amount_minor - r.fee_minor
        return {c: (g, f, n) for c, (g, f, n) in sorted(out.items())}


def _allocate(txns: list[StripeBalanceTransaction], payouts: list[StripePayout]) -> dict[str, str]:
    """Transaction id → payout id: automatic payouts name their transactions; a manual payout takes, in its
    currency, what became available since the previous manual payout."""
    out = {t.id: t.payout_id for t in txns if t.payout_id}
    by_currency: dict[str, list[StripePayout]] = defaultdict(list)
    for p in payouts:
        if not p.automatic and p.status not in ("failed", "canceled"):
            by_currency[p.currency].append(p)
    for currency, plist in by_currency.items():
        plist.sort(key=lambda p: (p.stripe_created, p.id))
        previous: datetime | None = None
        for p in plist:
            for t in txns:
                if t.id in out or t.currency != currency or t.type in PAYOUT_TYPES:
                    continue
                when = t.available_on or t.stripe_created
                if when <= p.stripe_created and (previous is None or when > previous):
                    out[t.id] = p.id
            previous = p.stripe_created
    return out


async def build_report(
    session: AsyncSession,
    *,
    org_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Report:
    """Match imported Stripe data to our payments and refunds; an organisation sees only its own money."""
    report = Report(generated_at=utcnow(), scope="platform" if org_id is None else f"organisation {org_id}")
    tq = select(StripeBalanceTransaction)
    if since:
        tq = tq.where(StripeBalanceTransaction.stripe_created >= since)
    if until:
        tq = tq.where(StripeBalanceTransaction.stripe_created < until)
    txns = list(
        await session.scalars(
            tq.order_by(StripeBalanceTransaction.stripe_created, StripeBalanceTransaction.id)
        )
    )
    payouts = list(await session.scalars(select(StripePayout).order_by(StripePayout.stripe_created)))
    allocation = _allocate(txns, payouts)

    pq = (
        select(Payment, Invoice.number)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.status == PaymentStatus.SUCCEEDED)
    )
    rq = (
        select(Refund, Payment, Invoice.number)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Invoice, Invoice.id == Refund.invoice_id)
        .where(Refund.status == "succeeded")
    )
    if org_id is not None:
        pq = pq.where(Payment.seller_org_id == org_id)
        rq = rq.where(Payment.seller_org_id == org_id)
    pay_rows = list(await session.execute(pq))
    refund_rows = list(await session.execute(rq))
    by_charge = {p.stripe_charge_id: (p, n) for p, n in pay_rows if p.stripe_charge_id}
    by_refund = {r.stripe_refund_id: (r, p, n) for r, p, n in refund_rows if r.stripe_refund_id}
    payout_by_txn = {p.balance_transaction_id: p for p in payouts if p.balance_transaction_id}
    seen: set[str] = set()

    for t in txns:
        payout_id = allocation.get(t.id)
        if t.type in CHARGE_TYPES and t.source_id in by_charge:
            p, number = by_charge[t.source_id]
            seen.add(t.source_id)
            report.rows.append(
                _compare(
                    t, "charge", p.id, number, p.currency, p.amount_received_minor, p.fee_minor, payout_id
                )
            )
        elif t.type in REFUND_TYPES and t.source_id in by_refund:
            r, p, number = by_refund[t.source_id]
            seen.add(t.source_id)
            report.rows.append(
                _compare(t, "refund", p.id, number, r.currency, -r.amount_minor, None, payout_id)
            )
        elif org_id is not None:
            continue  # Stripe money that is not this organisation's is not shown to it
        elif t.type in PAYOUT_TYPES and t.id in payout_by_txn:
            po = payout_by_txn[t.id]
            report.rows.append(_compare(t, "payout", None, None, po.currency, -po.amount_minor, None, po.id))
        else:
            kind = "charge" if t.type in CHARGE_TYPES else "refund" if t.type in REFUND_TYPES else "other"
            report.rows.append(
                Row(
                    "unmatched_stripe",
                    t.id,
                    kind,
                    None,
                    None,
                    t.currency,
                    t.amount_minor,
                    None,
                    t.fee_minor,
                    payout_id,
                    f"{t.type} {t.source_id or ''} has no payment or refund in Yidan".strip(),
                )
            )
    for p, number in pay_rows:
        if p.stripe_charge_id in seen or not _in_window(p.succeeded_at, since, until):
            continue
        report.rows.append(
            Row(
                "unmatched_ours",
                p.stripe_charge_id,
                "charge",
                p.id,
                number,
                p.currency,
                None,
                p.amount_received_minor,
                p.fee_minor or 0,
                None,
                "no Stripe balance transaction for this payment (not imported yet?)",
            )
        )
    for r, p, number in refund_rows:
        if r.stripe_refund_id in seen or not _in_window(r.created_at, since, until):
            continue
        report.rows.append(
            Row(
                "unmatched_ours",
                r.stripe_refund_id,
                "refund",
                p.id,
                number,
                r.currency,
                None,
                -r.amount_minor,
                0,
                None,
                "no Stripe balance transaction for this refund (not imported yet?)",
            )
        )
    if org_id is None:
        summaries = {
            p.id: PayoutSummary(p.id, p.status, p.currency, p.amount_minor, arrival_date=p.arrival_date)
            for p in payouts
        }
        for t in txns:
            s = summaries.get(allocation.get(t.id) or "")
            if s is None:
                continue
            s.transactions += 1
            s.gross_minor += t.amount_minor
            s.fees_minor += t.fee_minor
            s.net_minor += t.net_minor
        report.payouts = list(summaries.values())
        for s in report.payouts:
            if s.status == "paid" and s.difference_minor != 0:
                report.rows.append(
                    Row(
                        "mismatch",
                        s.payout_id,
                        "payout",
                        None,
                        None,
                        s.currency,
                        s.amount_minor,
                        s.net_minor,
                        s.fees_minor,
                        s.payout_id,
                        f"payout differs from its {s.transactions} transactions' net by {s.difference_minor}",
                    )
                )
    return report


def _in_window(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return True
    return (since is None or when >= since) and (until is None or when < until)


def _compare(
    t: StripeBalanceTransaction,
    kind: str,
    payment_id: uuid.UUID | None,
    number: str | None,
    currency: str,
    ours: int,
    our_fee: int | None,
    payout_id: str | None,
) -> Row:
    problems = []
    if t.currency != currency.upper():
        problems.append(f"currency {t.currency} in Stripe, {currency.upper()} in Yidan")
    if t.amount_minor != ours:
        problems.append(f"amount {t.amount_minor} in Stripe, {ours} in Yidan")
    if our_fee is not None and our_fee != t.fee_minor:
        problems.append(f"fee {t.fee_minor} in Stripe, {our_fee} in Yidan")
    return Row(
        "mismatch" if problems else "matched",
        t.id,
        kind,
        payment_id,
        number,
        t.currency,
        t.amount_minor,
        ours,
        t.fee_minor,
        payout_id,
        "; ".join(problems) or f"{t.type} {t.source_id or ''}".strip(),
    )
