"""The whole path against a real localstripe: quote → invoice → PaymentIntent → test cards → signed webhook
delivered over HTTP → invoice paid → ledger balanced → refund → reconciliation report."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.settlement.conftest import CARD_CHARGE_DECLINED, CARD_DECLINED, CARD_OK, card, wait_for_event
from yidan.settlement import ledger
from yidan.settlement.models import LedgerTransaction


async def test_quote_invoice_pay_refund_reconcile(deal, client, gateway, sessionmaker, webhook_server):
    number = await deal.booked_waybill()
    quote = await deal.accepted_quote(number)
    # 45G1 container (40' class, 2 TEU), DG cargo of 5800.5 kg on VESSEL → RAIL → TRUCK
    lines = {(line["leg_seq"], line["charge_code"], line["description"]): line for line in quote["lines"]}
    assert lines[(1, "FREIGHT", "Ocean freight 40'")]["net_minor"] == 320000
    assert lines[(1, "FUEL", "Bunker adjustment")]["net_minor"] == 38400
    assert lines[(1, "DG", "Dangerous goods surcharge")]["net_minor"] == 80000
    assert lines[(1, "PORT", "Terminal handling")]["tax_minor"] == 2700
    assert lines[(2, "FREIGHT", "Rail freight per TEU")]["net_minor"] == 300000
    assert lines[(2, "FREIGHT", "Rail weight charge")]["net_minor"] == 11601
    assert not any(k[2] == "Ocean freight 20'" for k in lines)
    assert quote["total_minor"] == quote["subtotal_minor"] + quote["tax_minor"]
    assert quote["subtotal_minor"] == sum(line["net_minor"] for line in quote["lines"])

    # a frozen quote is not priced again
    r = await client.post(f"/api/v1/settlement/waybills/{number}/quotes", headers=deal.shipper.headers)
    assert r.status_code == 409

    r = await client.post(
        "/api/v1/settlement/invoices", json={"waybill_number": number}, headers=deal.carrier_finance.headers
    )
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["number"] is None
    r = await client.post(
        f"/api/v1/settlement/invoices/{draft['id']}/issue", headers=deal.carrier_finance.headers
    )
    invoice = r.json()
    assert invoice["status"] == "issued" and invoice["number"] == "INV-00000001"
    total = invoice["total_minor"]
    assert total == quote["total_minor"] and invoice["balance_due_minor"] == total
    pay = f"/api/v1/settlement/invoices/{invoice['id']}/payments"

    # a card declined when it is saved: the attempt is kept, the invoice unchanged
    r = await client.post(
        pay,
        json={"amount_minor": 100000, "payment_method": await card(gateway, CARD_DECLINED)},
        headers=deal.shipper.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "failed" and r.json()["failure_code"] == "card_declined"

    # a card declined when charged: Stripe's payment_failed webhook arrives and is applied
    r = await client.post(
        pay,
        json={"amount_minor": 100000, "payment_method": await card(gateway, CARD_CHARGE_DECLINED)},
        headers=deal.shipper.headers,
    )
    declined = r.json()
    assert declined["status"] == "failed" and declined["attempt"] == 2
    await wait_for_event(sessionmaker, "payment_intent.payment_failed", declined["stripe_payment_intent_id"])

    # part payment, then the rest
    first = 100000
    r = await client.post(
        pay,
        json={"amount_minor": first, "payment_method": await card(gateway, CARD_OK)},
        headers=deal.shipper.headers,
    )
    assert r.status_code == 201, r.text
    p1 = r.json()
    assert p1["status"] == "succeeded" and p1["amount_received_minor"] == first
    await wait_for_event(sessionmaker, "payment_intent.succeeded", p1["stripe_payment_intent_id"])
    r = await client.get(f"/api/v1/settlement/invoices/{invoice['id']}", headers=deal.shipper.headers)
    assert r.json()["status"] == "partially_paid" and r.json()["balance_due_minor"] == total - first

    # more than is due is refused
    r = await client.post(pay, json={"amount_minor": total}, headers=deal.shipper.headers)
    assert r.status_code == 422 and r.json()["code"] == "over_payment"

    r = await client.post(
        pay, json={"payment_method": await card(gateway, CARD_OK)}, headers=deal.shipper.headers
    )
    p2 = r.json()
    assert p2["status"] == "succeeded" and p2["amount_minor"] == total - first
    await wait_for_event(sessionmaker, "payment_intent.succeeded", p2["stripe_payment_intent_id"])
    r = await client.get(f"/api/v1/settlement/invoices/{invoice['id']}", headers=deal.shipper.headers)
    assert r.json()["status"] == "paid" and r.json()["balance_due_minor"] == 0

    async with sessionmaker() as s:
        assert all(v == 0 for v in (await ledger.trial_balance(s)).values())
        balances = {
            (b.account, b.currency): b.balance_minor
            for b in await ledger.balances(s, deal.carrier_finance.org.id)
        }
    assert balances[("accounts_receivable", "CNY")] == 0
    assert balances[("revenue", "CNY")] == -invoice["subtotal_minor"]
    assert balances[("vat_payable", "CNY")] == -invoice["tax_minor"]

    # refunds: finance users of the seller only
    refund_url = f"/api/v1/settlement/payments/{p2['id']}/refunds"
    r = await client.post(
        refund_url, json={"amount_minor": 5000, "reason": "x"}, headers=deal.shipper.headers
    )
    assert r.status_code == 404
    r = await client.post(
        refund_url, json={"amount_minor": 5000, "reason": "x"}, headers=deal.carrier_dispatcher.headers
    )
    assert r.status_code == 403
    r = await client.post(
        refund_url,
        json={"amount_minor": 25000, "reason": "late delivery"},
        headers=deal.carrier_finance.headers,
    )
    assert r.status_code == 201, r.text
    refund = r.json()
    assert refund["status"] == "succeeded" and refund["credit_note_id"]
    r = await client.get(
        f"/api/v1/settlement/invoices/{refund['credit_note_id']}", headers=deal.shipper.headers
    )
    note = r.json()
    assert note["kind"] == "credit_note" and note["number"] == "CN-00000001" and note["total_minor"] == -25000
    r = await client.get(f"/api/v1/settlement/invoices/{invoice['id']}", headers=deal.shipper.headers)
    after = r.json()
    assert (
        after["status"] == "paid"
        and after["amount_refunded_minor"] == 25000
        and after["balance_due_minor"] == 0
    )
    r = await client.post(
        refund_url, json={"amount_minor": total, "reason": "too much"}, headers=deal.carrier_finance.headers
    )
    assert r.status_code == 422 and r.json()["code"] == "over_refund"

    async with sessionmaker() as s:
        assert all(v == 0 for v in (await ledger.trial_balance(s)).values())
        count = await s.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.invoice_id.in_([invoice["id"], note["id"]]))
        )
    # issue, two payments, the refund's credit note and the refund itself (localstripe charges no fee)
    assert count == 5

    # reconciliation: import from localstripe, then the carrier's report
    r = await client.post("/api/v1/settlement/reconciliation/imports", headers=deal.carrier_finance.headers)
    assert r.status_code == 200, r.text
    assert r.json()["balance_transactions"] >= 3
    r = await client.get("/api/v1/settlement/reconciliation/report", headers=deal.carrier_finance.headers)
    report = r.json()
    assert report["counts"]["matched"] == 3, report
    assert report["counts"]["mismatch"] == 0 and report["counts"]["unmatched_ours"] == 0
    assert report["counts"]["unmatched_stripe"] == 0  # other tenants' Stripe money is not shown
    assert {row["invoice_number"] for row in report["rows"]} == {"INV-00000001"}
    assert report["totals"] == [
        {"currency": "CNY", "gross_minor": total - 25000, "fees_minor": 0, "net_minor": total - 25000}
    ]
    r = await client.get(
        "/api/v1/settlement/reconciliation/report?format=csv", headers=deal.carrier_finance.headers
    )
    assert r.headers["content-type"].startswith("text/csv")
    csv_text = r.content.decode("utf-8-sig")
    assert "matched,charge" in csv_text and "matched,refund" in csv_text
    r = await client.get(
        "/api/v1/settlement/reconciliation/report?format=xlsx", headers=deal.carrier_finance.headers
    )
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Summary", "Rows", "Payouts"]
    assert book["Rows"].max_row == 4

    # the shipper cannot reconcile
    r = await client.get("/api/v1/settlement/reconciliation/report", headers=deal.shipper.headers)
    assert r.status_code == 403
