"""REST routes for places, terminals and gates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yidan.core.db import SessionDep
from yidan.identity.deps import PrincipalDep
from yidan.locations import service
from yidan.locations.schemas import GateOut, LocationOut, TerminalOut

router = APIRouter(prefix="/api/v1", tags=["locations"])


@router.get("/locations", response_model=list[LocationOut], summary="Search UN/LOCODE places")
async def locations(
    session: SessionDep,
    _: PrincipalDep,
    q: Annotated[str | None, Query(max_length=60, description="code or name, English or Chinese")] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[LocationOut]:
    """Places matching a search, for UN/LOCODE pickers."""
    rows = await service.search_locations(session, q=q, country=country, kind=kind, limit=limit)
    return [LocationOut.model_validate(r) for r in rows]


@router.get("/locations/{unlocode}", response_model=LocationOut, summary="One place")
async def location(session: SessionDep, _: PrincipalDep, unlocode: str) -> LocationOut:
    """A place by UN/LOCODE."""
    return LocationOut.model_validate(await service.get_location(session, unlocode))


@router.get("/terminals", response_model=list[TerminalOut], summary="Terminals")
async def terminals(session: SessionDep, _: PrincipalDep, unlocode: str | None = None) -> list[TerminalOut]:
    """Terminals, optionally at one place."""
    return [TerminalOut.model_validate(t) for t in await service.list_terminals(session, unlocode=unlocode)]


@router.get("/gates", response_model=list[GateOut], summary="Gates and their geofences")
async def gates(session: SessionDep, _: PrincipalDep, terminal: str | None = None) -> list[GateOut]:
    """Truck gates with their geofence polygons."""
    return [GateOut.model_validate(g) for g in await service.list_gates(session, terminal_code=terminal)]
