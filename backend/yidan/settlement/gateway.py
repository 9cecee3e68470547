"""The one door to Stripe: the official SDK's async client, answers as plain dicts.

Everything Yidan learns from Stripe is re-read through here, never trusted from a webhook body.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import stripe

from yidan.core.errors import DomainError
from yidan.settings import Settings

# the objects a payment needs, expanded in one read
PI_EXPAND = ["latest_charge", "latest_charge.balance_transaction"]
PaymentDeclinedError = stripe.CardError
StripeError = stripe.StripeError


@dataclass(frozen=True)
class StripeConfig:
    """Where Stripe is and the secrets to talk to it."""

    api_key: str
    api_base: str | None
    webhook_secret: str
    tolerance_s: int = 300

    @property
    def test_mode(self) -> bool:
        """True for test keys (and localstripe)."""
        return self.api_key.startswith("sk_test_")


class StripeNotConfigured(RuntimeError):
    """No Stripe key is set and no localstripe was started."""


class PaymentsUnavailable(DomainError):
    """Stripe is not configured on this server."""

    status, code, title = 503, "payments_unavailable", "Payments unavailable"


def config_from(settings: Settings) -> StripeConfig:
    """The Stripe configuration of the settings; raises StripeNotConfigured when incomplete."""
    if not settings.stripe_api_key or not settings.stripe_webhook_secret:
        raise StripeNotConfigured("set YIDAN_STRIPE_API_KEY and YIDAN_STRIPE_WEBHOOK_SECRET")
    return StripeConfig(
        api_key=settings.stripe_api_key,
        api_base=settings.stripe_api_base,
        webhook_secret=settings.stripe_webhook_secret,
        tolerance_s=settings.stripe_webhook_tolerance_s,
    )


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else dict(obj)


class StripeGateway:
    """Typed calls on the Stripe API used by settlement; every answer is a plain dict."""

    def __init__(self, config: StripeConfig) -> None:
        self.config = config
        base = {"api": config.api_base} if config.api_base else None
        self.client = stripe.StripeClient(
            config.api_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=stripe.HTTPXClient(),
            max_network_retries=2,
        )

    async def create_customer(self, *, name: str, org_id: str) -> dict[str, Any]:
        """A Customer for an organisation (one per organisation, keyed by its id)."""
        obj = await self.client.v1.customers.create_async(
            params={"name": name, "metadata": {"yidan_org": org_id}},
            options={"idempotency_key": f"yidan:customer:{org_id}"},
        )
        return _plain(obj)

    async def attach_payment_method(self, payment_method: str, customer: str) -> dict[str, Any]:
        """Save a PaymentMethod on the organisation's Customer (Stripe checks the card here)."""
        obj = await self.client.v1.payment_methods.attach_async(payment_method, params={"customer": customer})
        return _plain(obj)

    async def create_payment_intent(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create (and, given a payment method and confirm, confirm) a PaymentIntent."""
        obj = await self.client.v1.payment_intents.create_async(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
        return _plain(obj)

    async def set_payment_method(self, intent_id: str, payment_method: str) -> dict[str, Any]:
        """Put the payer's PaymentMethod on an unconfirmed PaymentIntent."""
        obj = await self.client.v1.payment_intents.update_async(
            intent_id, params={"payment_method": payment_method}
        )
        return _plain(obj)

    async def confirm_payment_intent(self, intent_id: str) -> dict[str, Any]:
        """Confirm a PaymentIntent that has its payment method."""
        obj = await self.client.v1.payment_intents.confirm_async(intent_id)
        return _plain(obj)

    async def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        """A PaymentIntent with its latest charge and that charge's balance transaction."""
        obj = await self.client.v1.payment_intents.retrieve_async(intent_id, params={"expand": PI_EXPAND})
        return _plain(obj)

    async def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        """A charge with its refunds."""
        obj = await self.client.v1.charges.retrieve_async(charge_id, params={"expand": ["refunds"]})
        return _plain(obj)

    async def create_refund(
        self, *, payment_intent: str, amount: int, idempotency_key: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        """Refund (part of) a payment."""
        obj = await self.client.v1.refunds.create_async(
            params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return _plain(obj)

    async def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        """A refund."""
        return _plain(await self.client.v1.refunds.retrieve_async(refund_id))

    async def retrieve_payout(self, payout_id: str) -> dict[str, Any]:
        """A payout."""
        return _plain(await self.client.v1.payouts.retrieve_async(payout_id))

    async def balance_transactions(
        self, *, starting_after: str | None, payout: str | None = None, page_size: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Balance transactions, newest first, across every page (auto-pagination)."""
        params: dict[str, Any] = {"limit": page_size}
        if starting_after:
            params["starting_after"] = starting_after
        if payout:
            params["payout"] = payout
        page = await self.client.v1.balance_transactions.list_async(params=params)  # type: ignore[arg-type]
        async for item in page.auto_paging_iter():
            yield _plain(item)

    async def payouts(
        self, *, starting_after: str | None, page_size: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Payouts, newest first, across every page (auto-pagination)."""
        params: dict[str, Any] = {"limit": page_size}
        if starting_after:
            params["starting_after"] = starting_after
        page = await self.client.v1.payouts.list_async(params=params)  # type: ignore[arg-type]
        async for item in page.auto_paging_iter():
            yield _plain(item)


# one client per configuration and event loop: an HTTP connection pool cannot cross loops
_gateways: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[StripeConfig, StripeGateway]] = (
    weakref.WeakKeyDictionary()
)


def gateway_for(settings: Settings) -> StripeGateway:
    """The gateway for these settings on the running event loop."""
    config = config_from(settings)
    per_loop = _gateways.setdefault(asyncio.get_running_loop(), {})
    if config not in per_loop:
        per_loop[config] = StripeGateway(config)
    return per_loop[config]


def object_id(value: Any) -> str | None:
    """The id of an expandable field, whether Stripe sent the object or just its id."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ident = value.get("id")
        return str(ident) if ident else None
    return None
