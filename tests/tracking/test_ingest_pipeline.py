"""The position pipeline on the real database: storage, dedupe, validation, backpressure, commit order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from tests.tracking.ingest_support import Maker, count_rows, fix, make_device, now

from yidan.core.db import make_engine, make_sessionmaker
from yidan.identity.principal import OrgKind
from yidan.tracking.models import DeviceKind, LatestPosition, Position
from yidan.tracking.pipeline import Outcome, Pipeline, PipelineClosed, PipelineError
from yidan.tracking.stored import FixFlag, StoredFix


@pytest.fixture
async def org_id(factory) -> uuid.UUID:  # type: ignore[no-untyped-def]
    return (await factory.org(OrgKind.CARRIER)).id


@pytest.fixture
async def pipeline(sessionmaker: Maker) -> AsyncIterator[Pipeline]:
    p = Pipeline(sessionmaker, batch_ms=5)
    await p.start()
    yield p
    await p.stop()


async def _latest(maker: Maker, device_id: uuid.UUID) -> LatestPosition | None:
    async with maker() as session:
        return await session.get(LatestPosition, device_id)


async def test_stores_and_ignores_duplicates(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    t = now() - timedelta(minutes=1)
    first = await pipeline.submit(
        [fix(device, t, speed_kmh=42.5, course_deg=90, altitude_m=12, satellites=9)]
    )
    assert [r.outcome for r in first.results] == [Outcome.STORED]
    again = await pipeline.submit([fix(device, t), fix(device, t + timedelta(seconds=5))])
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE, Outcome.STORED]
    same_batch = await pipeline.submit([fix(device, t + timedelta(seconds=9))] * 2)
    assert [r.outcome for r in same_batch.results] == [Outcome.STORED, Outcome.DUPLICATE]
    assert await count_rows(sessionmaker, device.id) == 3
    async with sessionmaker() as session:
        row = await session.scalar(
            select(Position).where(Position.device_id == device.id, Position.fix_time == t)
        )
    assert row is not None
    assert (row.lat, row.lon, row.speed_kmh, row.course_deg, row.altitude_m, row.satellites) == (
        29.87,
        121.55,
        42.5,
        90.0,
        12.0,
        9,
    )
    assert row.source == "jt808" and row.flags == 0 and row.fix_time.tzinfo is not None


async def test_jt808_phone_matches_padded_provisioning(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    bare = "1" + uuid.uuid4().int.__str__()[:10]
    device = await make_device(sessionmaker, org_id, identifier=bare.rjust(12, "0"))
    report = await pipeline.submit([fix(bare, now() - timedelta(seconds=3))])
    assert report.stored == 1
    assert await count_rows(sessionmaker, device.id) == 1


async def test_late_fix_never_replaces_latest(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    seen: list[StoredFix] = []

    async def listener(stored: Sequence[StoredFix]) -> None:
        seen.extend(s for s in stored if s.device_id == device.id)

    pipeline.add_listener(listener)
    newer = now() - timedelta(minutes=1)
    older = newer - timedelta(minutes=10)
    await pipeline.submit([fix(device, newer, 29.9, 121.6)])
    report = await pipeline.submit([fix(device, older, 29.8, 121.5)])
    assert report.stored == 1
    latest = await _latest(sessionmaker, device.id)
    assert latest is not None and latest.fix_time == newer and latest.lat == 29.9
    await _until(lambda: len(seen) == 2)
    assert [s.is_latest for s in seen] == [True, False]
    # and in one batch, only the newest fix becomes latest
    batch = [fix(device, newer + timedelta(seconds=s), 29.9, 121.6) for s in (30, 10, 20)]
    await pipeline.submit(batch)
    latest = await _latest(sessionmaker, device.id)
    assert latest is not None and latest.fix_time == newer + timedelta(seconds=30)


async def test_future_fix_is_rejected_with_a_reason(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    report = await pipeline.submit(
        [fix(device, now() + timedelta(hours=1)), fix(device, now() + timedelta(seconds=30))]
    )
    rejected, within_skew = report.results
    assert rejected.outcome is Outcome.REJECTED and rejected.code == "future_fix"
    assert "ahead of the server clock" in (rejected.reason or "")
    assert within_skew.outcome is Outcome.STORED
    assert await count_rows(sessionmaker, device.id) == 1


async def test_zero_zero_and_negative_speed_are_rejected(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    t = now() - timedelta(minutes=5)
    report = await pipeline.submit(
        [fix(device, t, 0.0, 0.0), fix(device, t + timedelta(seconds=1), speed_kmh=-3.0)]
    )
    assert [r.code for r in report.results] == ["no_position", "invalid_speed"]
    assert await count_rows(sessionmaker, device.id) == 0


async def test_impossible_speed_is_flagged_and_kept(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    t = now() - timedelta(minutes=10)
    ningbo = (29.87, 121.55)
    beijing = (39.90, 116.40)
    await pipeline.submit([fix(device, t, *ningbo)])
    jump = await pipeline.submit([fix(device, t + timedelta(seconds=10), *beijing)])
    assert jump.results[0].outcome is Outcome.STORED
    assert jump.results[0].flags & FixFlag.IMPOSSIBLE_SPEED
    # the next fix is judged against the last plausible one, not the jump
    back = await pipeline.submit([fix(device, t + timedelta(seconds=20), 29.8705, 121.5505)])
    assert not back.results[0].flags & FixFlag.IMPOSSIBLE_SPEED
    async with sessionmaker() as session:
        flags = list(
            await session.scalars(
                select(Position.flags).where(Position.device_id == device.id).order_by(Position.fix_time)
            )
        )
    assert flags == [0, int(FixFlag.IMPOSSIBLE_SPEED), 0]
    latest = await _latest(sessionmaker, device.id)
    assert latest is not None and latest.fix_time == t + timedelta(seconds=20)
    # within one batch, and for a late fix resent out of order
    in_batch = await pipeline.submit(
        [fix(device, t + timedelta(seconds=30), *beijing), fix(device, t + timedelta(seconds=40), *ningbo)]
    )
    assert [bool(r.flags & FixFlag.IMPOSSIBLE_SPEED) for r in in_batch.results] == [True, False]
    late = await pipeline.submit([fix(device, t + timedelta(seconds=5), 31.23, 121.47)])  # Shanghai
    assert late.results[0].flags & FixFlag.IMPOSSIBLE_SPEED
    a_day_later = await pipeline.submit([fix(device, t + timedelta(days=1, seconds=1), *beijing)])
    assert a_day_later.results[0].flags == FixFlag.NONE


async def test_alarm_is_flagged(pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID) -> None:
    device = await make_device(sessionmaker, org_id)
    report = await pipeline.submit([fix(device, now() - timedelta(seconds=2), alarms=1, status=2)])
    assert report.results[0].flags == FixFlag.ALARM


async def test_unknown_device_is_rejected_with_a_reason(pipeline: Pipeline) -> None:
    report = await pipeline.submit([fix("19999999999", now() - timedelta(seconds=5))])
    result = report.results[0]
    assert result.outcome is Outcome.REJECTED and result.code == "unknown_device"
    assert "19999999999" in (result.reason or "")
    # the same identifier of another kind is another device
    ais = await pipeline.submit([fix("19999999999", now() - timedelta(seconds=5), source="ais")])
    assert ais.results[0].code == "unknown_device"


async def test_submit_returns_after_commit(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    t = now() - timedelta(seconds=30)
    await pipeline.submit([fix(device, t)])
    # a fresh session on another connection sees the row: it was committed before submit returned
    async with sessionmaker() as session:
        found = await session.scalar(
            select(Position.fix_time).where(Position.device_id == device.id, Position.fix_time == t)
        )
    assert found == t


async def test_backpressure_waits_and_loses_nothing(sessionmaker: Maker, org_id: uuid.UUID) -> None:
    pipeline = Pipeline(sessionmaker, max_pending=30, batch_size=10, batch_ms=1)
    await pipeline.start()
    try:
        device = await make_device(sessionmaker, org_id)
        t0 = now() - timedelta(hours=1)
        await pipeline.submit([fix(device, t0)])
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, pipeline.pending)
                await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())
        # hold the device's latest row so that writers block inside their transaction
        async with sessionmaker() as blocker:
            await blocker.execute(
                text("SELECT 1 FROM latest_positions WHERE device_id = :d FOR UPDATE"), {"d": device.id}
            )
            tasks = [
                asyncio.create_task(
                    pipeline.submit([fix(device, t0 + timedelta(seconds=1 + 10 * k + i)) for i in range(10)])
                )
                for k in range(12)
            ]
            await asyncio.sleep(0.5)
            assert pipeline.pending == 30  # full: the other 90 fixes wait in submit, not in memory
            assert sum(t.done() for t in tasks) == 0
            await blocker.rollback()
        reports = await asyncio.wait_for(asyncio.gather(*tasks), 30)
        watcher.cancel()
        assert peak <= 30
        assert sum(r.stored for r in reports) == 120
        assert await count_rows(sessionmaker, device.id) == 121
    finally:
        await pipeline.stop()


async def test_many_concurrent_submits_beyond_the_queue_are_all_stored(
    sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    pipeline = Pipeline(sessionmaker, max_pending=50, batch_size=25, batch_ms=2)
    await pipeline.start()
    try:
        devices = [await make_device(sessionmaker, org_id) for _ in range(5)]
        t0 = now() - timedelta(hours=2)
        reports = await asyncio.gather(
            *(
                pipeline.submit([fix(d, t0 + timedelta(seconds=k * 10 + i)) for i in range(10)])
                for k in range(40)
                for d in devices
            )
        )
        assert sum(r.stored for r in reports) == 2000
        for d in devices:
            assert await count_rows(sessionmaker, d.id) == 400
    finally:
        await pipeline.stop()


async def test_a_submission_larger_than_the_queue_goes_in_alone(
    sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    pipeline = Pipeline(sessionmaker, max_pending=10, batch_size=10, batch_ms=1)
    await pipeline.start()
    try:
        device = await make_device(sessionmaker, org_id)
        t0 = now() - timedelta(hours=3)
        report = await asyncio.wait_for(
            pipeline.submit([fix(device, t0 + timedelta(seconds=i)) for i in range(25)]), 10
        )
        assert report.stored == 25
    finally:
        await pipeline.stop()


async def test_listeners_run_after_commit_and_a_failing_one_harms_nothing(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    t = now() - timedelta(seconds=40)
    committed_when_called: list[bool] = []
    done = asyncio.Event()

    async def broken(stored: Sequence[StoredFix]) -> None:
        raise RuntimeError("listener bug")

    async def checking(stored: Sequence[StoredFix]) -> None:
        mine = [s for s in stored if s.device_id == device.id]
        if not mine:
            return
        async with sessionmaker() as session:
            row = await session.scalar(select(Position.fix_time).where(Position.device_id == device.id))
        committed_when_called.append(row == t)
        assert mine[0].device_identifier == device.identifier and mine[0].is_latest
        done.set()

    errors_before = pipeline.stats.listener_errors
    pipeline.add_listener(broken)
    pipeline.add_listener(checking)
    report = await pipeline.submit([fix(device, t)])
    assert report.stored == 1
    await asyncio.wait_for(done.wait(), 5)
    assert committed_when_called == [True]
    await _until(lambda: pipeline.stats.listener_errors > errors_before)
    # storage goes on after the failure
    assert (await pipeline.submit([fix(device, t + timedelta(seconds=1))])).stored == 1


async def test_stop_commits_what_was_accepted_and_then_refuses(
    sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    pipeline = Pipeline(sessionmaker, batch_size=50, batch_ms=50)
    await pipeline.start()
    device = await make_device(sessionmaker, org_id)
    t0 = now() - timedelta(hours=4)
    tasks = [
        asyncio.create_task(pipeline.submit([fix(device, t0 + timedelta(seconds=i))])) for i in range(200)
    ]
    await asyncio.sleep(0)
    await pipeline.stop()
    reports = await asyncio.gather(*tasks, return_exceptions=True)
    stored = sum(r.stored for r in reports if not isinstance(r, BaseException))
    refused = [r for r in reports if isinstance(r, BaseException)]
    assert all(isinstance(r, PipelineClosed) for r in refused)
    assert stored + len(refused) == 200
    assert await count_rows(sessionmaker, device.id) == stored
    with pytest.raises(PipelineClosed):
        await pipeline.submit([fix(device, t0)])


async def test_partition_of_a_new_month_is_made(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    device = await make_device(sessionmaker, org_id)
    old = (now() - timedelta(days=250)).replace(day=15)
    name = f"positions_{old:%Y_%m}"
    assert (await pipeline.submit([fix(device, old)])).stored == 1
    async with sessionmaker() as session:
        exists = await session.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})
        where = await session.scalar(
            text("SELECT tableoid::regclass::text FROM positions WHERE device_id = :d"), {"d": device.id}
        )
    assert exists and where in (name, "positions_default")


async def test_database_down_fails_the_submit(database_url: str, org_id: uuid.UUID) -> None:
    engine = make_engine(database_url.replace("@127.0.0.1:5432", "@127.0.0.1:9"), pool_size=1)
    try:
        pipeline = Pipeline(make_sessionmaker(engine), batch_ms=1, retry_for_s=0.3)
        await pipeline.start()
        with pytest.raises(PipelineError):
            await pipeline.submit([fix("13800000000", datetime.now(UTC) - timedelta(seconds=1))])
        assert pipeline.stats.failed == 1 and pipeline.stats.retries >= 1
        await pipeline.stop()
    finally:
        await engine.dispose()


async def test_ais_fix_of_unregistered_kind(
    pipeline: Pipeline, sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    vessel = await make_device(sessionmaker, org_id, DeviceKind.AIS)
    report = await pipeline.submit([fix(vessel, now() - timedelta(seconds=20), source="ais", speed_kmh=25.0)])
    assert report.stored == 1


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    # polls state the pipeline owns (its counters), which offers no event to wait on
    async with asyncio.timeout(5):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_stuck_listener_never_delays_storage(sessionmaker: Maker, org_id: uuid.UUID) -> None:
    """A listener blocked on a dead Redis (say) falls behind and loses batches; submits still commit."""
    pipeline = Pipeline(sessionmaker, batch_ms=1, listener_backlog=2)
    release = asyncio.Event()
    calls = 0

    async def stuck(stored: Sequence[StoredFix]) -> None:
        nonlocal calls
        calls += 1
        await release.wait()

    pipeline.add_listener(stuck)
    await pipeline.start()
    try:
        device = await make_device(sessionmaker, org_id)
        t0 = now() - timedelta(hours=5)
        for i in range(6):
            report = await asyncio.wait_for(pipeline.submit([fix(device, t0 + timedelta(seconds=i))]), 5)
            assert report.stored == 1
        assert await count_rows(sessionmaker, device.id) == 6
        assert pipeline.stats.listener_dropped >= 1 and calls == 1
    finally:
        release.set()
        await pipeline.stop(listener_timeout_s=1)


async def test_writers_that_find_nothing_left_write_no_empty_batches(
    sessionmaker: Maker, org_id: uuid.UUID
) -> None:
    pipeline = Pipeline(sessionmaker, batch_ms=20, writers=3)
    await pipeline.start()
    try:
        device = await make_device(sessionmaker, org_id)
        t = now() - timedelta(minutes=5)
        for k in range(5):  # one submission at a time wakes every idle writer; one of them takes it
            await pipeline.submit([fix(device, t + timedelta(seconds=k))])
        await asyncio.sleep(0.1)  # the other writers' lingering ends
        assert pipeline.stats.batches == 5 and pipeline.stats.stored == 5
    finally:
        await pipeline.stop()
