"""The double-entry ledger: every money movement is one balanced journal entry, written once by reference.

Amounts are signed minor units: a debit is positive, a credit negative, so each entry sums to zero per
currency. Organisation-owned accounts carry the seller's id; the Stripe balance and the bank are the
platform's (no organisation).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.settlement.models import LedgerEntry, LedgerTransaction

RECEIVABLE = "accounts_receivable"
REVENUE = "revenue"
VAT_PAYABLE = "vat_payable"
STRIPE_CLEARING = "stripe_clearing"
PAYMENT_FEES = "payment_fees"
BANK = "bank"
ACCOUNTS = (RECEIVABLE, REVENUE, VAT_PAYABLE, STRIPE_CLEARING, PAYMENT_FEES, BANK)


class Unbalanced(ValueError):
    """A journal entry whose debits and credits differ in some currency."""


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a journal entry: positive debits, negative credits."""

    account: str
    amount_minor: int
    currency: str
    org_id: uuid.UUID | None = None


def check_balanced(postings: Sequence[Posting]) -> None:
    """Raise Unbalanced unless the postings sum to zero in every currency."""
    totals: dict[str, int] = defaultdict(int)
    for p in postings:
        if p.account not in ACCOUNTS:
            raise Unbalanced(f"unknown account {p.account}")
        totals[p.currency] += p.amount_minor
    wrong = {c: t for c, t in totals.items() if t != 0}
    if wrong:
        raise Unbalanced(f"journal entry does not balance: {wrong}")


# ---- what each movement posts (pure, so the property test can drive them) ----


def invoice_issued(org_id: uuid.UUID, currency: str, net: int, tax: int) -> list[Posting]:
    """Issuing an invoice: the buyer owes the total; revenue and VAT are recognised."""
    return [
        Posting(RECEIVABLE, net + tax, currency, org_id),
        Posting(REVENUE, -net, currency, org_id),
        Posting(VAT_PAYABLE, -tax, currency, org_id),
    ]


def credit_note_issued(org_id: uuid.UUID, currency: str, net: int, tax: int) -> list[Posting]:
    """A credit note (or voiding an issued invoice) reverses revenue and VAT against the receivable."""
    return [
        Posting(RECEIVABLE, -(net + tax), currency, org_id),
        Posting(REVENUE, net, currency, org_id),
        Posting(VAT_PAYABLE, tax, currency, org_id),
    ]


def payment_received(org_id: uuid.UUID, currency: str, amount: int) -> list[Posting]:
    """Money captured by Stripe settles the buyer's receivable."""
    return [Posting(STRIPE_CLEARING, amount, currency), Posting(RECEIVABLE, -amount, currency, org_id)]


def fee_charged(org_id: uuid.UUID, currency: str, fee: int) -> list[Posting]:
    """Stripe's processing fee, taken from the Stripe balance, is the seller's expense."""
    return [Posting(PAYMENT_FEES, fee, currency, org_id), Posting(STRIPE_CLEARING, -fee, currency)]


def refund_paid(org_id: uuid.UUID, currency: str, amount: int) -> list[Posting]:
    """Money returned to the buyer: the receivable the credit note made negative is settled."""
    return [Posting(RECEIVABLE, amount, currency, org_id), Posting(STRIPE_CLEARING, -amount, currency)]


def payout_paid(currency: str, amount: int) -> list[Posting]:
    """Stripe moved money from the Stripe balance to the bank (a failed payout reverses it)."""
    return [Posting(BANK, amount, currency), Posting(STRIPE_CLEARING, -amount, currency)]


# ---- the journal ----


async def post(
    session: AsyncSession,
    *,
    reference: str,
    kind: str,
    description: str,
    postings: Sequence[Posting],
    occurred_at: datetime,
    invoice_id: uuid.UUID | None = None,
    payment_id: uuid.UUID | None = None,
) -> LedgerTransaction | None:
    """Write a balanced journal entry once; None when an entry with this reference already exists."""
    lines = [p for p in postings if p.amount_minor != 0]
    check_balanced(lines)
    if not lines:
        return None
    txn_id = uuid.uuid4()
    # ON CONFLICT makes a second application (a replayed webhook, a retried worker) a no-op
    inserted = await session.scalar(
        insert(LedgerTransaction)
        .values(
            id=txn_id,
            reference=reference,
            kind=kind,
            description=description[:300],
            invoice_id=invoice_id,
            payment_id=payment_id,
            occurred_at=occurred_at,
        )
        .on_conflict_do_nothing(index_elements=[LedgerTransaction.reference])
        .returning(LedgerTransaction.id)
    )
    if inserted is None:
        return None
    session.add_all(
        LedgerEntry(
            transaction_id=txn_id,
            org_id=p.org_id,
            account=p.account,
            currency=p.currency,
            amount_minor=p.amount_minor,
        )
        for p in lines
    )
    await session.flush()
    return await session.get(LedgerTransaction, txn_id)


async def has_entry(session: AsyncSession, reference: str) -> bool:
    """True when a journal entry with this reference was written."""
    found = await session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.reference == reference))
    return found is not None


@dataclass(frozen=True, slots=True)
class BalanceLine:
    """The balance of one account in one currency (debit positive)."""

    account: str
    currency: str
    balance_minor: int


async def balances(session: AsyncSession, org_id: uuid.UUID | None = None) -> list[BalanceLine]:
    """Account balances; an organisation sees its own accounts, None gives the whole ledger."""
    query = select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor)).group_by(
        LedgerEntry.account, LedgerEntry.currency
    )
    if org_id is not None:
        query = query.where(LedgerEntry.org_id == org_id)
    rows = await session.execute(query.order_by(LedgerEntry.currency, LedgerEntry.account))
    return [BalanceLine(a, c, int(s)) for a, c, s in rows]


async def trial_balance(session: AsyncSession) -> dict[str, int]:
    """The sum of every entry per currency over the whole ledger: zero when the books balance."""
    rows = await session.execute(
        select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor)).group_by(LedgerEntry.currency)
    )
    return {c: int(s) for c, s in rows}


def totals(postings: Iterable[Posting]) -> dict[tuple[str, str], int]:
    """Account balances of a list of postings, keyed by (account, currency)."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for p in postings:
        out[(p.account, p.currency)] += p.amount_minor
    return dict(out)
