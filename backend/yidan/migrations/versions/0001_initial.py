"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 03:36:30.132768
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE waybill_serial_seq START 1")
    op.create_table(
        "locations",
        sa.Column("unlocode", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("functions", sa.String(length=8), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("unlocode", name=op.f("pk_locations")),
    )
    op.create_index(op.f("ix_locations_country"), "locations", ["country"], unique=False)
    op.create_table(
        "organisations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("shipper", "carrier", "terminal", "forwarder", "regulator", name="org_kind"),
            nullable=False,
        ),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=True),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_api_key_id", sa.UUID(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_audit_log_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_org_id"), "audit_log", ["org_id"], unique=False)
    op.create_index("ix_audit_object", "audit_log", ["object_type", "object_id", "at"], unique=False)
    op.create_table(
        "terminals",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("unlocode", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("name_zh", sa.String(length=160), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("operator_org_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_org_id"], ["organisations.id"], name=op.f("fk_terminals_operator_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["unlocode"], ["locations.unlocode"], name=op.f("fk_terminals_unlocode_locations")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_terminals")),
    )
    op.create_index(op.f("ix_terminals_operator_org_id"), "terminals", ["operator_org_id"], unique=False)
    op.create_index(op.f("ix_terminals_unlocode"), "terminals", ["unlocode"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "shipper",
                "dispatcher",
                "gate_operator",
                "finance",
                "partner_admin",
                "port_operator",
                "regulator",
                "admin",
                name="user_role",
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name=op.f("fk_users_org_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_org_id"), "users", ["org_id"], unique=False)
    op.create_table(
        "api_keys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_api_keys_created_by_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_api_keys_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_org_id"), "api_keys", ["org_id"], unique=False)
    op.create_table(
        "gates",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("terminal_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("name_zh", sa.String(length=160), nullable=True),
        sa.Column("lanes", sa.Integer(), nullable=False),
        sa.Column("geofence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["terminal_code"], ["terminals.code"], name=op.f("fk_gates_terminal_code_terminals")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_gates")),
    )
    op.create_index(op.f("ix_gates_terminal_code"), "gates", ["terminal_code"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_refresh_tokens_token_digest")),
    )
    op.create_index(op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False)
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "waybills",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("consignee_org_id", sa.UUID(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "booked", "in_transit", "delivered", "closed", "cancelled", name="waybill_status"
            ),
            nullable=False,
        ),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["consignee_org_id"],
            ["organisations.id"],
            name=op.f("fk_waybills_consignee_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_waybills_created_by_users")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_waybills_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waybills")),
        sa.UniqueConstraint("number", name=op.f("uq_waybills_number")),
        sa.UniqueConstraint("org_id", "reference", name="uq_waybills_org_reference"),
    )
    op.create_index(op.f("ix_waybills_consignee_org_id"), "waybills", ["consignee_org_id"], unique=False)
    op.create_index("ix_waybills_org_created", "waybills", ["org_id", "created_at", "id"], unique=False)
    op.create_index(op.f("ix_waybills_status"), "waybills", ["status"], unique=False)
    op.create_table(
        "cargo_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("hs_code", sa.String(length=12), nullable=True),
        sa.Column("packages", sa.Integer(), nullable=False),
        sa.Column("package_type", sa.String(length=10), nullable=False),
        sa.Column("gross_weight_kg", sa.Float(), nullable=False),
        sa.Column("volume_m3", sa.Float(), nullable=True),
        sa.Column("marks", sa.String(length=500), nullable=True),
        sa.Column("un_number", sa.String(length=6), nullable=True),
        sa.Column("dg_class", sa.String(length=4), nullable=True),
        sa.Column("packing_group", sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(
            ["waybill_id"],
            ["waybills.id"],
            name=op.f("fk_cargo_lines_waybill_id_waybills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cargo_lines")),
        sa.UniqueConstraint("waybill_id", "seq", name=op.f("uq_cargo_lines_waybill_id")),
    )
    op.create_index(op.f("ix_cargo_lines_waybill_id"), "cargo_lines", ["waybill_id"], unique=False)
    op.create_table(
        "equipment",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("container_number", sa.String(length=11), nullable=False),
        sa.Column("size_type", sa.String(length=4), nullable=False),
        sa.Column("seals", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.ForeignKeyConstraint(
            ["waybill_id"], ["waybills.id"], name=op.f("fk_equipment_waybill_id_waybills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("waybill_id", "container_number", name=op.f("uq_equipment_waybill_id")),
    )
    op.create_index(op.f("ix_equipment_container_number"), "equipment", ["container_number"], unique=False)
    op.create_index(op.f("ix_equipment_waybill_id"), "equipment", ["waybill_id"], unique=False)
    op.create_table(
        "legs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("mode", sa.Enum("VESSEL", "RAIL", "TRUCK", "BARGE", name="transport_mode"), nullable=False),
        sa.Column("status", sa.Enum("planned", "departed", "arrived", name="leg_status"), nullable=False),
        sa.Column("carrier_org_id", sa.UUID(), nullable=False),
        sa.Column("vessel_name", sa.String(length=100), nullable=True),
        sa.Column("imo", sa.String(length=7), nullable=True),
        sa.Column("mmsi", sa.String(length=9), nullable=True),
        sa.Column("voyage", sa.String(length=20), nullable=True),
        sa.Column("train_number", sa.String(length=20), nullable=True),
        sa.Column("truck_plate", sa.String(length=12), nullable=True),
        sa.Column("from_unlocode", sa.String(length=5), nullable=False),
        sa.Column("from_terminal", sa.String(length=20), nullable=True),
        sa.Column("from_address", sa.String(length=300), nullable=True),
        sa.Column("to_unlocode", sa.String(length=5), nullable=False),
        sa.Column("to_terminal", sa.String(length=20), nullable=True),
        sa.Column("to_address", sa.String(length=300), nullable=True),
        sa.Column("planned_departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_arrival", sa.DateTime(timezone=True), nullable=False),
        sa.Column("estimated_departure", sa.DateTime(timezone=True), nullable=True),
        sa.Column("estimated_arrival", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_departure", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actual_arrival", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["carrier_org_id"], ["organisations.id"], name=op.f("fk_legs_carrier_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["from_terminal"], ["terminals.code"], name=op.f("fk_legs_from_terminal_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["from_unlocode"], ["locations.unlocode"], name=op.f("fk_legs_from_unlocode_locations")
        ),
        sa.ForeignKeyConstraint(
            ["to_terminal"], ["terminals.code"], name=op.f("fk_legs_to_terminal_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["to_unlocode"], ["locations.unlocode"], name=op.f("fk_legs_to_unlocode_locations")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"], ["waybills.id"], name=op.f("fk_legs_waybill_id_waybills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legs")),
        sa.UniqueConstraint("waybill_id", "seq", name=op.f("uq_legs_waybill_id")),
    )
    op.create_index(op.f("ix_legs_carrier_org_id"), "legs", ["carrier_org_id"], unique=False)
    op.create_index(op.f("ix_legs_mmsi"), "legs", ["mmsi"], unique=False)
    op.create_index(op.f("ix_legs_truck_plate"), "legs", ["truck_plate"], unique=False)
    op.create_index(op.f("ix_legs_waybill_id"), "legs", ["waybill_id"], unique=False)
    op.create_table(
        "waybill_parties",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("org_id", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_waybill_parties_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"],
            ["waybills.id"],
            name=op.f("fk_waybill_parties_waybill_id_waybills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waybill_parties")),
        sa.UniqueConstraint("waybill_id", "role", name=op.f("uq_waybill_parties_waybill_id")),
    )
    op.create_index(op.f("ix_waybill_parties_waybill_id"), "waybill_parties", ["waybill_id"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("waybill_id", sa.UUID(), nullable=False),
        sa.Column("leg_id", sa.UUID(), nullable=True),
        sa.Column(
            "event_type", sa.Enum("TRANSPORT", "EQUIPMENT", "SHIPMENT", name="event_type"), nullable=False
        ),
        sa.Column("event_code", sa.String(length=4), nullable=False),
        sa.Column("classifier", sa.Enum("PLN", "EST", "ACT", name="event_classifier"), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("unlocode", sa.String(length=5), nullable=True),
        sa.Column("terminal_code", sa.String(length=20), nullable=True),
        sa.Column("container_number", sa.String(length=11), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=True),
        sa.Column("supersedes_id", sa.UUID(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["leg_id"], ["legs.id"], name=op.f("fk_events_leg_id_legs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_events_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["events.id"], name=op.f("fk_events_supersedes_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_code"], ["terminals.code"], name=op.f("fk_events_terminal_code_terminals")
        ),
        sa.ForeignKeyConstraint(
            ["unlocode"], ["locations.unlocode"], name=op.f("fk_events_unlocode_locations")
        ),
        sa.ForeignKeyConstraint(
            ["waybill_id"], ["waybills.id"], name=op.f("fk_events_waybill_id_waybills"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_events_seq")),
    )
    op.create_index(op.f("ix_events_leg_id"), "events", ["leg_id"], unique=False)
    op.create_index("ix_events_waybill_time", "events", ["waybill_id", "event_time", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_waybill_time", table_name="events")
    op.drop_index(op.f("ix_events_leg_id"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_waybill_parties_waybill_id"), table_name="waybill_parties")
    op.drop_table("waybill_parties")
    op.drop_index(op.f("ix_legs_waybill_id"), table_name="legs")
    op.drop_index(op.f("ix_legs_truck_plate"), table_name="legs")
    op.drop_index(op.f("ix_legs_mmsi"), table_name="legs")
    op.drop_index(op.f("ix_legs_carrier_org_id"), table_name="legs")
    op.drop_table("legs")
    op.drop_index(op.f("ix_equipment_waybill_id"), table_name="equipment")
    op.drop_index(op.f("ix_equipment_container_number"), table_name="equipment")
    op.drop_table("equipment")
    op.drop_index(op.f("ix_cargo_lines_waybill_id"), table_name="cargo_lines")
    op.drop_table("cargo_lines")
    op.drop_index(op.f("ix_waybills_status"), table_name="waybills")
    op.drop_index("ix_waybills_org_created", table_name="waybills")
    op.drop_index(op.f("ix_waybills_consignee_org_id"), table_name="waybills")
    op.drop_table("waybills")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_gates_terminal_code"), table_name="gates")
    op.drop_table("gates")
    op.drop_index(op.f("ix_api_keys_org_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_users_org_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_terminals_unlocode"), table_name="terminals")
    op.drop_index(op.f("ix_terminals_operator_org_id"), table_name="terminals")
    op.drop_table("terminals")
    op.drop_index("ix_audit_object", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_org_id"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("organisations")
    op.drop_index(op.f("ix_locations_country"), table_name="locations")
    op.drop_table("locations")
    op.execute("DROP SEQUENCE IF EXISTS waybill_serial_seq")
    for name in (
        "org_kind",
        "user_role",
        "waybill_status",
        "transport_mode",
        "leg_status",
        "event_type",
        "event_classifier",
    ):
        op.execute(f"DROP TYPE IF EXISTS {name}")
