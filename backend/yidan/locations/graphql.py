"""GraphQL types and queries for UN/LOCODE places."""

from __future__ import annotations

import strawberry

from yidan.core.errors import NotFound, field_error
from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal
from yidan.locations import service
from yidan.locations.models import Location

MAX_LOCATIONS = 200


@strawberry.type(name="Location", description="A UN/LOCODE place: port, rail hub, inland depot or city.")
class LocationType:
    unlocode: str
    name: str
    name_zh: str | None = None
    country: str | None = None
    kind: str | None = None
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def from_model(cls, loc: Location) -> LocationType:
        """The GraphQL view of a place."""
        return cls(
            unlocode=loc.unlocode,
            name=loc.name,
            name_zh=loc.name_zh,
            country=loc.country,
            kind=loc.kind,
            lat=loc.lat,
            lon=loc.lon,
        )

    @classmethod
    def of(cls, code: str, loc: Location | None) -> LocationType:
        """A place, or a bare code when the place is not in the reference data."""
        return cls.from_model(loc) if loc is not None else cls(unlocode=code, name=code)


@strawberry.type
class LocationsQuery:
    """Location queries."""

    @strawberry.field(description="Places whose code or English or Chinese name matches q.")
    async def locations(
        self, info: Info, q: str | None = None, country: str | None = None, limit: int = 50
    ) -> list[LocationType]:
        """Search places."""
        require_principal(info)
        if not 1 <= limit <= MAX_LOCATIONS:
            raise field_error("limit", f"must be between 1 and {MAX_LOCATIONS}")
        if q is not None and len(q) > 60:
            raise field_error("q", "at most 60 characters")
        if country is not None and len(country) != 2:
            raise field_error("country", "an ISO 3166 alpha-2 code")
        async with info.context.db() as session:
            rows = await service.search_locations(session, q=q, country=country, limit=limit)
        return [LocationType.from_model(r) for r in rows]

    @strawberry.field(description="One place by UN/LOCODE; null when there is none.")
    async def location(self, info: Info, unlocode: str) -> LocationType | None:
        """A place."""
        require_principal(info)
        try:
            async with info.context.db() as session:
                return LocationType.from_model(await service.get_location(session, unlocode))
        except NotFound:
            return None
