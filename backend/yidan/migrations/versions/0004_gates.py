"""gates: lanes, slots, appointments, passes, transactions

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24 04:01:04.017567
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE gate_appointment_serial_seq START 1")
    op.create_table(
        "gate_lanes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("gate_code", sa.String(length=30), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.Enum("in", "out", "both", name="gate_lane_direction"), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["gate_code"], ["gates.code"], name=op.f("fk_gate_lanes_gate_code_gates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_lanes")),
        sa.UniqueConstraint("gate_code", "code", name="uq_gate_lanes_gate_code"),
    )
    op.create_table(
        "gate_slots",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("gate_code", sa.String(length=30), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name=op.f("ck_gate_slots_capacity")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_gate_slots_window")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_gate_slots_created_by_users")),
        sa.ForeignKeyConstraint(["gate_code"], ["gates.code"], name=op.f("fk_gate_slots_gate_code_gates")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_gate_slots_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_slots")),
        sa.UniqueConstraint("gate_code", "starts_at", name="uq_gate_slots_gate_start"),
    )
    op.create_index(op.f("ix_gate_slots_org_id"), "gate_slots", ["org_id"], unique=False)
    op.create_table(
        "gate_appointments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("slot_id", sa.UUID(), nullable=False),
        sa.Column("gate_code", sa.String(length=30), nullable=False),
        sa.Column("terminal_code", sa.String(length=20), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("leg_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Enum("pickup", "dropoff", name="gate_appointment_kind"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("confirmed", "arrived", "completed", "cancelled", name="gate_appointment_status"),
            nullable=False,
        ),
        sa.Column("truck_plate", sa.String(length=12), nullable=False),
        sa.Column("driver_name", sa.String(length=100), nullable=False),
        sa.Column("driver_phone", sa.String(length=20), nullable=False),
        sa.Column("driver_licence", sa.String(length=30), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("gated_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gated_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_gate_appointments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["gate_code"], ["gates.code"], name=op.f("fk_gate_appointments_gate_code_gates")
        ),
        sa.ForeignKeyConstraint(
            ["leg_id"], ["legs.id"], name=op.f("fk_gate_appointments_leg_id_legs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_gate_appointments_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["gate_slots.id"], name=op.f("fk_gate_appointments_slot_id_gate_slots")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_code"], ["terminals.code"], name=op.f("fk_gate_appointments_terminal_code_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"],
            ["waybills.id"],
            name=op.f("fk_gate_appointments_waybill_id_waybills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_appointments")),
        sa.UniqueConstraint("reference", name=op.f("uq_gate_appointments_reference")),
    )
    op.create_index(
        "ix_gate_appointments_gate_status", "gate_appointments", ["gate_code", "status"], unique=False
    )
    op.create_index(op.f("ix_gate_appointments_org_id"), "gate_appointments", ["org_id"], unique=False)
    op.create_index(op.f("ix_gate_appointments_slot_id"), "gate_appointments", ["slot_id"], unique=False)
    op.create_index(
        op.f("ix_gate_appointments_terminal_code"), "gate_appointments", ["terminal_code"], unique=False
    )
    op.create_index(
        op.f("ix_gate_appointments_waybill_id"), "gate_appointments", ["waybill_id"], unique=False
    )
    op.create_index(
        "uq_gate_appointments_live",
        "gate_appointments",
        ["leg_id", "kind", "container_number"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_table(
        "gate_passes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("appointment_id", sa.UUID(), nullable=False),
        sa.Column("gate_code", sa.String(length=30), nullable=False),
        sa.Column("scope", sa.Enum("in", "out", "inout", name="gate_pass_scope"), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("truck_plate", sa.String(length=12), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("issued_by", sa.UUID(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.UUID(), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["gate_appointments.id"],
            name=op.f("fk_gate_passes_appointment_id_gate_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["gate_code"], ["gates.code"], name=op.f("fk_gate_passes_gate_code_gates")),
        sa.ForeignKeyConstraint(["issued_by"], ["users.id"], name=op.f("fk_gate_passes_issued_by_users")),
        sa.ForeignKeyConstraint(["revoked_by"], ["users.id"], name=op.f("fk_gate_passes_revoked_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_passes")),
    )
    op.create_index(op.f("ix_gate_passes_appointment_id"), "gate_passes", ["appointment_id"], unique=False)
    op.create_index(
        "uq_gate_passes_active",
        "gate_passes",
        ["appointment_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "gate_transactions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("gate_code", sa.String(length=30), nullable=False),
        sa.Column("terminal_code", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=True),
        sa.Column("lane", sa.String(length=10), nullable=False),
        sa.Column("direction", sa.Enum("in", "out", name="gate_direction"), nullable=False),
        sa.Column(
            "result", sa.Enum("admit", "deny", "manual_inspection", name="gate_scan_result"), nullable=False
        ),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("checks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pass_id", sa.UUID(), nullable=True),
        sa.Column("appointment_id", sa.UUID(), nullable=True),
        sa.Column("waybill_id", sa.UUID(), nullable=True),
        sa.Column("plate_read", sa.String(length=20), nullable=False),
        sa.Column("container_read", sa.String(length=20), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_api_key_id", sa.UUID(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("override_of_id", sa.UUID(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("event_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["gate_appointments.id"],
            name=op.f("fk_gate_transactions_appointment_id_gate_appointments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["gate_code"], ["gates.code"], name=op.f("fk_gate_transactions_gate_code_gates")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_gate_transactions_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["override_of_id"],
            ["gate_transactions.id"],
            name=op.f("fk_gate_transactions_override_of_id_gate_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["gate_passes.id"], name=op.f("fk_gate_transactions_pass_id_gate_passes")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_code"], ["terminals.code"], name=op.f("fk_gate_transactions_terminal_code_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"],
            ["waybills.id"],
            name=op.f("fk_gate_transactions_waybill_id_waybills"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_transactions")),
        sa.UniqueConstraint("override_of_id", name=op.f("uq_gate_transactions_override_of_id")),
        sa.UniqueConstraint("seq", name=op.f("uq_gate_transactions_seq")),
    )
    op.create_index(
        op.f("ix_gate_transactions_appointment_id"), "gate_transactions", ["appointment_id"], unique=False
    )
    op.create_index(
        "ix_gate_transactions_gate_time", "gate_transactions", ["gate_code", "scanned_at"], unique=False
    )
    op.create_index(op.f("ix_gate_transactions_org_id"), "gate_transactions", ["org_id"], unique=False)
    op.create_index(op.f("ix_gate_transactions_pass_id"), "gate_transactions", ["pass_id"], unique=False)
    op.create_index(
        op.f("ix_gate_transactions_token_digest"), "gate_transactions", ["token_digest"], unique=False
    )
    op.create_index(
        "uq_gate_transactions_admit",
        "gate_transactions",
        ["pass_id", "direction"],
        unique=True,
        postgresql_where=sa.text("result = 'admit'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_gate_transactions_admit",
        table_name="gate_transactions",
        postgresql_where=sa.text("result = 'admit'"),
    )
    op.drop_index(op.f("ix_gate_transactions_token_digest"), table_name="gate_transactions")
    op.drop_index(op.f("ix_gate_transactions_pass_id"), table_name="gate_transactions")
    op.drop_index(op.f("ix_gate_transactions_org_id"), table_name="gate_transactions")
    op.drop_index("ix_gate_transactions_gate_time", table_name="gate_transactions")
    op.drop_index(op.f("ix_gate_transactions_appointment_id"), table_name="gate_transactions")
    op.drop_table("gate_transactions")
    op.drop_index(
        "uq_gate_passes_active", table_name="gate_passes", postgresql_where=sa.text("revoked_at IS NULL")
    )
    op.drop_index(op.f("ix_gate_passes_appointment_id"), table_name="gate_passes")
    op.drop_table("gate_passes")
    op.drop_index(
        "uq_gate_appointments_live",
        table_name="gate_appointments",
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.drop_index(op.f("ix_gate_appointments_waybill_id"), table_name="gate_appointments")
    op.drop_index(op.f("ix_gate_appointments_terminal_code"), table_name="gate_appointments")
    op.drop_index(op.f("ix_gate_appointments_slot_id"), table_name="gate_appointments")
    op.drop_index(op.f("ix_gate_appointments_org_id"), table_name="gate_appointments")
    op.drop_index("ix_gate_appointments_gate_status", table_name="gate_appointments")
    op.drop_table("gate_appointments")
    op.drop_index(op.f("ix_gate_slots_org_id"), table_name="gate_slots")
    op.drop_table("gate_slots")
    op.drop_table("gate_lanes")
    op.execute("DROP SEQUENCE IF EXISTS gate_appointment_serial_seq")
    for name in (
        "gate_lane_direction",
        "gate_appointment_kind",
        "gate_appointment_status",
        "gate_pass_scope",
        "gate_direction",
        "gate_scan_result",
    ):
        op.execute(f"DROP TYPE IF EXISTS {name}")
