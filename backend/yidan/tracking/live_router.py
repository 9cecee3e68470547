"""REST routes for a waybill's live positions (Server-Sent Events) and its track (GeoJSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from yidan.core.db import SessionDep
from yidan.identity.deps import PrincipalDep, api_key_header, bearer, client_ip, token_config
from yidan.tracking import tracks
from yidan.tracking.listeners import live_hub
from yidan.tracking.live import LiveFix, channel, latest_for, sse_stream
from yidan.tracking.live_auth import Credentials, StreamGuard, recheck_interval

router = APIRouter(prefix="/api/v1", tags=["tracking"])

KEEPALIVE_S = 15.0


class TrackGeometry(BaseModel):
    """A GeoJSON LineString (two or more positions) or Point (one), positions as [lon, lat]."""

    type: Literal["LineString", "Point"]
    coordinates: list[list[float]] | list[float]


class TrackProperties(BaseModel):
    """What a feature is: a leg's track (kind `track`) or the planned route (kind `planned_route`)."""

    kind: Literal["track", "planned_route"]
    leg_seq: int | None = None
    mode: str | None = None
    status: str
    vehicles: list[str] = Field(default_factory=list, description="vehicles whose fixes make up the track")
    devices: list[str] = Field(default_factory=list)
    points: int | None = Field(default=None, description="stored fixes on the leg in the time range")
    simplified_points: int | None = Field(default=None, description="positions kept at this zoom")
    first_fix: str | None = None
    last_fix: str | None = None
    places: list[str] | None = Field(default=None, description="UN/LOCODEs along the planned route")


class TrackFeature(BaseModel):
    """One leg's track or the planned route; geometry null when a leg has no fixes yet."""

    type: Literal["Feature"]
    geometry: TrackGeometry | None
    properties: TrackProperties


class TrackCollection(BaseModel):
    """A GeoJSON FeatureCollection of a waybill's tracks per leg and its planned route."""

    type: Literal["FeatureCollection"]
    waybill: str
    zoom: int | None
    features: list[TrackFeature]


class EventStreamResponse(StreamingResponse):
    """A text/event-stream response that always closes its body generator, however the stream ends."""

    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the body, then close its generator."""
        # a client dropped while a send was blocked leaves the generator suspended at a yield, where the
        # cancellation never reaches it: without aclose its subscription would live until garbage collection
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self.body_iterator, "aclose", None)
            if aclose is not None:
                with suppress(Exception):
                    await aclose()


def _utc(t: datetime | None) -> datetime | None:
    # a time without an offset is taken as UTC, as everywhere in the API
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


@router.get(
    "/waybills/{number}/track",
    response_model=TrackCollection,
    summary="Track of a waybill (GeoJSON)",
    responses={404: {"description": "no such waybill, or not yours"}},
)
async def waybill_track(
    session: SessionDep,
    principal: PrincipalDep,
    number: str,
    from_: Annotated[datetime | None, Query(alias="from", description="only fixes at or after")] = None,
    to: Annotated[datetime | None, Query(description="only fixes before")] = None,
    zoom: Annotated[int | None, Query(ge=0, le=22, description="map zoom; simplifies to one pixel")] = None,
) -> dict[str, Any]:
    """Positions per leg, simplified for the map zoom, and the planned route from the legs' places."""
    return await tracks.waybill_track(session, principal, number, start=_utc(from_), end=_utc(to), zoom=zoom)


@router.get(
    "/waybills/{number}/live",
    summary="Live positions (Server-Sent Events)",
    response_class=EventStreamResponse,
    responses={
        200: {
            "description": (
                "`event: position` frames whose data is a JSON fix (waybill, leg_seq, mode, device, "
                "vehicle, fix_time, lat, lon, speed_kmh, course_deg): the latest position of each vehicle "
                "first, then each new one; a slow client gets the newest per vehicle. Idle streams carry "
                "keep-alive comments.\n\n"
                "The stream stays authorised while it is open: it ends when the Bearer access token that "
                "opened it expires, and the caller and the waybill are checked again every minute. A stream "
                "that may not go on ends with a last `event: reauthenticate` frame whose data is "
                '`{"code": …, "detail": …}`, then the server closes it. `code` is `token_expired` (refresh '
                "the token with POST /api/v1/auth/refresh and reconnect with the new one), `key_revoked` "
                "(the API key was revoked), `not_authorised` (the user was deactivated or removed) or "
                "`not_found` (the waybill is no longer visible to you); only `token_expired` is cured by "
                "reconnecting with a fresh token."
            ),
            "content": {"text/event-stream": {}},
        },
        404: {"description": "no such waybill, or not yours"},
    },
)
async def waybill_live(
    request: Request,
    number: str,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> EventStreamResponse:
    """Stream the waybill's vehicle positions as they are stored, while the caller may see them."""
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    token = credentials.credentials if credentials is not None and credentials.credentials else None
    presented = Credentials(
        bearer=token,
        api_key=None if token else api_key,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    # a session of our own, closed before streaming: a stream must not hold a pooled connection for hours
    async with maker() as session:
        guard = await StreamGuard.open(
            session,
            maker,
            token_config(request),
            presented,
            number,
            recheck_s=recheck_interval(request.app),
        )
    waybill_id = guard.waybill_id
    hub = live_hub(request.app)
    keepalive = float(getattr(request.app.state, "live_keepalive_s", KEEPALIVE_S))

    async def refresh() -> Sequence[LiveFix]:
        async with maker() as session:
            return await latest_for(session, waybill_id)

    async def body() -> AsyncIterator[str]:
        async with hub.subscribe(channel(waybill_id)) as sub:
            # subscribed before reading the latest positions, so no fix falls between the two
            initial = await refresh()
            async for chunk in sse_stream(sub, initial, keepalive_s=keepalive, refresh=refresh, guard=guard):
                yield chunk

    return EventStreamResponse(body(), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
