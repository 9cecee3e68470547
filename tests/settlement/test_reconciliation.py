"""Reconciliation against localstripe: per-payout allocation and differences, the platform view, and an
import that is interrupted and carries on where it stopped."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from tests.settlement.conftest import CARD_OK, card
from yidan.identity.principal import OrgKind, Role
from yidan.settlement import ledger, reconciliation
from yidan.settlement.gateway import StripeGateway
from yidan.settlement.models import ImportRun, LedgerEntry, LedgerTransaction, StripeBalanceTransaction


async def test_payouts_are_matched_to_the_transactions_they_carry(
    make_deal, client, gateway, factory, sessionmaker
):
    deal = await make_deal("EUR")  # a rail tariff priced in euros, as on China–Europe trains
    invoice = await deal.invoice()
    assert invoice["currency"] == "EUR"
    r = await client.post(
        f"/api/v1/settlement/invoices/{invoice['id']}/payments",
        json={"payment_method": await card(gateway, CARD_OK)},
        headers=deal.shipper.headers,
    )
    assert r.json()["status"] == "succeeded"
    port_finance = await factory.account(Role.FINANCE, kind=OrgKind.TERMINAL)
    r = await client.post("/api/v1/settlement/reconciliation/imports", headers=port_finance.headers)
    assert r.status_code == 200, r.text
    async with sessionmaker() as s:
        eur_net = await s.scalar(
            select(func.sum(StripeBalanceTransaction.net_minor)).where(
                StripeBalanceTransaction.currency == "EUR"
            )
        )
    assert eur_net == invoice["total_minor"]
    good = await gateway.client.v1.payouts.create_async(
        params={"amount": eur_net, "currency": "eur", "status": "paid"}
    )
    await asyncio.sleep(1.1)  # Stripe times are whole seconds; payouts of one second could be either order
    odd = await gateway.client.v1.payouts.create_async(
        params={"amount": 1234, "currency": "eur", "status": "paid"}
    )
    r = await client.post("/api/v1/settlement/reconciliation/imports", headers=port_finance.headers)
    assert r.json()["payouts"] >= 2
    r = await client.get("/api/v1/settlement/reconciliation/report", headers=port_finance.headers)
    report = r.json()
    assert report["scope"] == "platform"
    payouts = {p["payout_id"]: p for p in report["payouts"]}
    assert payouts[good.id]["transactions"] == 1 and payouts[good.id]["difference_minor"] == 0
    assert payouts[odd.id]["transactions"] == 0 and payouts[odd.id]["difference_minor"] == 1234
    mismatches = [row for row in report["rows"] if row["category"] == "mismatch"]
    assert [m["stripe_id"] for m in mismatches if m["kind"] == "payout"] == [odd.id]
    charge_rows = [row for row in report["rows"] if row["currency"] == "EUR" and row["kind"] == "charge"]
    assert charge_rows[0]["category"] == "matched" and charge_rows[0]["payout_id"] == good.id
    # other tenants' payments appear on the platform view; payments made outside Yidan are unmatched there
    assert report["counts"]["matched"] >= 1
    # a paid payout moved money from the Stripe balance to the bank, in the ledger too
    async with sessionmaker() as s:
        for payout, amount in ((good.id, eur_net), (odd.id, 1234)):
            entry = await s.scalar(
                select(LedgerTransaction).where(LedgerTransaction.reference == f"payout:{payout}")
            )
            assert entry is not None
            moved = dict(
                (
                    await s.execute(
                        select(LedgerEntry.account, LedgerEntry.amount_minor).where(
                            LedgerEntry.transaction_id == entry.id
                        )
                    )
                ).all()
            )
            assert moved == {"bank": amount, "stripe_clearing": -amount}
        assert all(v == 0 for v in (await ledger.trial_balance(s)).values())
    # the carrier's own report does not show the platform's payouts
    r = await client.get("/api/v1/settlement/reconciliation/report", headers=deal.carrier_finance.headers)
    assert r.json()["payouts"] == [] and r.json()["counts"]["matched"] == 1


class Crashing(StripeGateway):
    """A gateway whose first listing of balance transactions dies part way."""

    def __init__(self, inner: StripeGateway, after: int) -> None:
        self.__dict__.update(inner.__dict__)
        self.after = after

    async def balance_transactions(self, **kw: Any):  # type: ignore[no-untyped-def,override]
        n = 0
        async for item in super().balance_transactions(**kw):
            if self.after and n == self.after:
                self.after = 0
                raise ConnectionError("network went away")
            n += 1
            yield item


async def test_an_interrupted_import_carries_on_from_its_cursor(
    make_deal, client, gateway, sessionmaker, monkeypatch
):
    deal = await make_deal()
    for _ in range(3):
        invoice = await deal.invoice()
        await client.post(
            f"/api/v1/settlement/invoices/{invoice['id']}/payments",
            json={"payment_method": await card(gateway, CARD_OK)},
            headers=deal.shipper.headers,
        )
    monkeypatch.setattr(reconciliation, "BATCH", 2)
    async with sessionmaker() as s:
        # a clean slate, so the run reads the whole history
        await s.execute(ImportRun.__table__.delete())
        await s.execute(StripeBalanceTransaction.__table__.delete())
        await s.commit()
    crashing = Crashing(gateway, after=3)
    try:
        await reconciliation.import_from_stripe(sessionmaker, crashing)
        raise AssertionError("the import should have failed")
    except ConnectionError:
        pass
    async with sessionmaker() as s:
        run = await s.scalar(select(ImportRun).where(ImportRun.kind == "balance_transactions"))
        assert run.status == "running" and run.cursor is not None and run.imported == 2
        assert "network went away" in run.error
    txns, _, resumed = await reconciliation.import_from_stripe(sessionmaker, crashing)
    assert resumed
    total = 0
    async for _ in gateway.balance_transactions(starting_after=None):
        total += 1
    async with sessionmaker() as s:
        stored = await s.scalar(select(func.count()).select_from(StripeBalanceTransaction))
    assert stored == total and txns == total - 2
    # the next run reads back only a little past what it already has
    again, _, resumed = await reconciliation.import_from_stripe(sessionmaker, gateway)
    assert not resumed and again <= total
