"""The API server in a process of its own, for the benchmarks that talk to it over real sockets.

Run as a script it is that process: `create_app(Settings(...))` (its pipeline, post-commit listeners, live
hub) served by uvicorn on 127.0.0.1 and a free port. It prints `PORT n` once the app has started, serves
until its standard input closes, then prints `STATS {json}` (pipeline counters, live pushes, event-loop
lag) and exits. Imported, `ApiServer` starts and stops such a process; the scratch-database helpers are
shared by the benchmarks that use it.

    .venv/bin/python bench/api_server.py --database-url postgresql+psycopg://…/db --redis-url redis://…/15
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from yidan.core.embedded import to_libpq_url

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


async def partner_api_key(session: Any, org_id: uuid.UUID, scopes: list[str]) -> str:
    """A partner admin of the organisation and an API key with these scopes, made as the API makes them."""
    from yidan.identity import service as identity
    from yidan.identity.models import Organisation
    from yidan.identity.principal import Role, Scope

    org = await session.get_one(Organisation, org_id)
    user = await identity.create_user(
        session,
        org_id=org_id,
        email=f"partner-{uuid.uuid4().hex[:8]}@bench.yidan",
        name="Bench partner admin",
        role=Role.PARTNER_ADMIN,
        password=secrets.token_urlsafe(16),
    )
    admin = identity.principal_for_user(user, org)
    created = await identity.create_api_key(session, admin, name="bench", scopes=[Scope(s) for s in scopes])
    return created.key


def count_positions(url: str) -> int:
    """Rows in positions."""
    with psycopg.connect(to_libpq_url(url)) as conn:
        row = conn.execute("SELECT count(*) FROM positions").fetchone()
        return int(row[0]) if row else 0


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values, rounded to 0.1; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(q / 100 * len(ordered) + 0.5) - 1))], 1)


def print_table(result: dict[str, Any]) -> None:
    """key  value, one a line."""
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


# -- the server process ---------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from yidan.app import create_app
    from yidan.settings import Settings

    with tempfile.TemporaryDirectory(prefix="yidan-bench-") as data_dir:
        settings = Settings(
            database_url=args.database_url,
            redis_url=args.redis_url,
            data_dir=Path(data_dir),
            jwt_secret=secrets.token_urlsafe(48),
            frontend_dist=Path("/nonexistent"),
            db_pool_size=args.pool,
            # nothing to send: the benchmarks make no webhook subscriptions
            webhooks_deliver_in_app=False,
        )
        app = create_app(settings)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", args.port))
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                backlog=4096,
                timeout_graceful_shutdown=5,
            )
        )
        loop = asyncio.get_running_loop()
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("the API server stopped while starting")
            await asyncio.sleep(0.02)
        print(f"PORT {sock.getsockname()[1]}", flush=True)
        lags: list[float] = []

        async def watch_loop() -> None:
            """How late a 10 ms sleep wakes up: the event loop's lag, which every response waits behind."""
            while True:
                t0 = loop.time()
                await asyncio.sleep(0.01)
                lags.append((loop.time() - t0 - 0.01) * 1000)

        watcher = asyncio.create_task(watch_loop())
        # serve until the parent closes our standard input (or goes away)
        await loop.run_in_executor(None, sys.stdin.read)
        watcher.cancel()
        server.should_exit = True
        await serving
        stats: dict[str, Any] = {"loop_lag_ms_p50": pct(lags, 50), "loop_lag_ms_p99": pct(lags, 99)}
        pipeline = getattr(app.state, "pipeline", None)
        if pipeline is not None:
            p = pipeline.stats
            stats.update(
                pipeline_stored=p.stored,
                pipeline_duplicates=p.duplicates,
                pipeline_rejected=p.rejected,
                pipeline_failed=p.failed,
                pipeline_batches=p.batches,
                pipeline_fixes_per_batch=round(p.batch_fixes / max(p.batches, 1)),
                pipeline_batch_ms_mean=round(1000 * p.batch_seconds / max(p.batches, 1), 1),
                listener_errors=p.listener_errors,
                listener_dropped=p.listener_dropped,
                **{
                    f"batch_ms_{name}": round(1000 * sec / max(p.batches, 1), 1)
                    for name, sec in p.phase_seconds.items()
                },
            )
        listeners = getattr(app.state, "tracking_listeners", None)
        if listeners is not None:
            stats.update(
                live_published=listeners.publisher.published, live_dropped=listeners.publisher.dropped
            )
        hub = getattr(app.state, "live_hub", None)
        if hub is not None:
            stats.update(hub_messages=hub.messages, hub_reconnects=hub.reconnects)
        if lags:
            stats["loop_lag_ms_mean"] = round(statistics.fmean(lags), 2)
    print("STATS " + json.dumps(stats), flush=True)


class ApiServer:
    """The API server process: started on enter (once it answers), stopped by `stop` or on exit."""

    def __init__(self, database_url: str, redis_url: str, *, pool: int = 10) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.pool = pool
        self.port = 0
        self.stats: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._ps: psutil.Process | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:port."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiServer:
        """Start it and wait until the app has started."""
        cmd = [sys.executable, __file__, "--database-url", self.database_url, "--redis-url", self.redis_url]
        # The command line is this script and URLs this run made: nothing from outside reaches it.
        self._proc = subprocess.Popen(  # noqa: S603
            [*cmd, "--pool", str(self.pool)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # its own session, as a service would run: under the kernel's per-session scheduling (autogroup)
            # the server does not share one slice of CPU with the benchmark's clients
            start_new_session=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self._proc.kill()
            raise RuntimeError(f"the API server did not start: {line!r}")
        self.port = int(line.split()[1])
        self._ps = psutil.Process(self._proc.pid)
        return self

    def cpu_s(self) -> float:
        """CPU seconds the server process has used."""
        assert self._ps is not None
        t = self._ps.cpu_times()
        return t.user + t.system

    def rss_mb(self) -> float:
        """Its resident memory, MiB."""
        assert self._ps is not None
        return round(self._ps.memory_info().rss / 2**20, 1)

    def stop(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """Shut it down gracefully (the pipeline drains); the counters it printed."""
        if self._proc is None or self._proc.poll() is not None:
            return self.stats
        out, _ = self._proc.communicate(input="", timeout=timeout_s)
        line = next((ln for ln in out.splitlines() if ln.startswith("STATS ")), "STATS {}")
        self.stats = json.loads(line[6:])
        return self.stats

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop it; kill it if it does not stop."""
        if self._proc is None:
            return
        try:
            self.stop(timeout_s=30)
        except Exception:  # a failed run must still leave no server behind
            self._proc.kill()
            self._proc.wait()


def main() -> None:
    """The server process."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL)
    parser.add_argument("--pool", type=int, default=10, help="database pool size (as YIDAN_DB_POOL_SIZE)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    from scratch import raise_fd_limit

    raise_fd_limit(100_000)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_serve(args))


if __name__ == "__main__":
    main()
