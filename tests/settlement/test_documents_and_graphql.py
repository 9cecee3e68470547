"""The bilingual invoice PDF, and settlement over GraphQL with the same rules as REST."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.settlement.conftest import CARD_OK, card


async def test_invoice_pdf_is_bilingual(deal, client):
    invoice = await deal.invoice()
    r = await client.get(
        f"/api/v1/settlement/invoices/{invoice['id']}/document.pdf", headers=deal.shipper.headers
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed: the text of the PDF is not checked")
    text = subprocess.run(  # noqa: ASYNC221 - a short local tool in a test
        ["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True
    ).stdout.decode()
    assert "INVOICE" in text and "发票" in text and invoice["number"] in text and "Balance due" in text


async def test_pay_over_graphql(deal, client, gateway):
    invoice = await deal.invoice()
    pm = await card(gateway, CARD_OK)
    query = """mutation($input: PayInvoiceInput!) { payInvoice(input: $input) {
        payment { status amountMinor } invoice { status balanceDueMinor number } } }"""
    variables = {"input": {"invoiceId": invoice["id"], "paymentMethod": pm}}
    r = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=deal.shipper.headers
    )
    body = r.json()
    assert "errors" not in body, body
    paid = body["data"]["payInvoice"]
    assert paid["payment"] == {"status": "succeeded", "amountMinor": invoice["total_minor"]}
    assert paid["invoice"]["status"] == "paid" and paid["invoice"]["balanceDueMinor"] == 0
    r = await client.post(
        "/graphql",
        json={"query": "{ invoices(first: 5) { number status totalMinor lines { chargeCode legSeq } } }"},
        headers=deal.shipper.headers,
    )
    assert r.json()["data"]["invoices"][0]["number"] == invoice["number"]
    # someone else's invoice is simply not there
    r = await client.post(
        "/graphql",
        json={"query": "query($id: ID!) { invoice(id: $id) { number } }", "variables": {"id": invoice["id"]}},
        headers=deal.carrier_dispatcher.headers,
    )
    assert r.json()["data"]["invoice"] is None
