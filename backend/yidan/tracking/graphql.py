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
from yidan.graphql.permissions import unauthenticated
from yidan.tracking.listeners import live_hub
from yidan.tracking.live import LiveFix, Subscription, channel, latest_for
from yidan.tracking.live_auth import Credentials, StreamEnded, StreamGuard, recheck_interval
from yidan.waybills.graphql import Mode

log = logging.getLogger("yidan.tracking.graphql")

# how long a quiet subscription waits before it looks again (and the guard may wake it sooner)
WAKE_S = 15.0
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


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization must be 'Bearer <access token>'", code="invalid_token")
    return token.strip()


def presented_credentials(info: Info) -> Credentials | None:
    """What the subscriber sent: the connection_init payload wins over the websocket handshake's headers;
    None for a handshake without credentials."""
    ctx = info.context
    request = ctx.request
    if request is None:
        raise unauthenticated()
    ip = request.client.host if request.client else None
    agent = request.headers.get("user-agent")
    authorization = _param(ctx.connection_params, "authorization")
    api_key = _param(ctx.connection_params, "x-api-key")
    if not authorization and not api_key:
        # the handshake's headers, read as the request's context read them
        authorization = request.headers.get("authorization")
        if authorization and authorization.partition(" ")[0].lower() != "bearer":
            authorization = None
        api_key = request.headers.get("x-api-key")
        if not authorization and not api_key:
            return None
    try:
        if authorization:
            return Credentials(bearer=_bearer(authorization), ip=ip, user_agent=agent)
    except Unauthorized as exc:
        raise unauthenticated(exc.detail, exc.code) from exc
    return Credentials(api_key=api_key, ip=ip, user_agent=agent)


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(
        description=(
            "Live positions of the vehicles carrying a waybill you may see: the latest of each vehicle "
            "first, then each new fix; a slow client gets the newest fix per vehicle.\n\n"
            "The subscription stays authorised while it runs: it ends when the Bearer access token of the "
            "connection expires, and the caller and the waybill are checked again every minute. It then "
            "ends with an error (a last `next` message with `errors`, then `complete`) whose "
            "`extensions.code` is `token_expired` (refresh the token, open a new connection whose "
            "connection_init carries the new one, and subscribe again), `key_revoked` (the API key was "
            "revoked), `not_authorised` (the user was deactivated or removed) or `not_found` (the waybill "
            "is no longer visible to you). Credentials refused when subscribing give `UNAUTHENTICATED`, "
            "with the reason (e.g. `token_expired`) in `extensions.reason`."
        )
    )
    async def waybill_tracking(self, info: Info, number: str) -> AsyncGenerator[TrackingFixType, None]:
        """Stream a waybill's positions while the caller may see them."""
        # the schema's error extensions wrap single results, not streams: map errors here, the same way
        try:
            # aclosing: when the client goes, the inner generator (and its subscription) ends with this one
            async with aclosing(_track(info, number)) as stream:
                async for fix in stream:
                    yield fix
        except GraphQLError:
            raise
        except StreamEnded as end:
            raise GraphQLError(end.detail, extensions={"code": end.code}) from end
        except DomainError as exc:
            raise GraphQLError(exc.detail, extensions={"code": exc.code}) from exc
        except Exception as exc:
            log.exception("waybillTracking(%s) failed", number)
            raise GraphQLError(INTERNAL_MESSAGE, extensions={"code": INTERNAL_CODE}) from exc


async def _open(info: Info, number: str) -> StreamGuard:
    ctx = info.context
    credentials = presented_credentials(info)
    if credentials is None:
        raise unauthenticated()
    request = ctx.request
    assert request is not None
    app = request.app
    try:
        # a short session of our own: the connection's session is not held while the subscription lives
        async with app.state.sessionmaker() as session:
            guard = await StreamGuard.open(
                session,
                app.state.sessionmaker,
                app.state.token_config,
                credentials,
                number,
                recheck_s=recheck_interval(app),
            )
    except Unauthorized as exc:
        raise unauthenticated(exc.detail, exc.code) from exc
    return guard


async def _track(info: Info, number: str) -> AsyncGenerator[TrackingFixType, None]:
    ctx = info.context
    if ctx.request is None:
        raise GraphQLError("subscriptions need a websocket connection")
    guard = await _open(info, number)
    waybill_id = guard.waybill_id
    hub = live_hub(ctx.request.app)
    async with hub.subscribe(channel(waybill_id)) as sub:
        # subscribed before reading the latest positions, so no fix falls between the two
        await _offer_latest(info, waybill_id, sub)
        while True:
            fixes = await sub.next(min(WAKE_S, guard.wait_s()))
            # before anything more is sent: what arrived meanwhile is no longer the caller's to see
            await guard.check()
            for fix in fixes:
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
