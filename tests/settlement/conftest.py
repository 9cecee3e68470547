"""Settlement fixtures: a real localstripe server for the session, the app reachable over HTTP for its
webhooks, rate cards and booked waybills."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import Account, Factory, waybill_body
from yidan.app import create_app
from yidan.identity.principal import OrgKind, Role
from yidan.settings import Settings
from yidan.settlement import localstripe
from yidan.settlement.gateway import StripeGateway, gateway_for
from yidan.settlement.models import EventStatus, StripeEvent

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"  # declined when it is saved to the customer
CARD_CHARGE_DECLINED = "4000000000000341"  # saved fine, declined when charged


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[localstripe.LocalStripe]:
    """A real localstripe on an ephemeral 127.0.0.1 port; failing to start fails the run."""
    server = localstripe.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_settings(settings: Settings, localstripe_server: localstripe.LocalStripe) -> Settings:
    """The test settings pointing at localstripe."""
    return settings.model_copy(update=localstripe_server.settings_update())


@pytest.fixture(scope="session", autouse=True)
def _app_uses_localstripe(app, stripe_settings: Settings) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = stripe_settings


@pytest.fixture(scope="session")
def webhook_server(stripe_settings: Settings, localstripe_server: localstripe.LocalStripe) -> Iterator[str]:
    """The app served by uvicorn on an ephemeral port, registered as localstripe's webhook endpoint."""
    port = localstripe.free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(stripe_settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="webhook-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start under uvicorn")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}{localstripe.WEBHOOK_PATH}"
    localstripe_server.register_webhook(url)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def gateway(stripe_settings: Settings) -> StripeGateway:
    """A Stripe gateway on the test's event loop (what Stripe.js would do for a payer)."""
    return gateway_for(stripe_settings)


async def card(gateway: StripeGateway, number: str) -> str:
    """A PaymentMethod for a test card, as Stripe.js would create it in the browser."""
    pm = await gateway.client.v1.payment_methods.create_async(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return str(pm.id)


RAIL = "RAIL"

RATE_CARDS: dict[str, list[dict[str, Any]]] = {
    "VESSEL": [
        {
            "charge_code": "FREIGHT",
            "basis": "per_container",
            "size_class": "40",
            "rate": 320000,
            "vat_rate_bp": 900,
            "description": "Ocean freight 40'",
            "description_zh": "海运费 40尺",
        },
        {
            "charge_code": "FREIGHT",
            "basis": "per_container",
            "size_class": "20",
            "rate": 180000,
            "vat_rate_bp": 900,
            "description": "Ocean freight 20'",
            "description_zh": "海运费 20尺",
        },
        {
            "charge_code": "FUEL",
            "basis": "percent_of_freight",
            "rate": 1200,
            "vat_rate_bp": 900,
            "description": "Bunker adjustment",
            "description_zh": "燃油附加费",
        },
        {
            "charge_code": "DG",
            "basis": "per_shipment",
            "rate": 80000,
            "vat_rate_bp": 900,
            "description": "Dangerous goods surcharge",
            "description_zh": "危险品附加费",
        },
        {
            "charge_code": "PORT",
            "basis": "per_container",
            "rate": 45000,
            "vat_rate_bp": 600,
            "description": "Terminal handling",
            "description_zh": "码头操作费",
        },
    ],
    "RAIL": [
        {
            "charge_code": "FREIGHT",
            "basis": "per_teu",
            "rate": 150000,
            "vat_rate_bp": 900,
            "description": "Rail freight per TEU",
            "description_zh": "铁路运费",
        },
        {
            "charge_code": "FREIGHT",
            "basis": "per_kg",
            "rate": 2,
            "minimum_minor": 5000,
            "vat_rate_bp": 900,
            "description": "Rail weight charge",
            "description_zh": "计重运费",
        },
    ],
    "TRUCK": [
        {
            "charge_code": "FREIGHT",
            "basis": "per_shipment",
            "rate": 120000,
            "vat_rate_bp": 900,
            "description": "Delivery by truck",
            "description_zh": "公路配送",
        },
        {
            "charge_code": "GATE",
            "basis": "per_container",
            "rate": 3000,
            "vat_rate_bp": 600,
            "description": "Gate fee",
            "description_zh": "闸口费",
        },
    ],
}


@dataclass
class Deal:
    """A carrier with rate cards and finance staff, a shipper, and helpers to book and invoice."""

    carrier_finance: Account
    carrier_dispatcher: Account
    shipper: Account
    client: Any
    currency: str

    async def booked_waybill(self, reference: str | None = None) -> str:
        """A waybill booked by the shipper on the carrier's three legs."""
        body = waybill_body(
            [self.carrier_finance.org.id], book=True, reference=reference or uuid.uuid4().hex[:12]
        )
        r = await self.client.post("/api/v1/waybills", json=body, headers=self.shipper.headers)
        assert r.status_code == 201, r.text
        return str(r.json()["number"])

    async def accepted_quote(self, number: str) -> dict[str, Any]:
        """Quote the waybill and accept the quote as the shipper."""
        r = await self.client.post(
            f"/api/v1/settlement/waybills/{number}/quotes", headers=self.shipper.headers
        )
        assert r.status_code == 201, r.text
        r = await self.client.post(
            f"/api/v1/settlement/quotes/{r.json()['id']}/accept", headers=self.shipper.headers
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def invoice(self, *, issue: bool = True) -> dict[str, Any]:
        """A booked, quoted and invoiced waybill; the invoice as the API shows it."""
        number = await self.booked_waybill()
        await self.accepted_quote(number)
        r = await self.client.post(
            "/api/v1/settlement/invoices",
            json={"waybill_number": number, "issue": issue},
            headers=self.carrier_finance.headers,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


async def publish_rate_cards(client: Any, account: Account, currency: str = "CNY") -> None:
    """The three rate cards of RATE_CARDS for the account's organisation."""
    for mode, charges in RATE_CARDS.items():
        body = {
            "code": f"{mode}-{currency}-2026",
            "name": f"{mode.title()} tariff 2026",
            "mode": mode,
            "currency": currency,
            "valid_from": "2026-01-01",
            "valid_to": "2027-12-31",
            "charges": charges,
        }
        r = await client.post("/api/v1/settlement/tariffs", json=body, headers=account.headers)
        assert r.status_code == 201, r.text


@pytest.fixture
def make_deal(factory: Factory, client) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """Make a new carrier (with rate cards) and shipper."""

    async def make(currency: str = "CNY") -> Deal:
        finance = await factory.account(Role.FINANCE)
        dispatcher = await factory.account(Role.DISPATCHER, org=finance.org)
        await publish_rate_cards(client, finance, currency)
        shipper = await factory.account(Role.SHIPPER, kind=OrgKind.SHIPPER)
        return Deal(finance, dispatcher, shipper, client, currency)

    return make


async def wait_for_event(
    maker: async_sessionmaker[AsyncSession], event_type: str, object_id: str, within: float = 15.0
) -> StripeEvent:
    """Wait until localstripe's webhook for an object arrived and was applied."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with maker() as s:
            ev = await s.scalar(
                select(StripeEvent).where(StripeEvent.type == event_type, StripeEvent.object_id == object_id)
            )
            if ev is not None and ev.status in (EventStatus.APPLIED, EventStatus.IGNORED):
                return ev
        await asyncio.sleep(0.1)
    raise AssertionError(f"no applied {event_type} webhook for {object_id} within {within} s")


@pytest.fixture
async def deal(make_deal) -> AsyncIterator[Deal]:  # type: ignore[no-untyped-def]
    """A fresh carrier and shipper with CNY rate cards."""
    yield await make_deal()


def pytest_configure(config: pytest.Config) -> None:
    """The Stripe SDK's httpx client posts raw bytes the way httpx now deprecates; not ours to fix."""
    config.addinivalue_line("filterwarnings", "ignore:Use 'content=<...>':DeprecationWarning")
