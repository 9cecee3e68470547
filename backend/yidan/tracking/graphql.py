"""GraphQL subscription to a waybill's live positions (graphql-transport-ws)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from yidan.core.errors import DomainError, Unauthorized
from yidan.graphql.context import Info
from yidan.graphql.permissions import require_principal, unauthenticated
from yidan.identity import service as identity
from yidan.identity.principal import Principal
from yidan.tracking.listeners import live_hub
from yidan.tracking.live import LiveFix, Subscription, channel, latest_for, visible_waybill_id
from yidan.waybills.graphql import Mode

log = logging.getLogger("yidan.tracking.graphql")

KEEPALIVE_S = 15.0
INTERNAL_MESSAGE = "Internal server error"
INTERNAL_CODE = "internal_error"


@strawberry.type(name="TrackingFix", description="A live position of a vehicle carrying a leg of a waybill.")
class TrackingFixType:
    waybill_number: str = strawberry.field(description="the waybill")
    leg_seq: int = strawberry.field(description="the leg the vehicle carries")
    mode: Mode
    device: str = strawberry.field(description="terminal phone number, MMSI or app device id")
    vehicle: str | None = strawberry.field(description="plate, MMSI or train number")
    fix_time: datetime = strawberry.field(description="when the fix was taken (UTC)")
    lat: float
    lon: float
    speed_kmh: float | None
    course_deg: float | None

    @classmethod
    def from_live(cls, fix: LiveFix) -> TrackingFixType:
        """The GraphQL view of a live fix."""
        return cls(
            waybill_number=fix.waybill,
            leg_seq=fix.leg_seq,
            mode=Mode(fix.mode),
            device=fix.device,
            vehicle=fix.vehicle,
            fix_time=datetime.fromisoformat(fix.fix_time.replace("Z", "+00:00")),
            lat=fix.lat,
            lon=fix.lon,
            speed_kmh=fix.speed_kmh,
            course_deg=fix.course_deg,
        )


def _param(params: Any, name: str) -> str | None:
    if not isinstance(params, dict):
        return None
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == name and isinstance(value, str):
            return value
    return None


async def subscriber(info: Info) -> Principal:
    """The caller: credentials in the connection_init payload win over those of the websocket handshake."""
    ctx = info.context
    authorization = _param(ctx.connection_params, "authorization")
    api_key = _param(ctx.connection_params, "x-api-key")
    if not authorization and not api_key:
        return require_principal(info)
    request = ctx.request
    if request is None:
        raise unauthenticated()
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    try:
        async with ctx.db() as session:
            if authorization:
                scheme, _, token = authorization.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise Unauthorized("Authorization must be 'Bearer <access token>'", code="invalid_token")
                cfg = request.app.state.token_config
                return await identity.principal_from_token(
                    session, cfg, token.strip(), ip=ip, user_agent=agent
                )
            assert api_key is not None
            return await identity.principal_from_api_key(session, api_key, ip=ip, user_agent=agent)
    except Unauthorized as exc:
        raise unauthenticated(exc.detail, exc.code) from exc


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(
        description=(
            "Live positions of the vehicles carrying a waybill you may see: the latest of each vehicle "
            "first, then each new fix; a slow client gets the newest fix per vehicle."
        )
    )
    async def waybill_tracking(self, info: Info, number: str) -> AsyncGenerator[TrackingFixType, None]:
        """Stream a waybill's positions."""
        # the schema's error extensions wrap single results, not streams: map errors here, the same way
        try:
            # aclosing: when the client goes, the inner generator (and its subscription) ends with this one
            async with aclosing(_track(info, number)) as stream:
                async for fix in stream:
                    yield fix
        except GraphQLError:
            raise
        except DomainError as exc:
            raise GraphQLError(exc.detail, extensions={"code": exc.code}) from exc
        except Exception as exc:
            log.exception("waybillTracking(%s) failed", number)
            raise GraphQLError(INTERNAL_MESSAGE, extensions={"code": INTERNAL_CODE}) from exc


async def _track(info: Info, number: str) -> AsyncGenerator[TrackingFixType, None]:
    principal = await subscriber(info)
    ctx = info.context
    if ctx.request is None:
        raise GraphQLError("subscriptions need a websocket connection")
    async with ctx.db() as session:
        try:
            waybill_id = await visible_waybill_id(session, principal, number)
        finally:
            # end the read transaction: a subscription must not hold a pooled connection while it lives
            await session.rollback()
    hub = live_hub(ctx.request.app)
    async with hub.subscribe(channel(waybill_id)) as sub:
        # subscribed before reading the latest positions, so no fix falls between the two
        await _offer_latest(info, waybill_id, sub)
        while True:
            for fix in await sub.next(KEEPALIVE_S):
                yield TrackingFixType.from_live(fix)
            if sub.resync:
                sub.resync = False
                await _offer_latest(info, waybill_id, sub)


async def _offer_latest(info: Info, waybill_id: uuid.UUID, sub: Subscription) -> None:
    async with info.context.db() as session:
        try:
            fixes = await latest_for(session, waybill_id)
        finally:
            await session.rollback()
    for fix in fixes:
        sub.offer(fix)
