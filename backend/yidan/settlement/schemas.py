"""Settlement API input and output; money is always integer minor units with an ISO 4217 currency."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yidan.settlement.models import ChargeBasis, ChargeCode
from yidan.settlement.money import DEFAULT_CURRENCY, check_currency
from yidan.waybills.lifecycle import Mode
from yidan.waybills.schemas import StrictIn


class TariffChargeIn(StrictIn):
    """One charge of a rate card."""

    charge_code: ChargeCode
    basis: ChargeBasis
    size_class: Literal["20", "40", "45"] | None = Field(
        default=None, description="per_container charges only: limit to this container length"
    )
    rate: int = Field(
        ge=0, description="minor units per unit of the basis; basis points for percent_of_freight"
    )
    minimum_minor: int = Field(default=0, ge=0)
    vat_rate_bp: int = Field(ge=0, le=5000, description="VAT in basis points: 900 = 9 %")
    description: str = Field(min_length=1, max_length=200)
    description_zh: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _size(self) -> TariffChargeIn:
        if self.size_class and self.basis is not ChargeBasis.CONTAINER:
            raise ValueError("size_class is only for per_container charges")
        return self


class TariffIn(StrictIn):
    """A rate card for one mode, optionally one lane, valid from/to."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    mode: Mode
    from_unlocode: str | None = Field(default=None, min_length=5, max_length=5)
    to_unlocode: str | None = Field(default=None, min_length=5, max_length=5)
    currency: str = DEFAULT_CURRENCY
    valid_from: date
    valid_to: date | None = None
    charges: list[TariffChargeIn] = Field(min_length=1, max_length=50)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return check_currency(v)

    @model_validator(mode="after")
    def _dates(self) -> TariffIn:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        if not any(c.charge_code is ChargeCode.FREIGHT for c in self.charges):
            raise ValueError("a rate card needs at least one FREIGHT charge")
        return self


class TariffChargeOut(BaseModel):
    """A charge of a rate card."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    charge_code: str
    basis: str
    size_class: str | None
    rate: int
    minimum_minor: int
    vat_rate_bp: int
    description: str
    description_zh: str | None


class TariffOut(BaseModel):
    """A rate card."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    code: str
    name: str
    mode: str
    from_unlocode: str | None
    to_unlocode: str | None
    currency: str
    valid_from: date
    valid_to: date | None
    charges: list[TariffChargeOut]


class LineOut(BaseModel):
    """A priced line: one charge on one leg."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    leg_seq: int | None
    charge_code: str
    description: str
    description_zh: str | None
    quantity: Decimal
    unit: str
    unit_amount_minor: int
    net_minor: int
    vat_rate_bp: int
    tax_minor: int


class QuoteOut(BaseModel):
    """A quote for a waybill; frozen once accepted."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    waybill_number: str
    status: str
    seller_org_id: uuid.UUID
    currency: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    priced_at: datetime
    valid_until: datetime
    accepted_at: datetime | None
    lines: list[LineOut]


class InvoiceCreateIn(StrictIn):
    """Make the invoice of a waybill from its accepted quote."""

    waybill_number: str = Field(min_length=1, max_length=16)
    issue: bool = Field(default=False, description="issue at once (gets its number) instead of a draft")


class CreditNoteIn(StrictIn):
    """A credit note against an issued invoice, for part or all of it."""

    amount_minor: int = Field(gt=0, description="gross amount credited, VAT included")
    reason: str = Field(min_length=1, max_length=500)


class InvoiceOut(BaseModel):
    """An invoice or credit note with its lines and what has been paid."""

    id: uuid.UUID
    kind: str
    number: str | None
    status: str
    seller_org_id: uuid.UUID
    buyer_org_id: uuid.UUID
    waybill_number: str
    credited_invoice_id: uuid.UUID | None
    currency: str
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    amount_paid_minor: int
    amount_refunded_minor: int
    amount_credited_minor: int
    balance_due_minor: int
    reason: str | None
    issued_at: datetime | None
    due_at: datetime | None
    voided_at: datetime | None
    created_at: datetime
    lines: list[LineOut]


class InvoicePageOut(BaseModel):
    """A page of invoices, newest first."""

    items: list[InvoiceOut]
    next_cursor: str | None


class PaymentIn(StrictIn):
    """Pay (part of) an invoice."""

    amount_minor: int | None = Field(default=None, gt=0, description="default: the whole balance due")
    method: Literal["card", "alipay", "wechat_pay"] = "card"
    payment_method: str | None = Field(
        default=None,
        max_length=100,
        description="a Stripe PaymentMethod id (from Stripe.js); given, the payment is confirmed at once",
    )


class ConfirmIn(StrictIn):
    """Confirm a payment with a PaymentMethod collected by Stripe.js."""

    payment_method: str = Field(min_length=3, max_length=100)


class PaymentConfigOut(BaseModel):
    """What the browser needs to collect a card with Stripe.js."""

    publishable_key: str | None = Field(description="unset: card payments cannot be taken in the browser")
    stripe_js_url: str
    test_mode: bool = Field(description="payments go to a fake or test-mode Stripe; no real money moves")
    currency: str


class PaymentOut(BaseModel):
    """A payment attempt and what Stripe says about it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    invoice_id: uuid.UUID
    attempt: int
    method: str
    amount_minor: int
    currency: str
    status: str
    amount_received_minor: int
    amount_refunded_minor: int
    fee_minor: int | None
    failure_code: str | None
    failure_message: str | None
    stripe_payment_intent_id: str | None
    client_secret: str | None = Field(default=None, description="for Stripe.js; only shown to the payer")
    created_at: datetime
    succeeded_at: datetime | None


class RefundIn(StrictIn):
    """Give money back on a payment (finance users of the seller only)."""

    amount_minor: int | None = Field(default=None, gt=0, description="default: all that is left")
    reason: str = Field(min_length=1, max_length=500)


class RefundOut(BaseModel):
    """A refund and the credit note that records it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    credit_note_id: uuid.UUID | None
    stripe_refund_id: str | None
    amount_minor: int
    currency: str
    status: str
    reason: str | None
    created_at: datetime


class BalanceOut(BaseModel):
    """The balance of one ledger account in one currency (debit positive)."""

    account: str
    currency: str
    balance_minor: int


class ReconciliationRowOut(BaseModel):
    """One line of the reconciliation report."""

    category: str
    stripe_id: str | None
    kind: str
    payment_id: uuid.UUID | None
    invoice_number: str | None
    currency: str
    stripe_amount_minor: int | None
    our_amount_minor: int | None
    fee_minor: int
    payout_id: str | None
    note: str


class PayoutSummaryOut(BaseModel):
    """A payout and the balance transactions that make it up."""

    payout_id: str
    status: str
    currency: str
    amount_minor: int
    transactions: int
    gross_minor: int
    fees_minor: int
    net_minor: int
    difference_minor: int
    arrival_date: datetime | None


class CurrencyTotalsOut(BaseModel):
    """Totals of one currency in the report."""

    currency: str
    gross_minor: int
    fees_minor: int
    net_minor: int


class ReconciliationReportOut(BaseModel):
    """Matched, unmatched on either side, mismatches, fees and payouts."""

    generated_at: datetime
    scope: str
    counts: dict[str, int]
    totals: list[CurrencyTotalsOut]
    rows: list[ReconciliationRowOut]
    payouts: list[PayoutSummaryOut]


class ImportOut(BaseModel):
    """What one reconciliation import read from Stripe."""

    balance_transactions: int
    payouts: int
    resumed: bool
