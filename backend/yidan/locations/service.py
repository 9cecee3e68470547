"""Looking up places, terminals and gates; reference data shared by every tenant."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.errors import NotFound
from yidan.locations.models import Gate, Location, Terminal


async def search_locations(
    session: AsyncSession,
    *,
    q: str | None = None,
    country: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> list[Location]:
    """Places whose code or English/Chinese name matches q."""
    query = select(Location).order_by(Location.unlocode).limit(limit)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(
            or_(Location.unlocode.ilike(like), Location.name.ilike(like), Location.name_zh.ilike(like))
        )
    if country:
        query = query.where(Location.country == country.upper())
    if kind:
        query = query.where(Location.kind == kind)
    return list(await session.scalars(query))


async def get_location(session: AsyncSession, unlocode: str) -> Location:
    """One place by UN/LOCODE."""
    loc = await session.get(Location, unlocode.upper())
    if loc is None:
        raise NotFound(f"no place with UN/LOCODE {unlocode}")
    return loc


async def locations_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, Location]:
    """The places among codes that exist, keyed by UN/LOCODE."""
    wanted = {c.upper() for c in codes if c}
    if not wanted:
        return {}
    return {
        loc.unlocode: loc
        for loc in await session.scalars(select(Location).where(Location.unlocode.in_(wanted)))
    }


async def terminals_by_code(session: AsyncSession, codes: Iterable[str]) -> dict[str, Terminal]:
    """The terminals among codes that exist, keyed by code."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {t.code: t for t in await session.scalars(select(Terminal).where(Terminal.code.in_(wanted)))}


async def list_terminals(session: AsyncSession, *, unlocode: str | None = None) -> list[Terminal]:
    """Terminals, optionally at one place."""
    query = select(Terminal).order_by(Terminal.code)
    if unlocode:
        query = query.where(Terminal.unlocode == unlocode.upper())
    return list(await session.scalars(query))


async def list_gates(session: AsyncSession, *, terminal_code: str | None = None) -> list[Gate]:
    """Gates, optionally of one terminal."""
    query = select(Gate).order_by(Gate.code)
    if terminal_code:
        query = query.where(Gate.terminal_code == terminal_code)
    return list(await session.scalars(query))
