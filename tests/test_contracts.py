"""The committed contract files match the code, and the migrations match the models."""

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from yidan.cli import export_contracts
from yidan.core.embedded import to_libpq_url
from yidan.core.migrate import include_object
from yidan.models import metadata
from yidan.settings import PROJECT_ROOT


def test_committed_contracts_match_the_code(tmp_path):
    openapi, graphql = export_contracts(tmp_path)
    committed = PROJECT_ROOT / "openapi"
    hint = "run `make openapi` and commit openapi/"
    assert (committed / "openapi.json").read_text(encoding="utf-8") == openapi.read_text(encoding="utf-8"), (
        hint
    )
    assert (committed / "schema.graphql").read_text(encoding="utf-8") == graphql.read_text(
        encoding="utf-8"
    ), hint


def test_openapi_has_the_public_routes(tmp_path):
    import json

    spec = json.loads(export_contracts(tmp_path)[0].read_text())
    for path, method in [
        ("/api/v1/waybills", "post"),
        ("/api/v1/waybills", "get"),
        ("/api/v1/waybills/{number}", "get"),
        ("/api/v1/waybills/{number}/events", "post"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ]:
        assert method in spec["paths"][path], (path, method)


def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_object}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
    with psycopg.connect(to_libpq_url(database_url)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() is not None
