"""Per-request DataLoaders: nested lists and references cost one query per batch, whatever the page size."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from yidan.identity.models import Organisation
from yidan.locations import service as locations
from yidan.locations.models import Location
from yidan.waybills import service as waybills
from yidan.waybills.models import CargoLine, Equipment, Event, Leg, Party, Waybill

T = TypeVar("T")


class Loaders:
    """The DataLoaders of one request, keyed by waybill id, UN/LOCODE or organisation id."""

    def __init__(self, session: AsyncSession, lock: asyncio.Lock) -> None:
        self._session = session
        self._lock = lock
        self.legs: DataLoader[uuid.UUID, list[Leg]] = DataLoader(load_fn=self._legs)
        self.parties: DataLoader[uuid.UUID, list[Party]] = DataLoader(load_fn=self._parties)
        self.cargo_lines: DataLoader[uuid.UUID, list[CargoLine]] = DataLoader(load_fn=self._cargo_lines)
        self.equipment: DataLoader[uuid.UUID, list[Equipment]] = DataLoader(load_fn=self._equipment)
        self.events: DataLoader[uuid.UUID, list[Event]] = DataLoader(load_fn=self._events)
        self.locations: DataLoader[str, Location | None] = DataLoader(load_fn=self._locations)
        self.organisations: DataLoader[uuid.UUID, Organisation | None] = DataLoader(
            load_fn=self._organisations
        )

    def adopt(self, waybill: Waybill) -> None:
        """Seed the loaders with the collections a service already loaded, replacing what they held."""
        unloaded = inspect(waybill).unloaded
        collections: tuple[tuple[str, DataLoader[uuid.UUID, Any]], ...] = (
            ("legs", self.legs),
            ("parties", self.parties),
            ("cargo_lines", self.cargo_lines),
            ("equipment", self.equipment),
        )
        for name, loader in collections:
            if name not in unloaded:
                loader.prime(waybill.id, list(getattr(waybill, name)), force=True)

    def forget(self, waybill_id: uuid.UUID) -> None:
        """Drop what is cached about a waybill after a command changed it."""
        for loader in (self.legs, self.parties, self.cargo_lines, self.equipment, self.events):
            # DataLoader.clear raises KeyError for a key it never cached
            with contextlib.suppress(KeyError):
                loader.clear(waybill_id)

    async def _grouped(
        self, query: Select[T], keys: Sequence[uuid.UUID], key_of: Callable[[T], uuid.UUID]
    ) -> list[list[T]]:
        async with self._lock:
            rows = list(await self._session.scalars(query))
        grouped: dict[uuid.UUID, list[T]] = {k: [] for k in keys}
        for row in rows:
            grouped[key_of(row)].append(row)
        return [grouped[k] for k in keys]

    async def _legs(self, keys: list[uuid.UUID]) -> list[list[Leg]]:
        query = select(Leg).where(Leg.waybill_id.in_(keys)).order_by(Leg.waybill_id, Leg.seq)
        return await self._grouped(query, keys, lambda r: r.waybill_id)

    async def _parties(self, keys: list[uuid.UUID]) -> list[list[Party]]:
        query = select(Party).where(Party.waybill_id.in_(keys)).order_by(Party.waybill_id, Party.role)
        return await self._grouped(query, keys, lambda r: r.waybill_id)

    async def _cargo_lines(self, keys: list[uuid.UUID]) -> list[list[CargoLine]]:
        query = (
            select(CargoLine)
            .where(CargoLine.waybill_id.in_(keys))
            .order_by(CargoLine.waybill_id, CargoLine.seq)
        )
        return await self._grouped(query, keys, lambda r: r.waybill_id)

    async def _equipment(self, keys: list[uuid.UUID]) -> list[list[Equipment]]:
        query = (
            select(Equipment)
            .where(Equipment.waybill_id.in_(keys))
            .order_by(Equipment.waybill_id, Equipment.container_number)
        )
        return await self._grouped(query, keys, lambda r: r.waybill_id)

    async def _events(self, keys: list[uuid.UUID]) -> list[list[Event]]:
        async with self._lock:
            timelines = await waybills.events_for(self._session, keys)
        return [timelines[k] for k in keys]

    async def _locations(self, keys: list[str]) -> list[Location | None]:
        async with self._lock:
            found = await locations.locations_by_code(self._session, keys)
        return [found.get(k.upper()) for k in keys]

    async def _organisations(self, keys: list[uuid.UUID]) -> list[Organisation | None]:
        async with self._lock:
            rows = await self._session.scalars(select(Organisation).where(Organisation.id.in_(keys)))
            found = {o.id: o for o in rows}
        return [found.get(k) for k in keys]
