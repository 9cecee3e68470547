"""tracking_epoch: a counter moved, at commit, by every change that can move a fix's attribution

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-04 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Deferred to commit, so the counter row is locked only for the instant before the commit, and at most
# once per transaction (a transaction-local setting remembers it was done), however many rows changed.
BUMP = """
CREATE FUNCTION yidan_bump_tracking_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('yidan.tracking_epoch_bumped', true), '') <> 'on' THEN
        PERFORM set_config('yidan.tracking_epoch_bumped', 'on', true);
        UPDATE tracking_epoch SET n = n + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""

# table -> the changes that matter to attribution
WATCHED = {
    "device_bindings": "INSERT OR UPDATE OR DELETE",
    "vehicles": "INSERT OR UPDATE OR DELETE",
    "leg_assignments": "INSERT OR UPDATE OR DELETE",
    "legs": "INSERT OR UPDATE OR DELETE",
    "waybills": "UPDATE OF status",
    "devices": "INSERT OR DELETE OR UPDATE OF kind, identifier, plate, org_id",
}


def upgrade() -> None:
    op.create_table(
        "tracking_epoch",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_tracking_epoch_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_epoch")),
    )
    op.execute("INSERT INTO tracking_epoch (id, n) VALUES (1, 0)")
    op.execute(BUMP)
    for table, events in WATCHED.items():
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_tracking_epoch AFTER {events} ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION yidan_bump_tracking_epoch()"
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_tracking_epoch ON {table}")
    op.execute("DROP FUNCTION IF EXISTS yidan_bump_tracking_epoch()")
    op.drop_table("tracking_epoch")
