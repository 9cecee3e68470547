"""Settlement tables: rate cards, frozen quotes, invoices and credit notes, Stripe payments and events,
the double-entry ledger, and the imported Stripe balance transactions and payouts."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yidan.core.db import Base, created_at, updated_at, uuid_pk


class ChargeBasis(StrEnum):
    """What a tariff charge is multiplied by."""

    CONTAINER = "per_container"
    TEU = "per_teu"
    KG = "per_kg"
    M3 = "per_m3"
    SHIPMENT = "per_shipment"
    PERCENT_OF_FREIGHT = "percent_of_freight"


class ChargeCode(StrEnum):
    """The kinds of charge a rate card can hold."""

    FREIGHT = "FREIGHT"
    DANGEROUS_GOODS = "DG"
    REEFER = "REEFER"
    FUEL = "FUEL"
    PORT = "PORT"
    GATE = "GATE"


class QuoteStatus(StrEnum):
    """A quote is offered, then accepted (and frozen) or superseded by a newer one."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class InvoiceKind(StrEnum):
    """An invoice, or a credit note that reduces one."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    """draft → issued → partially_paid → paid; void from draft or an unpaid issued invoice."""

    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class PaymentStatus(StrEnum):
    """Our view of a PaymentIntent, always taken from the object re-read from Stripe."""

    CREATED = "created"
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class EventStatus(StrEnum):
    """Where a stored Stripe event is: waiting, applied, ignored (not ours or unknown) or failing."""

    PENDING = "pending"
    APPLIED = "applied"
    IGNORED = "ignored"
    FAILED = "failed"


class Tariff(Base):
    """A carrier's rate card for one mode (optionally one lane), valid from/to, in one currency."""

    __tablename__ = "tariffs"
    __table_args__ = (
        Index("ix_tariffs_org_mode", "org_id", "mode", "valid_from"),
        UniqueConstraint("org_id", "code", name="uq_tariffs_org_code"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(8))
    from_unlocode: Mapped[str | None] = mapped_column(String(5))
    to_unlocode: Mapped[str | None] = mapped_column(String(5))
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at()

    charges: Mapped[list[TariffCharge]] = relationship(
        back_populates="tariff", cascade="all, delete-orphan", order_by="TariffCharge.seq", lazy="raise"
    )


class TariffCharge(Base):
    """One charge of a rate card: an amount per unit of its basis, a minimum, and the VAT rate."""

    __tablename__ = "tariff_charges"
    __table_args__ = (UniqueConstraint("tariff_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    tariff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tariffs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    charge_code: Mapped[str] = mapped_column(String(10))
    basis: Mapped[str] = mapped_column(String(20))
    # container charges may be limited to a length class: "20", "40" or "45" (first digit of ISO 6346 size)
    size_class: Mapped[str | None] = mapped_column(String(2))
    # minor units per unit of the basis; for percent_of_freight, basis points of the leg's freight
    rate: Mapped[int] = mapped_column(BigInteger)
    minimum_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str | None] = mapped_column(String(200))

    tariff: Mapped[Tariff] = relationship(back_populates="charges", lazy="raise")


class Quote(Base):
    """The price of a booking, leg by leg; frozen once the shipper accepts it."""

    __tablename__ = "quotes"
    __table_args__ = (
        Index(
            "uq_quotes_one_accepted",
            "waybill_id",
            unique=True,
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    seller_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    priced_at: Mapped[datetime]
    valid_until: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote", cascade="all, delete-orphan", order_by="QuoteLine.seq", lazy="raise"
    )


class QuoteLine(Base):
    """One charge on one leg of a quote, with the rate card it came from."""

    __tablename__ = "quote_lines"
    __table_args__ = (UniqueConstraint("quote_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    quote_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    leg_seq: Mapped[int] = mapped_column(Integer)
    carrier_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    tariff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tariffs.id"))
    charge_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(20))
    unit_amount_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(BigInteger)

    quote: Mapped[Quote] = relationship(back_populates="lines", lazy="raise")


class InvoiceCounter(Base):
    """The next number of one organisation's series; locked FOR UPDATE so numbers have no gaps."""

    __tablename__ = "invoice_counters"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger, default=1)


class Invoice(Base):
    """An invoice (or credit note) from a seller organisation to the shipper of a waybill."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "number", name="uq_invoices_org_number"),
        Index(
            "uq_invoices_one_per_waybill",
            "waybill_id",
            unique=True,
            postgresql_where=text("kind = 'invoice' AND status <> 'void'"),
        ),
        Index("ix_invoices_buyer_created", "buyer_org_id", "created_at", "id"),
        Index("ix_invoices_org_created", "org_id", "created_at", "id"),
        CheckConstraint("total_minor = subtotal_minor + tax_minor", name="totals"),
        CheckConstraint("amount_paid_minor >= 0 AND amount_refunded_minor >= 0", name="amounts"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    buyer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    waybill_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waybills.id"), index=True)
    quote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("quotes.id"))
    credited_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[str | None] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    amount_paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_credited_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(String(500))
    issued_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.seq", lazy="raise"
    )


class InvoiceLine(Base):
    """One line per leg and charge, with its VAT rate and tax."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "seq"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    leg_seq: Mapped[int | None] = mapped_column(Integer)
    charge_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    unit: Mapped[str] = mapped_column(String(20))
    unit_amount_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    tax_minor: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines", lazy="raise")


class PaymentCustomer(Base):
    """The Stripe Customer that holds an organisation's saved payment methods."""

    __tablename__ = "payment_customers"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at()


class Payment(Base):
    """One attempt to pay (part of) an invoice: a PaymentIntent made with key invoice + attempt."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("invoice_id", "attempt", name="uq_payments_invoice_attempt"),
        Index("ix_payments_seller_created", "seller_org_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    seller_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    method: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_secret: Mapped[str | None] = mapped_column(String(200))
    amount_received_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    failure_code: Mapped[str | None] = mapped_column(String(80))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    succeeded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Refund(Base):
    """Money given back on a payment, with the credit note that records why."""

    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = uuid_pk()
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at()


class StripeEvent(Base):
    """A Stripe webhook event, stored once by its id before anything is done with it."""

    __tablename__ = "stripe_events"
    __table_args__ = (Index("ix_stripe_events_pending", "status", "received_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_created: Mapped[int] = mapped_column(BigInteger)
    livemode: Mapped[bool]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = created_at()
    applied_at: Mapped[datetime | None]


class LedgerTransaction(Base):
    """One balanced journal entry; its reference makes applying the same movement twice impossible."""

    __tablename__ = "ledger_transactions"

    id: Mapped[uuid.UUID] = uuid_pk()
    # a sequence, so the journal reads in the order it was written
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    reference: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(300))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"), index=True)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_at()

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", cascade="all, delete-orphan", lazy="raise"
    )


class LedgerEntry(Base):
    """A debit (positive) or credit (negative) of one account of one organisation (none: the platform)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account", "org_id", "account", "currency"),
        CheckConstraint("amount_minor <> 0", name="nonzero"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    account: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries", lazy="raise")


class StripeBalanceTransaction(Base):
    """A balance transaction imported from Stripe for reconciliation."""

    __tablename__ = "stripe_balance_transactions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    reporting_category: Mapped[str | None] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payout_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_created: Mapped[datetime] = mapped_column(index=True)
    available_on: Mapped[datetime | None]
    imported_at: Mapped[datetime] = updated_at()


class StripePayout(Base):
    """A payout imported from Stripe (or learnt from a payout.* event)."""

    __tablename__ = "stripe_payouts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    automatic: Mapped[bool]
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64))
    failure_code: Mapped[str | None] = mapped_column(String(80))
    stripe_created: Mapped[datetime] = mapped_column(index=True)
    arrival_date: Mapped[datetime | None]
    imported_at: Mapped[datetime] = updated_at()


class ImportRun(Base):
    """One import of a Stripe list; the cursor lets an interrupted run carry on where it stopped."""

    __tablename__ = "stripe_import_runs"
    __table_args__ = (Index("ix_stripe_import_runs_kind", "kind", "started_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12))
    cursor: Mapped[str | None] = mapped_column(String(64))
    # newest object seen by this run; the next run reads back to a little before it, then stops
    high_water: Mapped[datetime | None]
    stop_before: Mapped[datetime | None]
    imported: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_at()
    finished_at: Mapped[datetime | None]
