"""settlement: tariffs, quotes, invoices, payments, stripe events, ledger, reconciliation

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-24 04:00:16.079528
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A journal entry that does not balance per currency is refused at commit, whatever code wrote it.
BALANCE_CHECK = """
CREATE OR REPLACE FUNCTION yidan_ledger_check_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT currency, sum(amount_minor) AS total INTO bad
    FROM ledger_entries WHERE transaction_id = NEW.transaction_id
    GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: %', NEW.transaction_id, bad.currency,
            bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT OR UPDATE ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION yidan_ledger_check_balance();
"""


def upgrade() -> None:
    op.create_table(
        "stripe_balance_transactions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("reporting_category", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("payout_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_balance_transactions")),
    )
    op.create_index(
        op.f("ix_stripe_balance_transactions_payout_id"),
        "stripe_balance_transactions",
        ["payout_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stripe_balance_transactions_source_id"),
        "stripe_balance_transactions",
        ["source_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stripe_balance_transactions_stripe_created"),
        "stripe_balance_transactions",
        ["stripe_created"],
        unique=False,
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_created", sa.BigInteger(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    op.create_index(op.f("ix_stripe_events_object_id"), "stripe_events", ["object_id"], unique=False)
    op.create_index("ix_stripe_events_pending", "stripe_events", ["status", "received_at"], unique=False)
    op.create_table(
        "stripe_import_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("high_water", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_import_runs")),
    )
    op.create_index("ix_stripe_import_runs_kind", "stripe_import_runs", ["kind", "started_at"], unique=False)
    op.create_table(
        "stripe_payouts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("balance_transaction_id", sa.String(length=64), nullable=True),
        sa.Column("failure_code", sa.String(length=80), nullable=True),
        sa.Column("stripe_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrival_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_payouts")),
    )
    op.create_index(
        op.f("ix_stripe_payouts_stripe_created"), "stripe_payouts", ["stripe_created"], unique=False
    )
    op.create_table(
        "invoice_counters",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_invoice_counters_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", "series", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "payment_customers",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_payment_customers_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_payment_customers")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_payment_customers_stripe_customer_id")),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("from_unlocode", sa.String(length=5), nullable=True),
        sa.Column("to_unlocode", sa.String(length=5), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_tariffs_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
        sa.UniqueConstraint("org_id", "code", name="uq_tariffs_org_code"),
    )
    op.create_index("ix_tariffs_org_mode", "tariffs", ["org_id", "mode", "valid_from"], unique=False)
    op.create_table(
        "tariff_charges",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tariff_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("charge_code", sa.String(length=10), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("size_class", sa.String(length=2), nullable=True),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("minimum_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("description_zh", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_tariff_charges_tariff_id_tariffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_charges")),
        sa.UniqueConstraint("tariff_id", "seq", name=op.f("uq_tariff_charges_tariff_id")),
    )
    op.create_index(op.f("ix_tariff_charges_tariff_id"), "tariff_charges", ["tariff_id"], unique=False)
    op.create_table(
        "quotes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("seller_org_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("priced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"], name=op.f("fk_quotes_accepted_by_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_quotes_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["seller_org_id"], ["organisations.id"], name=op.f("fk_quotes_seller_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"], ["waybills.id"], name=op.f("fk_quotes_waybill_id_waybills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    op.create_index(op.f("ix_quotes_org_id"), "quotes", ["org_id"], unique=False)
    op.create_index(op.f("ix_quotes_seller_org_id"), "quotes", ["seller_org_id"], unique=False)
    op.create_index(op.f("ix_quotes_waybill_id"), "quotes", ["waybill_id"], unique=False)
    op.create_index(
        "uq_quotes_one_accepted",
        "quotes",
        ["waybill_id"],
        unique=True,
        postgresql_where=sa.text("status = 'accepted'"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("buyer_org_id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=True),
        sa.Column("credited_invoice_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_credited_minor", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "amount_paid_minor >= 0 AND amount_refunded_minor >= 0", name=op.f("ck_invoices_amounts")
        ),
        sa.CheckConstraint("total_minor = subtotal_minor + tax_minor", name=op.f("ck_invoices_totals")),
        sa.ForeignKeyConstraint(
            ["buyer_org_id"], ["organisations.id"], name=op.f("fk_invoices_buyer_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_invoices_created_by_users")),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"], ["invoices.id"], name=op.f("fk_invoices_credited_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_invoices_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"], name=op.f("fk_invoices_quote_id_quotes")),
        sa.ForeignKeyConstraint(
            ["waybill_id"], ["waybills.id"], name=op.f("fk_invoices_waybill_id_waybills")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("org_id", "number", name="uq_invoices_org_number"),
    )
    op.create_index(
        "ix_invoices_buyer_created", "invoices", ["buyer_org_id", "created_at", "id"], unique=False
    )
    op.create_index(
        op.f("ix_invoices_credited_invoice_id"), "invoices", ["credited_invoice_id"], unique=False
    )
    op.create_index("ix_invoices_org_created", "invoices", ["org_id", "created_at", "id"], unique=False)
    op.create_index(op.f("ix_invoices_status"), "invoices", ["status"], unique=False)
    op.create_index(op.f("ix_invoices_waybill_id"), "invoices", ["waybill_id"], unique=False)
    op.create_index(
        "uq_invoices_one_per_waybill",
        "invoices",
        ["waybill_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'invoice' AND status <> 'void'"),
    )
    op.create_table(
        "quote_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("quote_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("leg_seq", sa.Integer(), nullable=False),
        sa.Column("carrier_org_id", sa.UUID(), nullable=False),
        sa.Column("tariff_id", sa.UUID(), nullable=True),
        sa.Column("charge_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("description_zh", sa.String(length=300), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("unit_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_org_id"], ["organisations.id"], name=op.f("fk_quote_lines_carrier_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"], ["quotes.id"], name=op.f("fk_quote_lines_quote_id_quotes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tariff_id"], ["tariffs.id"], name=op.f("fk_quote_lines_tariff_id_tariffs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
        sa.UniqueConstraint("quote_id", "seq", name=op.f("uq_quote_lines_quote_id")),
    )
    op.create_index(op.f("ix_quote_lines_quote_id"), "quote_lines", ["quote_id"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("leg_seq", sa.Integer(), nullable=True),
        sa.Column("charge_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("description_zh", sa.String(length=300), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("unit_amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "seq", name=op.f("uq_invoice_lines_invoice_id")),
    )
    op.create_index(op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("seller_org_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_charge_id", sa.String(length=64), nullable=True),
        sa.Column("client_secret", sa.String(length=200), nullable=True),
        sa.Column("amount_received_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("failure_code", sa.String(length=80), nullable=True),
        sa.Column("failure_message", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_payments_created_by_users")),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_payments_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["seller_org_id"], ["organisations.id"], name=op.f("fk_payments_seller_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
        sa.UniqueConstraint("invoice_id", "attempt", name="uq_payments_invoice_attempt"),
        sa.UniqueConstraint("stripe_charge_id", name=op.f("uq_payments_stripe_charge_id")),
        sa.UniqueConstraint("stripe_payment_intent_id", name=op.f("uq_payments_stripe_payment_intent_id")),
    )
    op.create_index(op.f("ix_payments_invoice_id"), "payments", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_payments_org_id"), "payments", ["org_id"], unique=False)
    op.create_index("ix_payments_seller_created", "payments", ["seller_org_id", "created_at"], unique=False)
    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=True),
        sa.Column("payment_id", sa.UUID(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_ledger_transactions_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_ledger_transactions_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("reference", name=op.f("uq_ledger_transactions_reference")),
        sa.UniqueConstraint("seq", name=op.f("uq_ledger_transactions_seq")),
    )
    op.create_index(
        op.f("ix_ledger_transactions_invoice_id"), "ledger_transactions", ["invoice_id"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_transactions_payment_id"), "ledger_transactions", ["payment_id"], unique=False
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("payment_id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("credit_note_id", sa.UUID(), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_refunds_created_by_users")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"], ["invoices.id"], name=op.f("fk_refunds_credit_note_id_invoices")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_refunds_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_refunds_stripe_refund_id")),
    )
    op.create_index(op.f("ix_refunds_invoice_id"), "refunds", ["invoice_id"], unique=False)
    op.create_index(op.f("ix_refunds_payment_id"), "refunds", ["payment_id"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=True),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_entries_nonzero")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_ledger_entries_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account", "ledger_entries", ["org_id", "account", "currency"], unique=False
    )
    op.create_index(
        op.f("ix_ledger_entries_transaction_id"), "ledger_entries", ["transaction_id"], unique=False
    )
    op.execute(BALANCE_CHECK)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_balance ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS yidan_ledger_check_balance()")
    op.drop_index(op.f("ix_ledger_entries_transaction_id"), table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_account", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_refunds_payment_id"), table_name="refunds")
    op.drop_index(op.f("ix_refunds_invoice_id"), table_name="refunds")
    op.drop_table("refunds")
    op.drop_index(op.f("ix_ledger_transactions_payment_id"), table_name="ledger_transactions")
    op.drop_index(op.f("ix_ledger_transactions_invoice_id"), table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_index("ix_payments_seller_created", table_name="payments")
    op.drop_index(op.f("ix_payments_org_id"), table_name="payments")
    op.drop_index(op.f("ix_payments_invoice_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index(op.f("ix_quote_lines_quote_id"), table_name="quote_lines")
    op.drop_table("quote_lines")
    op.drop_index(
        "uq_invoices_one_per_waybill",
        table_name="invoices",
        postgresql_where=sa.text("kind = 'invoice' AND status <> 'void'"),
    )
    op.drop_index(op.f("ix_invoices_waybill_id"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_status"), table_name="invoices")
    op.drop_index("ix_invoices_org_created", table_name="invoices")
    op.drop_index(op.f("ix_invoices_credited_invoice_id"), table_name="invoices")
    op.drop_index("ix_invoices_buyer_created", table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(
        "uq_quotes_one_accepted", table_name="quotes", postgresql_where=sa.text("status = 'accepted'")
    )
    op.drop_index(op.f("ix_quotes_waybill_id"), table_name="quotes")
    op.drop_index(op.f("ix_quotes_seller_org_id"), table_name="quotes")
    op.drop_index(op.f("ix_quotes_org_id"), table_name="quotes")
    op.drop_table("quotes")
    op.drop_index(op.f("ix_tariff_charges_tariff_id"), table_name="tariff_charges")
    op.drop_table("tariff_charges")
    op.drop_index("ix_tariffs_org_mode", table_name="tariffs")
    op.drop_table("tariffs")
    op.drop_table("payment_customers")
    op.drop_table("invoice_counters")
    op.drop_index(op.f("ix_stripe_payouts_stripe_created"), table_name="stripe_payouts")
    op.drop_table("stripe_payouts")
    op.drop_index("ix_stripe_import_runs_kind", table_name="stripe_import_runs")
    op.drop_table("stripe_import_runs")
    op.drop_index("ix_stripe_events_pending", table_name="stripe_events")
    op.drop_index(op.f("ix_stripe_events_object_id"), table_name="stripe_events")
    op.drop_table("stripe_events")
    op.drop_index(
        op.f("ix_stripe_balance_transactions_stripe_created"), table_name="stripe_balance_transactions"
    )
    op.drop_index(op.f("ix_stripe_balance_transactions_source_id"), table_name="stripe_balance_transactions")
    op.drop_index(op.f("ix_stripe_balance_transactions_payout_id"), table_name="stripe_balance_transactions")
    op.drop_table("stripe_balance_transactions")
