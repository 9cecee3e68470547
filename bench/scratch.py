"""What every benchmark needs around it: a scratch database on the server, and file descriptors enough.

The benchmark scripts import this module from their own folder (`python bench/<script>.py` puts it first
on the path).
"""

from __future__ import annotations

import resource
import sys
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

from yidan.core.embedded import to_libpq_url

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def scratch_database(admin: str, prefix: str) -> tuple[str, str]:
    """A new empty database on the server of the admin URL: its name and URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin.partition("?")
    return name, base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


def drop_database(admin: str, name: str) -> None:
    """Remove a scratch database, closing whatever is still connected to it."""
    with psycopg.connect(to_libpq_url(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raise_fd_limit(need: int) -> int:
    """Raise the open-files limit to what `need` sockets take (up to the hard limit); the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, need))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want
