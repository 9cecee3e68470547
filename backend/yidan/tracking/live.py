"""Live positions: each stored fix published on Redis, fanned out to SSE and GraphQL subscribers.

Publishing (``LivePublisher``, a commit listener) sends one JSON message per fix and waybill on
``track:waybill:{waybill_id}``. Redis being down never touches storage: the push is dropped and counted,
and after a short pause the next batch tries again.

Subscribing (``LiveHub``) uses one Redis connection per process whatever the number of clients: the hub
subscribes to a waybill's channel while someone listens and hands each message to every local
``Subscription``. A subscription coalesces per vehicle — it holds at most the newest undelivered fix of
each vehicle, and never one older than what it already delivered — so a slow client costs a bounded dict
and never slows the hub or the other clients.

An open stream goes on only while its caller may listen (``live_auth.StreamGuard``): the SSE body ends
with an ``event: reauthenticate`` frame when the guard says no.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from yidan.core.clock import utcnow
from yidan.tracking.live_auth import StreamEnded, StreamGuard
from yidan.tracking.models import Device, DeviceBinding, LatestPosition, LegAssignment, Vehicle, VehicleKind
from yidan.tracking.stored import FixFlag, StoredFix
from yidan.waybills.lifecycle import LegStatus, Mode
from yidan.waybills.models import Leg, Waybill

log = logging.getLogger("yidan.tracking.live")

CHANNEL_PREFIX = "track:waybill:"
# Fixes the pipeline marked as untrustworthy stay off the live map (they are still stored).
UNTRUSTED = FixFlag.IMPOSSIBLE_SPEED | FixFlag.NOT_POSITIONED


def channel(waybill_id: uuid.UUID) -> str:
    """The Redis channel of a waybill's live positions."""
    return f"{CHANNEL_PREFIX}{waybill_id}"


def utc_iso(t: datetime) -> str:
    """A UTC time as fixed-width ISO 8601 with milliseconds (sorts as text)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True, slots=True)
class LiveFix:
    """One live position of a vehicle carrying a leg of a waybill."""

    waybill: str
    leg_seq: int
    mode: str
    device: str
    vehicle: str | None
    fix_time: str
    lat: float
    lon: float
    speed_kmh: float | None
    course_deg: float | None
    raw: str = field(default="", compare=False, repr=False)

    @property
    def key(self) -> str:
        """What coalescing is keyed by: the vehicle, else the device."""
        return f"vehicle:{self.vehicle}" if self.vehicle else f"device:{self.device}"

    def as_dict(self) -> dict[str, Any]:
        """The message body."""
        return {
            "waybill": self.waybill,
            "leg_seq": self.leg_seq,
            "mode": self.mode,
            "device": self.device,
            "vehicle": self.vehicle,
            "fix_time": self.fix_time,
            "lat": self.lat,
            "lon": self.lon,
            "speed_kmh": self.speed_kmh,
            "course_deg": self.course_deg,
        }

    def to_json(self) -> str:
        """The message as compact JSON (serialised once, sent as is to every SSE client)."""
        return self.raw or json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> LiveFix | None:
        """A message read back; None for anything malformed."""
        try:
            d = json.loads(raw)
            return cls(
                waybill=str(d["waybill"]),
                leg_seq=int(d["leg_seq"]),
                mode=str(d["mode"]),
                device=str(d["device"]),
                vehicle=None if d.get("vehicle") is None else str(d["vehicle"]),
                fix_time=str(d["fix_time"]),
                lat=float(d["lat"]),
                lon=float(d["lon"]),
                speed_kmh=None if d.get("speed_kmh") is None else float(d["speed_kmh"]),
                course_deg=None if d.get("course_deg") is None else float(d["course_deg"]),
                raw=raw,
            )
        except (ValueError, KeyError, TypeError):
            return None


# ---- publishing ----


class LivePublisher:
    """A commit listener that publishes each stored fix on its waybills' channels; Redis down drops pushes."""

    def __init__(
        self,
        redis: Redis,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        *,
        timeout_s: float = 2.0,
        retry_after_s: float = 1.0,
        max_retry_after_s: float = 15.0,
    ) -> None:
        self.redis = redis
        self._sessionmaker = sessionmaker
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self.max_retry_after_s = max_retry_after_s
        self.published = 0
        self.dropped = 0
        self._down_since: float | None = None
        self._paused_until = 0.0
        self._pause = retry_after_s
        self._vehicles: dict[uuid.UUID, str] = {}

    @property
    def redis_down(self) -> bool:
        """True while the last attempt to publish failed."""
        return self._down_since is not None

    async def __call__(self, fixes: Sequence[StoredFix]) -> None:
        """Publish a committed batch; never raises."""
        try:
            await self.publish(fixes)
        except Exception:
            log.exception("live publishing failed for a batch of %d fixes", len(fixes))

    async def publish(self, fixes: Sequence[StoredFix]) -> int:
        """Publish each trusted fix once per waybill it belongs to; the number of messages sent."""
        wanted = [sf for sf in fixes if sf.legs and not (sf.flags & UNTRUSTED)]
        if not wanted:
            return 0
        messages = [
            (channel(ref.waybill_id), m.to_json())
            for sf in wanted
            for ref, m in zip(sf.legs, await self._messages(sf), strict=True)
        ]
        now = time.monotonic()
        if now < self._paused_until:
            self.dropped += len(messages)
            return 0
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for ch, body in messages:
                        pipe.publish(ch, body)
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            self.dropped += len(messages)
            if self._down_since is None:
                self._down_since = now
                log.warning("Redis unavailable, live pushes are dropped until it returns: %r", exc)
            # back off so that a dead Redis costs one failed attempt per pause, not one per batch
            self._paused_until = time.monotonic() + self._pause
            self._pause = min(self._pause * 2, self.max_retry_after_s)
            return 0
        if self._down_since is not None:
            log.warning(
                "Redis is back after %.1f s; %d live pushes were dropped in all",
                now - self._down_since,
                self.dropped,
            )
            self._down_since = None
        self._pause = self.retry_after_s
        self.published += len(messages)
        return len(messages)

    async def _messages(self, sf: StoredFix) -> list[LiveFix]:
        vehicle = await self._vehicle(sf.vehicle_id)
        fix = sf.fix
        return [
            LiveFix(
                waybill=ref.waybill_number,
                leg_seq=ref.leg_seq,
                mode=ref.mode,
                device=sf.device_identifier,
                vehicle=vehicle,
                fix_time=utc_iso(fix.fix_time),
                lat=fix.lat,
                lon=fix.lon,
                speed_kmh=fix.speed_kmh,
                course_deg=fix.course_deg,
            )
            for ref in sf.legs
        ]

    async def _vehicle(self, vehicle_id: uuid.UUID | None) -> str | None:
        if vehicle_id is None:
            return None
        known = self._vehicles.get(vehicle_id)
        if known is not None:
            return known
        reference = str(vehicle_id)
        if self._sessionmaker is not None:
            try:
                async with self._sessionmaker() as session:
                    found = await session.scalar(select(Vehicle.reference).where(Vehicle.id == vehicle_id))
                reference = found or reference
            except Exception as exc:  # the push is worth more than the plate: send the id
                log.warning("vehicle %s not looked up: %r", vehicle_id, exc)
                return reference
        if len(self._vehicles) > 50_000:
            self._vehicles.clear()
        self._vehicles[vehicle_id] = reference
        return reference


# ---- subscribing ----


class Subscription:
    """One client's view of a channel: the newest undelivered fix per vehicle, bounded in size."""

    def __init__(self, channel_name: str, *, max_vehicles: int = 1_000) -> None:
        self.channel = channel_name
        self.max_vehicles = max_vehicles
        self._pending: dict[str, LiveFix] = {}
        self._delivered: dict[str, str] = {}
        self._ready = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self.received = 0
        self.coalesced = 0
        self.evicted = 0
        self.resync = False

    def offer(self, fix: LiveFix) -> None:
        """Take a fix from the hub without ever waiting: it replaces an older pending fix of its vehicle."""
        self.received += 1
        key = fix.key
        if fix.fix_time <= self._delivered.get(key, ""):
            return  # older than what the client has already seen (a late, blind-area fix)
        pending = self._pending.get(key)
        if pending is not None:
            if fix.fix_time <= pending.fix_time:
                return
            self.coalesced += 1
        elif len(self._pending) >= self.max_vehicles:
            self._pending.pop(next(iter(self._pending)))
            self.evicted += 1
        self._pending[key] = fix
        self._ready.set()

    def mark_resync(self) -> None:
        """Tell the client that messages may have been missed (the hub lost Redis for a while)."""
        self.resync = True
        self._ready.set()

    def pending(self) -> int:
        """How many vehicles have a fix waiting."""
        return len(self._pending)

    def drain(self) -> list[LiveFix]:
        """The waiting fixes, oldest vehicle update first, now counted as delivered."""
        out = list(self._pending.values())
        self._pending.clear()
        self._ready.clear()
        for fix in out:
            self._delivered[fix.key] = fix.fix_time
        if len(self._delivered) > self.max_vehicles * 4:
            self._delivered.clear()
        return out

    async def next(self, wait_s: float | None = None) -> list[LiveFix]:
        """Wait until something is waiting (at most about wait_s: then maybe an empty list), take it all.

        It may return empty before wait_s is up; callers loop and look at the time themselves.
        """
        if not self._pending and not self.resync:
            if wait_s is not None:
                self._wake_by(wait_s)
            await self._ready.wait()
        return self.drain()

    def _wake_by(self, wait_s: float) -> None:
        # One wake-up timer kept across calls: a timer due no later than asked will do (an early wake
        # returns nothing), so a stream busy with messages schedules no timer per message. With a
        # thousand subscribers, a timer per wait was a large part of each message's fan-out.
        loop = asyncio.get_running_loop()
        now = loop.time()
        due = now + max(wait_s, 0.0)
        timer = self._timer
        if timer is not None and not timer.cancelled() and now < timer.when() <= due:
            return
        if timer is not None:
            timer.cancel()
        self._timer = loop.call_at(due, self._ready.set)

    def close(self) -> None:
        """Stop the wake-up timer (the subscription has ended)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class LiveHub:
    """One Redis pub/sub connection per process, shared by every local subscriber of every waybill."""

    def __init__(self, redis: Redis, *, max_vehicles: int = 1_000, reconnect_after_s: float = 0.5) -> None:
        self.redis = redis
        self.max_vehicles = max_vehicles
        self.reconnect_after_s = reconnect_after_s
        self._subs: dict[str, set[Subscription]] = {}
        self._confirmed: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._changes: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._lost = False
        self.messages = 0
        self.reconnects = 0
        self.resubscribed = 0

    @property
    def channels(self) -> int:
        """How many channels have local subscribers."""
        return len(self._subs)

    @asynccontextmanager
    async def subscribe(
        self, channel_name: str, *, confirm_timeout: float = 5.0
    ) -> AsyncIterator[Subscription]:
        """A subscription to a channel for the life of the block; waits until Redis confirmed it if it can."""
        sub = Subscription(channel_name, max_vehicles=self.max_vehicles)
        subs = self._subs.setdefault(channel_name, set())
        subs.add(sub)
        waiter: asyncio.Future[None] | None = None
        if channel_name not in self._confirmed:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(channel_name, []).append(waiter)
            if len(subs) == 1:
                self._changes.put_nowait(("subscribe", channel_name))
        self._ensure_running()
        try:
            if waiter is not None:
                # Redis down: the client still gets the latest positions and everything after Redis returns
                with suppress(TimeoutError):
                    async with asyncio.timeout(confirm_timeout):
                        await asyncio.shield(waiter)
            yield sub
        finally:
            sub.close()
            subs.discard(sub)
            if not subs:
                self._subs.pop(channel_name, None)
                self._waiters.pop(channel_name, None)
                self._changes.put_nowait(("unsubscribe", channel_name))

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="live-hub")

    async def close(self) -> None:
        """Stop reading Redis (subscribers get nothing more)."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            if not self._subs:
                # no await between this check and the return: a newcomer either sees us running or not
                while not self._changes.empty():
                    self._changes.get_nowait()
                return  # the connection goes back until the next subscriber comes
            pubsub: PubSub = self.redis.pubsub()
            try:
                # a fresh connection subscribes to everything that has listeners, queued or not
                self._confirmed.clear()
                while not self._changes.empty():
                    self._changes.get_nowait()
                await pubsub.subscribe(*self._subs)
                if self._lost:
                    # fixes published while Redis was away are gone: clients re-read the latest positions
                    self._lost = False
                    for subs in self._subs.values():
                        for sub in subs:
                            sub.mark_resync()
                while self._subs:
                    await self._apply_changes(pubsub)
                    message = await pubsub.get_message(timeout=0.05)
                    if message is not None:
                        self._handle(message)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                self.reconnects += 1
                if not self._lost:
                    log.warning(
                        "live hub lost Redis (%r); reconnecting every %.1f s", exc, self.reconnect_after_s
                    )
                self._lost = True
                await asyncio.sleep(self.reconnect_after_s)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()

    async def _apply_changes(self, pubsub: PubSub) -> None:
        while not self._changes.empty():
            action, name = self._changes.get_nowait()
            if action == "subscribe" and name in self._subs and name not in self._confirmed:
                await pubsub.subscribe(name)
            elif action == "unsubscribe" and name not in self._subs:
                self._confirmed.discard(name)
                await pubsub.unsubscribe(name)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        name = message.get("channel")
        if isinstance(name, bytes):
            name = name.decode()
        if not isinstance(name, str):
            return
        if kind == "subscribe":
            if name in self._confirmed:
                # the client library reconnected and re-subscribed by itself: whatever was published
                # meanwhile is lost, so the channel's clients re-read the latest positions
                self.resubscribed += 1
                for sub in self._subs.get(name, ()):
                    sub.mark_resync()
            self._confirmed.add(name)
            for waiter in self._waiters.pop(name, []):
                if not waiter.done():
                    waiter.set_result(None)
            return
        if kind != "message":
            return
        data = message.get("data")
        fix = LiveFix.from_json(data.decode() if isinstance(data, bytes) else str(data))
        if fix is None:
            return
        self.messages += 1
        for sub in tuple(self._subs.get(name, ())):
            sub.offer(fix)


# ---- what a new subscriber sees first ----


async def latest_for(session: AsyncSession, waybill_id: uuid.UUID) -> list[LiveFix]:
    """The latest position of each vehicle now carrying a leg of the waybill with this id."""
    waybill = await session.scalar(
        select(Waybill).where(Waybill.id == waybill_id).options(selectinload(Waybill.legs))
    )
    return await latest_fixes(session, waybill) if waybill is not None else []


async def latest_fixes(session: AsyncSession, waybill: Waybill) -> list[LiveFix]:
    """The latest position of each vehicle now carrying a leg of the waybill (assigned, or by MMSI/plate)."""
    legs = [leg for leg in waybill.legs if leg.status is not LegStatus.ARRIVED]
    if not legs:
        legs = list(waybill.legs[-1:])
    now = utcnow()
    by_leg: dict[uuid.UUID, Leg] = {leg.id: leg for leg in legs}
    carriers: dict[uuid.UUID, Leg] = {}
    rows = await session.execute(
        select(LegAssignment.vehicle_id, LegAssignment.leg_id).where(
            LegAssignment.leg_id.in_(by_leg),
            LegAssignment.valid_from <= now,
            or_(LegAssignment.valid_to.is_(None), LegAssignment.valid_to > now),
        )
    )
    for vehicle_id, leg_id in rows:
        carriers.setdefault(vehicle_id, by_leg[leg_id])
    named = [
        (VehicleKind.VESSEL if leg.mode is Mode.VESSEL else VehicleKind.BARGE, leg.mmsi, leg)
        for leg in legs
        if leg.mmsi and leg.mode in (Mode.VESSEL, Mode.BARGE)
    ] + [
        (VehicleKind.TRUCK, leg.truck_plate, leg)
        for leg in legs
        if leg.truck_plate and leg.mode is Mode.TRUCK
    ]
    for kind, reference, leg in named:
        found = await session.scalar(
            select(Vehicle.id).where(Vehicle.kind == kind, Vehicle.reference == reference)
        )
        if found is not None:
            carriers.setdefault(found, leg)
    if not carriers:
        return []
    rows2 = await session.execute(
        select(DeviceBinding.vehicle_id, Vehicle.reference, Device.identifier, LatestPosition)
        .join(Vehicle, Vehicle.id == DeviceBinding.vehicle_id)
        .join(Device, Device.id == DeviceBinding.device_id)
        .join(LatestPosition, LatestPosition.device_id == DeviceBinding.device_id)
        .where(
            DeviceBinding.vehicle_id.in_(carriers),
            DeviceBinding.valid_from <= now,
            or_(DeviceBinding.valid_to.is_(None), DeviceBinding.valid_to > now),
        )
        .order_by(LatestPosition.fix_time)
    )
    newest: dict[uuid.UUID, LiveFix] = {}
    for vehicle_id, reference, identifier, lp in rows2:
        leg = carriers[vehicle_id]
        newest[vehicle_id] = LiveFix(
            waybill=waybill.number,
            leg_seq=leg.seq,
            mode=leg.mode.value,
            device=identifier,
            vehicle=reference,
            fix_time=utc_iso(lp.fix_time),
            lat=lp.lat,
            lon=lp.lon,
            speed_kmh=lp.speed_kmh,
            course_deg=lp.course_deg,
        )
    return sorted(newest.values(), key=lambda f: f.fix_time)


def sse_event(fix: LiveFix) -> str:
    """One Server-Sent Events frame for a fix."""
    return f"event: position\ndata: {fix.to_json()}\n\n"


def sse_end(end: StreamEnded) -> str:
    """The last frame of a stream that may not go on: `event: reauthenticate` with {code, detail}."""
    return f"event: reauthenticate\ndata: {json.dumps(end.as_dict(), separators=(',', ':'))}\n\n"


# a timer may fire a hair early: a keep-alive this close to due is sent rather than waited for again
_KEEPALIVE_SLACK_S = 0.01


async def sse_stream(
    sub: Subscription,
    initial: Sequence[LiveFix],
    *,
    keepalive_s: float = 15.0,
    refresh: Callable[[], Awaitable[Sequence[LiveFix]]] | None = None,
    guard: StreamGuard | None = None,
) -> AsyncIterator[str]:
    """The SSE body: latest positions, then live ones as they come, with keep-alive comments when idle;
    with a guard, a final `reauthenticate` frame once the caller may no longer listen."""
    yield "retry: 3000\n\n"
    for fix in initial:
        sub.offer(fix)
    for fix in sub.drain():
        yield sse_event(fix)
    yield ": live\n\n"
    keepalive_at = time.monotonic() + keepalive_s
    while True:
        wait = keepalive_at - time.monotonic()
        if guard is not None:
            wait = min(wait, guard.wait_s())
        batch = await sub.next(max(wait, 0.0))
        if guard is not None:
            try:
                # before anything more is sent: what arrived meanwhile is no longer the caller's to see
                await guard.check()
            except StreamEnded as end:
                yield sse_end(end)
                return
        if sub.resync and refresh is not None:
            sub.resync = False
            # the hub lost Redis: whatever was missed is at least in the latest positions
            for fix in await refresh():
                sub.offer(fix)
            batch = [*batch, *sub.drain()]
        sub.resync = False
        if not batch:
            if time.monotonic() >= keepalive_at - _KEEPALIVE_SLACK_S:
                keepalive_at = time.monotonic() + keepalive_s
                yield ": keep-alive\n\n"
            continue
        keepalive_at = time.monotonic() + keepalive_s
        for fix in batch:
            yield sse_event(fix)
