"""The positions table: a batched binary COPY writer, the latest position per device, monthly partitions."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from yidan.tracking.stored import FixFlag
from yidan.tracking.validation import Point

log = logging.getLogger("yidan.tracking.store")

# A fix flagged so is stored but never becomes its device's latest position.
NOT_LATEST_FLAGS = int(FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED)

COLUMNS = (
    "device_id",
    "fix_time",
    "received_at",
    "lat",
    "lon",
    "speed_kmh",
    "course_deg",
    "altitude_m",
    "satellites",
    "status",
    "alarms",
    "source",
    "flags",
    "extra",
)
_COPY_TYPES = [
    "uuid",
    "timestamptz",
    "timestamptz",
    "float8",
    "float8",
    "float8",
    "float8",
    "float8",
    "int2",
    "int8",
    "int8",
    "text",
    "int4",
    "text",
    "int4",
]
_COLS = ", ".join(COLUMNS)

# The staging table has the columns of positions, with extra as text so that JSON is serialised once, in
# Python, under our own rules (no NaN), and each row's place in the batch; its rows vanish at commit, and
# the table lives as long as the connection.
_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS positions_staging (
    device_id uuid NOT NULL, fix_time timestamptz NOT NULL, received_at timestamptz NOT NULL,
    lat float8 NOT NULL, lon float8 NOT NULL, speed_kmh float8, course_deg float8, altitude_m float8,
    satellites int2, status int8, alarms int8, source text NOT NULL, flags int4 NOT NULL, extra text,
    ord int4 NOT NULL
) ON COMMIT DELETE ROWS
"""
_COPY = f"COPY positions_staging ({_COLS}, ord) FROM STDIN (FORMAT BINARY)"
# Rows go in sorted by key so that concurrent writers take row locks in one order (no deadlocks), and the
# latest upsert only moves forward in time: a late fix never replaces a newer one. Only the exceptions
# come back (rows already stored; newest rows that were older than the stored latest), as batch places:
# in the usual batch that is nothing at all. Built from this module's constants only, never from input.
_MERGE = f"""
WITH new AS (
    INSERT INTO positions ({_COLS})
    SELECT device_id, fix_time, received_at, lat, lon, speed_kmh, course_deg, altitude_m, satellites,
           status, alarms, source, flags, extra::jsonb
    FROM positions_staging ORDER BY device_id, fix_time
    ON CONFLICT (device_id, fix_time) DO NOTHING
    RETURNING device_id, fix_time, received_at, lat, lon, speed_kmh, course_deg, altitude_m, source, flags
), candidate AS (
    SELECT DISTINCT ON (device_id)
           device_id, fix_time, received_at, lat, lon, speed_kmh, course_deg, altitude_m, source
    FROM new WHERE flags & {NOT_LATEST_FLAGS} = 0
    ORDER BY device_id, fix_time DESC
), latest AS (
    INSERT INTO latest_positions AS lp
        (device_id, fix_time, received_at, lat, lon, speed_kmh, course_deg, altitude_m, source)
    SELECT * FROM candidate ORDER BY device_id
    ON CONFLICT (device_id) DO UPDATE SET
        fix_time = EXCLUDED.fix_time, received_at = EXCLUDED.received_at, lat = EXCLUDED.lat,
        lon = EXCLUDED.lon, speed_kmh = EXCLUDED.speed_kmh, course_deg = EXCLUDED.course_deg,
        altitude_m = EXCLUDED.altitude_m, source = EXCLUDED.source
    WHERE lp.fix_time < EXCLUDED.fix_time
    RETURNING device_id
)
SELECT false, s.ord FROM positions_staging s
WHERE NOT EXISTS (SELECT 1 FROM new n WHERE n.device_id = s.device_id AND n.fix_time = s.fix_time)
UNION ALL
SELECT true, s.ord FROM candidate c
JOIN positions_staging s ON s.device_id = c.device_id AND s.fix_time = c.fix_time
WHERE c.device_id NOT IN (SELECT device_id FROM latest)
"""  # noqa: S608


class PositionRow(NamedTuple):
    """One row for the positions table, already validated (fields in COPY order)."""

    device_id: uuid.UUID
    fix_time: datetime
    received_at: datetime
    lat: float
    lon: float
    speed_kmh: float | None
    course_deg: float | None
    altitude_m: float | None
    satellites: int | None
    status: int | None
    alarms: int | None
    source: str
    flags: int
    extra: str | None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Places (indexes into the rows written) of the new rows, and of those now their device's latest."""

    new: frozenset[int]
    latest: frozenset[int]


def dump_extra(extra: dict[str, Any] | None) -> str | None:
    """Serialise a fix's extra items as JSON text; values JSON cannot hold (NaN, bytes) become strings."""
    if not extra:
        return None
    if all(type(v) in _PLAIN or (type(v) is float and math.isfinite(v)) for v in extra.values()):
        with contextlib.suppress(TypeError):  # a key JSON cannot hold: converted below
            return _dumps(extra)  # the usual flat items of a fix: nothing to convert
    return _dumps(_jsonable(extra))


_PLAIN = frozenset({int, str, bool, type(None)})
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return value


async def raw_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The psycopg connection under a session's transaction, for COPY (it stays in that transaction)."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


async def write_positions(conn: psycopg.AsyncConnection[Any], rows: Sequence[PositionRow]) -> WriteResult:
    """COPY rows in, keep only those not stored yet, and advance latest_positions; the caller commits."""
    if not rows:
        return WriteResult(frozenset(), frozenset())
    async with conn.cursor(binary=True) as cur:
        await cur.execute(_STAGING)
        async with cur.copy(_COPY) as copy:
            copy.set_types(_COPY_TYPES)
            for i, r in enumerate(rows):
                await copy.write_row((*r, i))
        await cur.execute(_MERGE)
        exceptions = await cur.fetchall()
    duplicates = {i for is_stale, i in exceptions if not is_stale}
    stale = {i for is_stale, i in exceptions if is_stale}
    new = frozenset(i for i in range(len(rows)) if i not in duplicates)
    # the newest plausible new row of each device, unless the stored latest was newer still
    newest: dict[int, int] = {}
    for i in new:
        r = rows[i]
        if r.flags & NOT_LATEST_FLAGS:
            continue
        key = r.device_id.int  # int keys: a UUID's own hash is computed in Python, every time
        j = newest.get(key)
        if j is None or rows[j].fix_time < r.fix_time:
            newest[key] = i
    return WriteResult(new, frozenset(i for i in newest.values() if i not in stale))


# Months whose partition is known to exist, per database, for the life of the process; and months whose
# partition could not be made just now (another transaction held a lock), not tried again for a while.
_ensured: set[tuple[str, date]] = set()
_failed: dict[tuple[str, date], float] = {}
RETRY_FAILED_S = 300.0


def months_of(times: Iterable[datetime]) -> set[date]:
    """The first days (UTC) of the months that times fall in."""
    out: set[date] = set()
    for t in times:
        u = t.astimezone(UTC)
        out.add(date(u.year, u.month, 1))
    return out


def first_days(months: Iterable[tuple[int, int]]) -> set[date]:
    """The first days of (year, month) pairs."""
    return {date(y, m, 1) for y, m in months}


def _db_key(engine: AsyncEngine) -> str:
    url = engine.url
    return f"{url.host}:{url.port}/{url.database}"


async def ensure_partitions(engine: AsyncEngine, months: Iterable[date]) -> None:
    """Make the monthly partitions for months that have none yet, in their own short transaction.

    Failures are only logged: rows of a month without a partition land in the DEFAULT partition, so a
    batch never waits on, or fails for, partition maintenance.
    """
    key = _db_key(engine)
    now = time.monotonic()
    missing = sorted(m for m in set(months) if (key, m) not in _ensured and _failed.get((key, m), 0.0) <= now)
    if not missing:
        return
    async with engine.connect() as conn:
        for m in missing:
            first = datetime(m.year, m.month, 1, tzinfo=UTC)
            try:
                # creating a partition locks the parent table: never queue behind busy writers for long
                await conn.execute(text("SET LOCAL lock_timeout = '2s'"))
                await conn.execute(
                    text("SELECT yidan_ensure_position_partitions(:first, :first)"), {"first": first}
                )
                await conn.commit()
                _ensured.add((key, m))
            except Exception as exc:  # a concurrent creator or a lock timeout: the DEFAULT partition serves
                await conn.rollback()
                _failed[(key, m)] = now + RETRY_FAILED_S
                log.warning("position partition for %s not made: %s", m.isoformat(), exc)


def forget_partitions() -> None:
    """Forget which partitions exist (after they were dropped, e.g. by retention)."""
    _ensured.clear()
    _failed.clear()


async def latest_points(
    conn: psycopg.AsyncConnection[Any], device_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Point]:
    """The stored latest (fix time, lat, lon) of devices."""
    async with conn.cursor(binary=True) as cur:
        await cur.execute(
            "SELECT device_id, fix_time, lat, lon FROM latest_positions WHERE device_id = ANY(%b)",
            (list(device_ids),),
        )
        return {d: (t, lat, lon) for d, t, lat, lon in await cur.fetchall()}


async def points_before(
    conn: psycopg.AsyncConnection[Any], before: dict[uuid.UUID, datetime], *, skip_flags: int
) -> dict[uuid.UUID, Point]:
    """For each device, its newest stored fix before the given time whose flags have none of skip_flags."""
    async with conn.cursor(binary=True) as cur:
        await cur.execute(
            "SELECT i.device_id, p.fix_time, p.lat, p.lon "
            "FROM unnest(%(ids)b::uuid[], %(times)b::timestamptz[]) AS i(device_id, t) "
            "CROSS JOIN LATERAL (SELECT fix_time, lat, lon FROM positions "
            "  WHERE device_id = i.device_id AND fix_time < i.t AND flags & %(skip)s = 0 "
            "  ORDER BY fix_time DESC LIMIT 1) p",
            {"ids": list(before), "times": list(before.values()), "skip": skip_flags},
        )
        return {d: (t, lat, lon) for d, t, lat, lon in await cur.fetchall()}
