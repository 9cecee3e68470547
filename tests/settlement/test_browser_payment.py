"""Paying from the browser: the Stripe.js configuration, and a card collected by localstripe's Stripe.js."""

from __future__ import annotations

import httpx

from tests.settlement.conftest import CARD_OK
from yidan.settlement import localstripe


async def test_config_points_the_browser_at_localstripe(deal, client, localstripe_server):
    r = await client.get("/api/v1/settlement/config", headers=deal.shipper.headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "publishable_key": localstripe.TEST_PUBLISHABLE_KEY,
        "stripe_js_url": f"{localstripe_server.url}/js.stripe.com/v3/",
        "test_mode": True,
        "currency": "CNY",
    }
    # the stand-in Stripe.js is really there
    async with httpx.AsyncClient(timeout=5) as http:
        js = await http.get(r.json()["stripe_js_url"])
    assert js.status_code == 200 and "Stripe" in js.text


async def test_config_needs_a_login(client):
    r = await client.get("/api/v1/settlement/config")
    assert r.status_code == 401


async def test_config_with_a_real_key_uses_stripe_js(app, client, deal):
    saved = app.state.settings
    app.state.settings = saved.model_copy(
        update={"stripe_api_base": None, "stripe_api_key": "sk_live_x", "stripe_publishable_key": "pk_live_x"}
    )
    try:
        r = await client.get("/api/v1/settlement/config", headers=deal.carrier_finance.headers)
    finally:
        app.state.settings = saved
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stripe_js_url"] == saved.stripe_js_url
    assert body["publishable_key"] == "pk_live_x" and body["test_mode"] is False


async def test_pay_with_a_card_tokenised_in_the_browser(deal, client, localstripe_server):
    invoice = await deal.invoice()
    # what localstripe's Stripe.js does with the publishable key: POST /v1/tokens
    async with httpx.AsyncClient(timeout=5) as http:
        token = await http.post(
            f"{localstripe_server.url}/v1/tokens",
            data={
                "card[number]": CARD_OK,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
                "key": localstripe.TEST_PUBLISHABLE_KEY,
            },
        )
    assert token.status_code == 200, token.text
    r = await client.post(
        f"/api/v1/settlement/invoices/{invoice['id']}/payments",
        json={"payment_method": token.json()["card"]["id"]},
        headers=deal.shipper.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "succeeded"
    r = await client.get(f"/api/v1/settlement/invoices/{invoice['id']}", headers=deal.shipper.headers)
    assert r.json()["status"] == "paid" and r.json()["balance_due_minor"] == 0


async def test_a_tokenised_decline_card_is_refused_with_the_reason(deal, client, localstripe_server):
    """The card the payment dialog names as the decline card is declined on the token path too."""
    invoice = await deal.invoice()
    async with httpx.AsyncClient(timeout=5) as http:
        token = await http.post(
            f"{localstripe_server.url}/v1/tokens",
            data={
                "card[number]": "4000000000000341",
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
                "key": localstripe.TEST_PUBLISHABLE_KEY,
            },
        )
    assert token.status_code == 200, token.text
    r = await client.post(
        f"/api/v1/settlement/invoices/{invoice['id']}/payments",
        json={"payment_method": token.json()["card"]["id"]},
        headers=deal.shipper.headers,
    )
    assert r.status_code == 201, r.text
    payment = r.json()
    assert payment["status"] == "failed"
    assert payment["failure_code"] == "card_declined" and payment["failure_message"]
    after = (
        await client.get(f"/api/v1/settlement/invoices/{invoice['id']}", headers=deal.shipper.headers)
    ).json()
    assert after["status"] == "issued" and after["balance_due_minor"] == invoice["balance_due_minor"]
