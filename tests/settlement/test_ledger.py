"""The ledger balances after every operation: a property test over random sequences of money movements,
the same sequences written to the database, and the database refusing an unbalanced entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

from yidan.identity.principal import OrgKind
from yidan.settlement import ledger
from yidan.settlement.models import LedgerEntry, LedgerTransaction

ORG = uuid.uuid4()
op = st.tuples(
    st.sampled_from(["issue", "pay", "fee", "credit", "refund", "payout", "void"]),
    st.integers(min_value=1, max_value=10_000_000),
    st.sampled_from([0, 600, 900, 1300]),
    st.sampled_from(["CNY", "EUR"]),
)


def simulate(ops: list[tuple[str, int, int, str]]) -> list[list[ledger.Posting]]:
    """Turn random operations into the postings the services would write, within what is possible
    (nobody pays more than is owed, refunds what was not received, or pays out what is not there)."""
    owed: dict[str, int] = {}
    clearing: dict[str, int] = {}
    received: dict[str, int] = {}
    issued: list[tuple[str, int, int]] = []
    out: list[list[ledger.Posting]] = []
    for kind, amount, rate, cur in ops:
        owed.setdefault(cur, 0)
        clearing.setdefault(cur, 0)
        received.setdefault(cur, 0)
        if kind == "issue":
            tax = amount * rate // 10_000
            issued.append((cur, amount, tax))
            owed[cur] += amount + tax
            out.append(ledger.invoice_issued(ORG, cur, amount, tax))
        elif kind == "pay" and owed[cur] > 0:
            paid = min(amount, owed[cur])
            owed[cur] -= paid
            clearing[cur] += paid
            received[cur] += paid
            out.append(ledger.payment_received(ORG, cur, paid))
        elif kind == "fee" and clearing[cur] > 0:
            fee = min(amount // 100 + 1, clearing[cur])
            clearing[cur] -= fee
            out.append(ledger.fee_charged(ORG, cur, fee))
        elif kind in ("credit", "refund") and received[cur] > 0 and clearing[cur] > 0:
            back = min(amount, received[cur], clearing[cur])
            net = back - back * rate // (10_000 + rate)
            out.append(ledger.credit_note_issued(ORG, cur, net, back - net))
            out.append(ledger.refund_paid(ORG, cur, back))
            received[cur] -= back
            clearing[cur] -= back
        elif kind == "payout" and clearing[cur] > 0:
            paid_out = min(amount, clearing[cur])
            clearing[cur] -= paid_out
            out.append(ledger.payout_paid(cur, paid_out))
        elif kind == "void" and issued:
            c, net, tax = issued.pop()
            out.append(ledger.credit_note_issued(ORG, c, net, tax))
            owed[c] -= net + tax
    return out


@given(st.lists(op, max_size=60))
def test_every_entry_balances_and_the_books_stay_consistent(ops):
    entries = simulate(ops)
    everything: list[ledger.Posting] = []
    for postings in entries:
        ledger.check_balanced(postings)  # each journal entry on its own
        everything += postings
        totals = ledger.totals(everything)
        for currency in {p.currency for p in everything}:
            assert sum(v for (_, c), v in totals.items() if c == currency) == 0
            # what Stripe holds for us is never negative
            assert totals.get((ledger.STRIPE_CLEARING, currency), 0) >= 0


def test_an_unbalanced_entry_is_refused_in_python():
    with pytest.raises(ledger.Unbalanced):
        ledger.check_balanced(
            [
                ledger.Posting(ledger.RECEIVABLE, 100, "CNY", ORG),
                ledger.Posting(ledger.REVENUE, -99, "CNY", ORG),
            ]
        )
    with pytest.raises(ledger.Unbalanced):
        ledger.check_balanced(
            [ledger.Posting(ledger.BANK, 100, "CNY"), ledger.Posting(ledger.STRIPE_CLEARING, -100, "EUR")]
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=1, max_size=25))
async def test_the_database_ledger_balances_after_every_operation(ops, sessionmaker, factory):
    org = await factory.org(OrgKind.CARRIER)
    now = datetime.now(UTC)
    async with sessionmaker() as s:
        for i, postings in enumerate(simulate(ops)):
            moved = [
                ledger.Posting(p.account, p.amount_minor, p.currency, org.id if p.org_id else None)
                for p in postings
            ]
            ref = f"test:{uuid.uuid4()}"
            assert await ledger.post(
                s, reference=ref, kind="test", description=str(i), postings=moved, occurred_at=now
            )
            # writing the same movement again changes nothing
            assert (
                await ledger.post(
                    s, reference=ref, kind="test", description=str(i), postings=moved, occurred_at=now
                )
                is None
            )
            await s.commit()
            assert all(v == 0 for v in (await ledger.trial_balance(s)).values())


async def test_the_database_refuses_an_unbalanced_entry(sessionmaker):
    async with sessionmaker() as s:
        txn = LedgerTransaction(
            reference=f"bad:{uuid.uuid4()}", kind="test", description="bad", occurred_at=datetime.now(UTC)
        )
        s.add(txn)
        await s.flush()
        s.add(LedgerEntry(transaction_id=txn.id, account=ledger.BANK, currency="CNY", amount_minor=100))
        await s.flush()
        with pytest.raises(DBAPIError, match="does not balance"):
            await s.commit()
