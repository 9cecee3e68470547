"""tracking: devices, vehicles, bindings, leg assignments, time-partitioned positions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:47:30.793268
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENSURE_PARTITIONS = """
CREATE OR REPLACE FUNCTION yidan_ensure_position_partitions(first timestamptz, last timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first AT TIME ZONE 'UTC')::date;
    made integer := 0;
    name text;
BEGIN
    WHILE month <= date_trunc('month', last AT TIME ZONE 'UTC')::date LOOP
        name := 'positions_' || to_char(month, 'YYYY_MM');
        IF to_regclass(name) IS NULL THEN
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)',
                    name, (month::timestamp AT TIME ZONE 'UTC'),
                    ((month + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
                made := made + 1;
            EXCEPTION WHEN check_violation THEN
                -- rows of that month already sit in the default partition: leave them there
                NULL;
            END;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN made;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "positions",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("course_deg", sa.Float(), nullable=True),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("satellites", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.BigInteger(), nullable=True),
        sa.Column("alarms", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("device_id", "fix_time", name="pk_positions"),
        postgresql_partition_by="RANGE (fix_time)",
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Enum("jt808", "ais", "nmea", "app", name="device_kind"), nullable=False),
        sa.Column("identifier", sa.String(length=20), nullable=False),
        sa.Column("terminal_id", sa.String(length=30), nullable=True),
        sa.Column("plate", sa.String(length=12), nullable=True),
        sa.Column("auth_code", sa.String(length=64), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_devices_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("kind", "identifier", name="uq_devices_kind_identifier"),
    )
    op.create_index(op.f("ix_devices_org_id"), "devices", ["org_id"], unique=False)
    op.create_table(
        "vehicles",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Enum("truck", "vessel", "train", "barge", name="vehicle_kind"), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("imo", sa.String(length=7), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_vehicles_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("kind", "reference", name="uq_vehicles_kind_reference"),
    )
    op.create_index(op.f("ix_vehicles_org_id"), "vehicles", ["org_id"], unique=False)
    op.create_table(
        "device_bindings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("vehicle_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_device_bindings_interval")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_bindings_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_device_bindings_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_bindings")),
    )
    op.create_index(
        "ix_device_bindings_device_time", "device_bindings", ["device_id", "valid_from"], unique=False
    )
    op.create_index(op.f("ix_device_bindings_vehicle_id"), "device_bindings", ["vehicle_id"], unique=False)
    op.create_table(
        "latest_positions",
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("fix_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("course_deg", sa.Float(), nullable=True),
        sa.Column("altitude_m", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_latest_positions_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_latest_positions")),
    )
    op.create_table(
        "leg_assignments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("leg_id", sa.UUID(), nullable=False),
        sa.Column("vehicle_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_leg_assignments_interval")
        ),
        sa.ForeignKeyConstraint(
            ["leg_id"], ["legs.id"], name=op.f("fk_leg_assignments_leg_id_legs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
            name=op.f("fk_leg_assignments_vehicle_id_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leg_assignments")),
    )
    op.create_index(op.f("ix_leg_assignments_leg_id"), "leg_assignments", ["leg_id"], unique=False)
    op.create_index(
        "ix_leg_assignments_vehicle_time", "leg_assignments", ["vehicle_id", "valid_from"], unique=False
    )
    # Monthly partitions are made ahead of time; the DEFAULT partition catches fixes from months that have none
    # (a blind-area resend from long ago), so no acknowledged fix is ever refused for want of a partition.
    op.execute("CREATE TABLE positions_default PARTITION OF positions DEFAULT")
    op.execute(ENSURE_PARTITIONS)
    op.execute(
        "SELECT yidan_ensure_position_partitions(now() - interval '1 month', now() + interval '3 months')"
    )


def downgrade() -> None:
    op.drop_index("ix_leg_assignments_vehicle_time", table_name="leg_assignments")
    op.drop_index(op.f("ix_leg_assignments_leg_id"), table_name="leg_assignments")
    op.drop_table("leg_assignments")
    op.drop_table("latest_positions")
    op.drop_index(op.f("ix_device_bindings_vehicle_id"), table_name="device_bindings")
    op.drop_index("ix_device_bindings_device_time", table_name="device_bindings")
    op.drop_table("device_bindings")
    op.drop_index(op.f("ix_vehicles_org_id"), table_name="vehicles")
    op.drop_table("vehicles")
    op.drop_index(op.f("ix_devices_org_id"), table_name="devices")
    op.drop_table("devices")
    op.drop_table("positions")
    op.execute("DROP FUNCTION IF EXISTS yidan_ensure_position_partitions(timestamptz, timestamptz)")
    for name in ("device_kind", "vehicle_kind"):
        op.execute(f"DROP TYPE IF EXISTS {name}")
