"""Running Alembic migrations from code (the CLI and the tests use the same path)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the positions table's monthly partitions (made at run time) out of model comparisons."""
    return not (
        type_ == "table" and reflected and compare_to is None and (name or "").startswith("positions_")
    )


def alembic_config(database_url: str) -> Config:
    """An Alembic config for database_url (a SQLAlchemy psycopg URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database schema up to revision."""
    command.upgrade(alembic_config(database_url), revision)
