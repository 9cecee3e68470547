"""The position pipeline: a bounded queue of fixes, batched validation, attribution, storage and commit.

Every feed (the JT/T 808 gateway, AIS, NMEA, the HTTP batch endpoint) awaits `Pipeline.submit`, which
returns only once the batch holding its fixes is committed; while the queue is full it waits, so a feed
that awaits it before reading more input is slowed down, never dropped. After each commit the registered
CommitListeners (geofences, ETA, live push) get the stored fixes; they cannot delay or fail storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from yidan.core.clock import utcnow
from yidan.tracking import store
from yidan.tracking.attribution import Attribution, Attributor, DeviceDirectory, DeviceInfo, read_epoch
from yidan.tracking.decoders.fix import Fix
from yidan.tracking.stored import CommitListener, FixFlag, StoredFix
from yidan.tracking.validation import (
    AS_FLAG,
    IMPOSSIBLE_SPEED,
    MAX_SPEED_KMH,
    NOT_BASELINE,
    NOT_POSITIONED,
    Point,
    Refusal,
    check_fix,
    impossible,
)

log = logging.getLogger("yidan.tracking.pipeline")

BASELINE_ENTRIES = 500_000
# the steps of a batch whose wall time is kept (each includes waiting for the database and the loop)
PHASES = ("connect_resolve", "attribute", "check_rows", "copy_merge", "commit")
RESOLVE_SLICE = 256  # submissions answered per turn of the event loop after a commit


class Outcome(StrEnum):
    """What became of one submitted fix."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class FixResult:
    """The outcome of one submitted fix; a rejected fix carries a stable code and a reason."""

    outcome: Outcome
    code: str | None = None
    reason: str | None = None
    flags: FixFlag = FixFlag.NONE


@dataclass(frozen=True, slots=True)
class SubmitReport:
    """Per-fix outcomes of one submit call, in the order the fixes were given.

    Stored and duplicate fixes are both safely in the database: a feed acknowledges them. A rejected fix
    will never be stored (resending it cannot help), so a feed acknowledges it too and logs the reason.
    """

    results: tuple[FixResult, ...]

    @property
    def stored(self) -> int:
        """How many fixes were new and are now committed."""
        return sum(1 for r in self.results if r.outcome is Outcome.STORED)

    @property
    def duplicates(self) -> int:
        """How many fixes were already stored (same device and fix time)."""
        return sum(1 for r in self.results if r.outcome is Outcome.DUPLICATE)

    @property
    def rejected(self) -> int:
        """How many fixes were refused (each result says why)."""
        return sum(1 for r in self.results if r.outcome is Outcome.REJECTED)


class PipelineClosed(RuntimeError):
    """Raised by submit when the pipeline is not running (not started, or stopping): nothing was taken."""


class PipelineError(RuntimeError):
    """Raised by submit when its fixes could not be committed (the database is down): do not acknowledge."""


@dataclass
class PipelineStats:
    """Counters since start, for logs, health and the benchmark."""

    submitted: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    failed: int = 0
    retries: int = 0
    listener_errors: int = 0
    listener_dropped: int = 0
    batch_fixes: int = 0  # fixes in committed batches, and the seconds those batches took in all
    batch_seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # wall time in each step of a batch


@dataclass(slots=True)
class _Submission:
    fixes: Sequence[Fix]
    devices: Sequence[uuid.UUID | None] | None
    received_at: datetime
    future: asyncio.Future[SubmitReport]


@dataclass(slots=True)
class _Item:
    """One fix on its way through a batch (flags as a plain int until the results are made)."""

    sub: int
    fix: Fix
    hint: uuid.UUID | None
    received_at: datetime
    device: DeviceInfo | None = None
    result: FixResult | None = None
    flags: int = 0
    attribution: Attribution | None = None


@dataclass(slots=True)
class _Written:
    results: list[list[FixResult]]
    stored: list[StoredFix] = field(default_factory=list)


def _transient(exc: BaseException) -> bool:
    """Errors worth retrying the whole batch for: lost connections, deadlocks, serialisation failures."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        orig,
        psycopg.OperationalError
        | psycopg.errors.DeadlockDetected
        | psycopg.errors.SerializationFailure
        | psycopg.errors.LockNotAvailable
        | ConnectionError
        | TimeoutError,
    )


class Pipeline:
    """Accepts fixes from every feed, writes them in batches and acknowledges only committed fixes."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        max_pending: int = 20_000,
        batch_size: int = 2_000,
        batch_ms: float = 20.0,
        writers: int = 2,
        future_skew: timedelta = timedelta(minutes=5),
        max_speed_kmh: float = 1_000.0,
        retry_for_s: float = 30.0,
        listener_backlog: int = 256,
    ) -> None:
        bind = sessionmaker.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the sessionmaker must be bound to an AsyncEngine")
        self._engine: AsyncEngine = bind
        self._sessionmaker = sessionmaker
        self.max_pending = max_pending
        self.batch_size = batch_size
        self.batch_ms = batch_ms
        self.writers = max(1, writers)
        self.future_skew = future_skew
        self.max_speed_kmh = max_speed_kmh
        self.retry_for_s = retry_for_s
        self.listener_backlog = listener_backlog
        self.stats = PipelineStats()
        self.devices = DeviceDirectory()
        self.attributor = Attributor()
        self._listeners: list[tuple[CommitListener, asyncio.Queue[Sequence[StoredFix] | None]]] = []
        self._listener_tasks: list[asyncio.Task[None]] = []
        self._queue: deque[_Submission] = deque()
        self._queued = 0  # fixes waiting in the queue
        self._pending = 0  # fixes queued or being written: what max_pending bounds
        self._admission = asyncio.Lock()  # FIFO: a large submission is not overtaken forever by small ones
        self._space = asyncio.Condition()
        self._work = asyncio.Event()
        self._writer_tasks: list[asyncio.Task[None]] = []
        self._running = False
        self._closing = False
        self._baseline: dict[int, Point] = {}

    # ---- public API ----

    @property
    def running(self) -> bool:
        """Whether submit accepts fixes."""
        return self._running and not self._closing

    @property
    def pending(self) -> int:
        """Fixes accepted but not yet committed."""
        return self._pending

    def add_listener(self, listener: CommitListener) -> None:
        """Register a coroutine called with the stored fixes after each committed batch."""
        queue: asyncio.Queue[Sequence[StoredFix] | None] = asyncio.Queue(self.listener_backlog)
        self._listeners.append((listener, queue))
        if self._running:
            self._listener_tasks.append(asyncio.create_task(self._notify(listener, queue)))

    async def start(self) -> None:
        """Make this and the coming months' partitions and start the background writers."""
        if self._running:
            return
        now = utcnow()
        try:
            await store.ensure_partitions(
                self._engine, store.months_of(now + timedelta(days=31 * k) for k in range(-1, 4))
            )
        except Exception as exc:  # the database may come up later; batches make partitions as they go
            log.warning("position partitions not prepared at start: %s", exc)
        self._running, self._closing = True, False
        self._writer_tasks = [
            asyncio.create_task(self._writer(), name=f"positions-writer-{i}") for i in range(self.writers)
        ]
        self._listener_tasks = [asyncio.create_task(self._notify(lst, q)) for lst, q in self._listeners]

    async def stop(self, *, listener_timeout_s: float = 5.0) -> None:
        """Stop accepting fixes, write and commit everything already accepted, then end the writers."""
        if not self._running:
            return
        self._closing = True
        async with self._space:
            self._space.notify_all()  # submitters still waiting for room are told the pipeline is closed
        self._work.set()
        await asyncio.gather(*self._writer_tasks, return_exceptions=True)
        for _, queue in self._listeners:
            with contextlib.suppress(asyncio.QueueFull):  # a full queue ends at its own pace
                queue.put_nowait(None)
        if self._listener_tasks:
            _, late = await asyncio.wait(self._listener_tasks, timeout=listener_timeout_s)
            for task in late:
                task.cancel()
        self._writer_tasks, self._listener_tasks = [], []
        self._running = False

    async def submit(
        self, fixes: Sequence[Fix], *, devices: Sequence[uuid.UUID | None] | None = None
    ) -> SubmitReport:
        """Queue fixes (waiting while the queue is full) and return once their batch is committed.

        `devices`, when given, holds the device row id of each fix (for callers that already resolved and
        authorised the device, like the HTTP endpoint); otherwise devices are found by kind and identifier.
        Raises PipelineClosed when not running (nothing taken) and PipelineError when the batch could not
        be committed: in both cases the caller must not acknowledge.
        """
        if devices is not None and len(devices) != len(fixes):
            raise ValueError("devices must give one entry per fix")
        if not fixes:
            return SubmitReport(())
        if not self.running:
            raise PipelineClosed("the position pipeline is not running")
        n = len(fixes)
        if self._admission.locked() or self._pending + n > self.max_pending:
            async with self._admission, self._space:
                # a submission larger than the whole queue goes in alone rather than never
                await self._space.wait_for(
                    lambda: self._closing or self._pending == 0 or self._pending + n <= self.max_pending
                )
                if self._closing:
                    raise PipelineClosed("the position pipeline is stopping")
                self._pending += n
        else:
            self._pending += n  # room and nobody waiting before us: no need to queue for admission
        # a caller that gives up cancels only its own future, never the write its fixes are part of
        return await self._enqueue(fixes, devices)

    def offer(
        self, fixes: Sequence[Fix], *, devices: Sequence[uuid.UUID | None] | None = None
    ) -> asyncio.Future[SubmitReport] | None:
        """Queue fixes now if there is room and nobody waits for it: a future of their commit, else None.

        The cheap path for a feed that answers from a callback; on None it awaits `submit` instead. The
        future fails as `submit` raises: PipelineError when the batch could not be committed.
        """
        n = len(fixes)
        if not n or not self.running or (devices is not None and len(devices) != n):
            return None
        if self._admission.locked() or self._pending + n > self.max_pending:
            return None
        self._pending += n
        return self._enqueue(fixes, devices)

    def _enqueue(
        self, fixes: Sequence[Fix], devices: Sequence[uuid.UUID | None] | None
    ) -> asyncio.Future[SubmitReport]:
        n = len(fixes)
        future: asyncio.Future[SubmitReport] = asyncio.get_running_loop().create_future()
        self._queue.append(_Submission(fixes, devices, utcnow(), future))
        self._queued += n
        self.stats.submitted += n
        self._work.set()
        return future

    # ---- the writers ----

    async def _writer(self) -> None:
        while True:
            batch = await self._take()
            if batch is None:
                return
            n = sum(len(s.fixes) for s in batch)
            try:
                await self._write(batch)
            except Exception as exc:  # never lose a writer: fail the batch's submitters instead
                log.exception("position batch failed")
                self._fail(batch, exc)
            finally:
                async with self._space:
                    self._pending -= n
                    self._space.notify_all()

    async def _take(self) -> list[_Submission] | None:
        while True:
            while not self._queue:
                if self._closing:
                    return None
                self._work.clear()
                await self._work.wait()
            # linger briefly for a fuller batch: one commit for many fixes is what makes the rate
            deadline = time.monotonic() + self.batch_ms / 1000.0
            while self._queued < self.batch_size and not self._closing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._work.clear()
                try:
                    await asyncio.wait_for(self._work.wait(), remaining)
                except TimeoutError:
                    break
            if self._queue:
                break
            # another writer took it all while this one lingered: wait again rather than write nothing
        batch: list[_Submission] = []
        taken = 0
        while self._queue and (not batch or taken + len(self._queue[0].fixes) <= self.batch_size):
            sub = self._queue.popleft()
            batch.append(sub)
            taken += len(sub.fixes)
        self._queued -= taken
        if self._queue:
            self._work.set()  # more is waiting: let another writer start on it now
        return batch

    def _fail(self, batch: Sequence[_Submission], exc: BaseException) -> None:
        for sub in batch:
            if not sub.future.done():
                self.stats.failed += len(sub.fixes)
                err = PipelineError(f"positions could not be stored: {type(exc).__name__}: {exc}")
                err.__cause__ = exc
                sub.future.set_exception(err)
                # a caller that gave up never retrieves it; do not warn about that
                sub.future.exception()

    async def _write(self, batch: list[_Submission]) -> None:
        started = time.monotonic()
        deadline = started + self.retry_for_s
        delay = 0.05
        while True:
            try:
                written = await self._write_once(batch)
                break
            except Exception as exc:
                if _transient(exc) and time.monotonic() < deadline:
                    self.stats.retries += 1
                    log.warning("position batch retried after %s: %s", type(exc).__name__, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 2.0)
                    continue
                if len(batch) > 1 and not _transient(exc):
                    # one submission's bad data must not cost the others their acknowledgement
                    half = len(batch) // 2
                    await self._write(batch[:half])
                    await self._write(batch[half:])
                    return
                raise
        stats = self.stats
        stats.batches += 1
        stats.batch_fixes += sum(len(s.fixes) for s in batch)
        stats.batch_seconds += time.monotonic() - started
        if written.stored:
            self._publish(written.stored)
        for k, (sub, results) in enumerate(zip(batch, written.results, strict=True)):
            if k and not k % RESOLVE_SLICE:
                # Each resolved submission runs its feed's answer next; letting the loop breathe between
                # slices keeps other batches' database replies from queueing behind thousands of them.
                await asyncio.sleep(0)
            for r in results:
                if r.outcome is Outcome.STORED:
                    stats.stored += 1
                elif r.outcome is Outcome.DUPLICATE:
                    stats.duplicates += 1
                else:
                    stats.rejected += 1
            if not sub.future.done():
                sub.future.set_result(SubmitReport(tuple(results)))

    async def _write_once(self, batch: list[_Submission]) -> _Written:
        now = utcnow()
        items: list[_Item] = []
        months: set[tuple[int, int]] = set()
        for s, sub in enumerate(batch):
            hints = sub.devices
            for i, fix in enumerate(sub.fixes):
                item = _Item(s, fix, hints[i] if hints is not None else None, sub.received_at)
                checked = check_fix(fix, now=now, skew=self.future_skew)
                if isinstance(checked, Refusal):
                    item.result = FixResult(Outcome.REJECTED, checked.code, checked.reason)
                else:
                    item.fix, item.flags = checked
                    months.add((item.fix.fix_time.year, item.fix.fix_time.month))
                items.append(item)
        # partitions first, outside the batch's transaction, which must not wait on partition DDL
        await store.ensure_partitions(self._engine, store.first_days(months))
        phases = self.stats.phase_seconds
        t0 = time.perf_counter()
        async with self._sessionmaker() as session:
            conn = await store.raw_connection(session)
            # first: what is read after it is at least as new as the epoch it is remembered under
            if self.attributor.observe(await read_epoch(conn)):
                self.devices.forget()
            await self._resolve(session, items)
            t1 = time.perf_counter()
            live = self._dedupe(items)
            attributions = await self.attributor.attribute(
                conn, [(it.device, it.fix.fix_time) for it in live if it.device is not None], now=now
            )
            for it, att in zip(live, attributions, strict=True):
                it.attribution = att
            t2 = time.perf_counter()
            await self._check_speed(conn, live)
            rows = [_row(it) for it in live]
            t3 = time.perf_counter()
            written = await store.write_positions(conn, rows)
            t4 = time.perf_counter()
            await session.commit()
        t5 = time.perf_counter()
        for name, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            phases[name] = phases.get(name, 0.0) + seconds
        out = _Written([[] for _ in batch])
        new, latest = written.new, written.latest
        for i, it in enumerate(live):
            device, attribution = it.device, it.attribution
            assert device is not None and attribution is not None
            flags = AS_FLAG[it.flags]
            if i not in new:
                it.result = FixResult(Outcome.DUPLICATE, flags=flags)
                continue
            it.result = _STORED.get(flags) or FixResult(Outcome.STORED, flags=flags)
            out.stored.append(
                StoredFix(
                    device.id,
                    device.identifier,
                    it.fix,
                    flags,
                    attribution.vehicle_id,
                    attribution.legs,
                    i in latest,
                )
            )
            if not it.flags & NOT_BASELINE:
                self._remember(device.id, it.fix)
        for it in items:
            assert it.result is not None
            out.results[it.sub].append(it.result)
        return out

    def _remember(self, device_id: uuid.UUID, fix: Fix) -> None:
        """Keep a committed plausible fix as the device's speed baseline, if it is its newest."""
        key = device_id.int
        known = self._baseline.get(key)
        if known is None or known[0] < fix.fix_time:
            if known is None and len(self._baseline) >= BASELINE_ENTRIES:
                self._baseline.clear()
            self._baseline[key] = (fix.fix_time, fix.lat, fix.lon)

    # ---- the steps of a batch ----

    async def _resolve(self, session: AsyncSession, items: list[_Item]) -> None:
        todo = [it for it in items if it.result is None]
        hinted = {it.hint for it in todo if it.hint is not None}
        by_id = await self.devices.by_ids(session, hinted) if hinted else {}
        unhinted = [it.fix for it in todo if it.hint is None]
        found = await self.devices.find(session, unhinted) if unhinted else []
        hits = iter(found)
        for it in todo:
            device = by_id.get(it.hint) if it.hint is not None else next(hits)
            if device is None:
                it.result = FixResult(
                    Outcome.REJECTED,
                    "unknown_device",
                    f"no {it.fix.source} device {it.fix.device_id!r} is provisioned",
                )
            else:
                it.device = device

    def _dedupe(self, items: list[_Item]) -> list[_Item]:
        seen: set[tuple[uuid.UUID, datetime]] = set()
        live: list[_Item] = []
        for it in items:
            if it.result is not None:
                continue
            assert it.device is not None
            key = (it.device.id, it.fix.fix_time)
            if key in seen:
                it.result = FixResult(Outcome.DUPLICATE, flags=AS_FLAG[it.flags])
                continue
            seen.add(key)
            live.append(it)
        return live

    def _limit(self, it: _Item) -> float:
        kind = it.attribution.vehicle_kind if it.attribution else None
        if kind is None:
            assert it.device is not None
            return MAX_SPEED_KMH.get(it.device.kind, self.max_speed_kmh)
        return MAX_SPEED_KMH.get(kind, self.max_speed_kmh)

    async def _check_speed(self, conn: psycopg.AsyncConnection[object], live: list[_Item]) -> None:
        """Flag a fix that could only be reached from the device's previous plausible fix impossibly fast."""
        # int keys throughout: a UUID's own hash is computed in Python, every time
        by_device: dict[int, tuple[uuid.UUID, list[_Item]]] = {}
        for it in live:
            assert it.device is not None
            entry = by_device.get(it.device.id.int)
            if entry is None:
                by_device[it.device.id.int] = (it.device.id, [it])
            else:
                entry[1].append(it)
        # The baseline is the newest plausible fix this process committed, else the stored latest. A
        # baseline older than the true previous fix can only hide a jump, never invent one.
        known = self._baseline
        unknown = [device_id for key, (device_id, _) in by_device.items() if key not in known]
        stored = {d.int: p for d, p in (await store.latest_points(conn, unknown)).items()} if unknown else {}
        late: dict[uuid.UUID, datetime] = {}
        for key, (device_id, fixes) in by_device.items():
            if len(fixes) > 1:
                fixes.sort(key=lambda it: it.fix.fix_time)
            base = known.get(key) or stored.get(key)
            if base is not None and fixes[0].fix.fix_time < base[0]:
                late[device_id] = fixes[0].fix.fix_time
        # a late (resent) fix is judged against the plausible stored fix just before it, not the latest
        before: dict[int, Point] = {}
        if late:
            found = await store.points_before(conn, late, skip_flags=NOT_BASELINE)
            before = {d.int: p for d, p in found.items()}
        for key, (device_id, fixes) in by_device.items():
            prev = before.get(key) if device_id in late else known.get(key) or stored.get(key)
            for it in fixes:
                fix = it.fix
                if prev is not None and prev[0] < fix.fix_time and impossible(prev, fix, self._limit(it)):
                    it.flags |= IMPOSSIBLE_SPEED
                    continue  # an implausible fix is no baseline for the next one
                if not it.flags & NOT_POSITIONED:
                    prev = (fix.fix_time, fix.lat, fix.lon)

    # ---- after the commit ----

    def _publish(self, stored: list[StoredFix]) -> None:
        for listener, queue in self._listeners:
            try:
                queue.put_nowait(stored)
            except asyncio.QueueFull:
                # a listener this far behind reads the database when it catches up; storage never waits
                self.stats.listener_dropped += len(stored)
                log.error("listener %r is %d batches behind; a batch was skipped", listener, queue.qsize())

    async def _notify(
        self, listener: CommitListener, queue: asyncio.Queue[Sequence[StoredFix] | None]
    ) -> None:
        while True:
            stored = await queue.get()
            if stored is None:
                return
            try:
                await listener(stored)
            except Exception:
                self.stats.listener_errors += 1
                log.exception("commit listener %r failed on %d fixes", listener, len(stored))


_STORED = {f: FixResult(Outcome.STORED, flags=f) for f in (FixFlag.NONE, FixFlag.ALARM)}


def _row(it: _Item) -> store.PositionRow:
    fix, device = it.fix, it.device
    assert device is not None
    return store.PositionRow(
        device.id,
        fix.fix_time,
        it.received_at,
        fix.lat,
        fix.lon,
        fix.speed_kmh,
        fix.course_deg,
        fix.altitude_m,
        fix.satellites,
        fix.status,
        fix.alarms,
        fix.source,
        it.flags,
        store.dump_extra(fix.extra) if fix.extra else None,
    )


__all__ = [
    "FixResult",
    "Outcome",
    "Pipeline",
    "PipelineClosed",
    "PipelineError",
    "PipelineStats",
    "SubmitReport",
]
