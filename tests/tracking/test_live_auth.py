"""Open live streams stay authorised: SSE and the GraphQL subscription end when the access token that
opened them expires, when their API key is revoked, when the user is deactivated and when the waybill is
no longer visible, over real sockets."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from tests.tracking.live_support import (
    NBCT,
    SUBSCRIPTION,
    Booked,
    assign,
    book,
    eventually,
    live_stream,
    next_position,
    sse_frames,
    stored,
    subscribe_ws,
    vehicle,
)
from websockets.asyncio.client import ClientConnection

from yidan.core.security import decode_access_token, issue_access_token
from yidan.identity.models import Organisation, User
from yidan.identity.principal import Role
from yidan.tracking.live import LivePublisher, channel
from yidan.tracking.models import VehicleKind
from yidan.waybills.models import Waybill

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


@pytest.fixture
def fast_recheck(app) -> Iterator[float]:
    """Streams re-check their caller and waybill every 0.2 s during the test."""
    app.state.live_recheck_s = 0.2
    try:
        yield 0.2
    finally:
        del app.state.live_recheck_s


def short_token(app: Any, headers: dict[str, str], ttl_s: int = 2) -> str:
    """An access token of the same user as headers' that expires in (at most) ttl_s seconds."""
    cfg = app.state.token_config
    claims = decode_access_token(cfg, headers["Authorization"].removeprefix("Bearer "))
    kept = {k: claims[k] for k in ("org", "okd", "role") if k in claims}
    token, _ = issue_access_token(replace(cfg, ttl_s=ttl_s), subject=claims["sub"], claims=kept)
    return token


def user_id(app: Any, headers: dict[str, str]) -> uuid.UUID:
    """The user whose access token headers carry."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return uuid.UUID(decode_access_token(app.state.token_config, token)["sub"])


async def carrier_api_key(client: Any, factory: Any, wb: Booked) -> tuple[str, str, dict[str, str]]:
    """An API key of the waybill's carrier: (key, key id, its partner admin's headers)."""
    async with factory.maker() as session:
        org = await session.get_one(Organisation, wb.carrier_org_id)
    admin = await factory.account(Role.PARTNER_ADMIN, org=org)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "tracking", "scopes": ["waybills:read"]}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    return r.json()["key"], r.json()["id"], admin.headers


async def until_end(frames: AsyncIterator[tuple[str, str]], wait_s: float = 5.0) -> list[tuple[str, str]]:
    """Every frame until the server closes the stream (TimeoutError if it does not within wait_s)."""
    out = []
    async with asyncio.timeout(wait_s):
        async for frame in frames:
            out.append(frame)
    return out


async def until_live(frames: AsyncIterator[tuple[str, str]]) -> None:
    """Read up to the `: live` comment (the subscription is in place)."""
    async with asyncio.timeout(5):
        async for event, data in frames:
            if event == "comment" and data == "live":
                return


def reauthenticate(frames: list[tuple[str, str]]) -> dict[str, Any]:
    """The data of the stream's last frame, which must be `reauthenticate`."""
    assert frames, "the stream ended without a frame"
    event, data = frames[-1]
    assert event == "reauthenticate", frames
    body: dict[str, Any] = json.loads(data)
    assert set(body) == {"code", "detail"}
    return body


async def ws_until_complete(ws: ClientConnection, wait_s: float = 5.0) -> list[dict[str, Any]]:
    """Messages of subscription "1" up to and including its `complete`."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(wait_s):
        while True:
            msg = json.loads(await ws.recv())
            out.append(msg)
            if msg["type"] in ("complete", "error") and msg.get("id") == "1":
                return out


def last_error_code(messages: list[dict[str, Any]]) -> str:
    """extensions.code of the error that ended a running subscription: a last `next` with errors, then
    `complete` (as the schema describes it)."""
    assert len(messages) >= 2 and messages[-1]["type"] == "complete", messages
    last = messages[-2]
    assert last["type"] == "next" and last["payload"]["data"] is None, last
    code: str = last["payload"]["errors"][0]["extensions"]["code"]
    return code


# ---- SSE ----


async def test_sse_opened_with_a_token_ends_with_reauthenticate_when_it_expires(
    client, factory, app, live_server
) -> None:
    wb = await book(client, factory)
    token = short_token(app, wb.shipper_headers, ttl_s=2)
    expires = decode_access_token(app.state.token_config, token)["exp"]
    # no re-check is due for a minute: the token's expiry alone ends the stream
    async with live_stream(live_server, wb.number, {"Authorization": f"Bearer {token}"}) as r:
        assert r.status_code == 200
        frames = await until_end(sse_frames(r))
    ended = time.time()
    assert reauthenticate(frames)["code"] == "token_expired"
    assert expires <= ended < expires + 1.5
    assert ("comment", "live") in frames
    # the same token is refused now, with the code that says to refresh it; a fresh one streams again
    r2 = await client.get(f"/api/v1/waybills/{wb.number}/live", headers={"Authorization": f"Bearer {token}"})
    assert r2.status_code == 401 and r2.json()["code"] == "token_expired"
    async with live_stream(live_server, wb.number, wb.shipper_headers) as r3:
        assert r3.status_code == 200
        await until_live(sse_frames(r3))
    await asyncio.sleep(0.1)
    assert channel(wb.id) not in app.state.live_hub._subs  # nothing left behind


async def test_sse_opened_with_an_api_key_ends_when_the_key_is_revoked(
    client, factory, sessionmaker, app, live_server, fast_recheck
) -> None:
    wb = await book(client, factory)
    ship = await vehicle(sessionmaker, wb.carrier_org_id, VehicleKind.VESSEL, since=T0 - timedelta(days=1))
    await assign(sessionmaker, wb.legs[1], ship.vehicle_id, T0 - timedelta(days=1))
    key, key_id, admin = await carrier_api_key(client, factory, wb)
    async with live_stream(live_server, wb.number, {"X-API-Key": key}) as r:
        assert r.status_code == 200
        frames = sse_frames(r)
        await until_live(frames)
        # several re-checks pass while the key is good, and the stream holds no pooled connection
        await asyncio.sleep(5 * fast_recheck)
        assert app.state.engine.pool.checkedout() <= 2
        await LivePublisher(app.state.redis).publish([stored(ship, T0, *NBCT, [wb.ref(1)])])
        assert (await next_position(frames))["device"] == ship.identifier
        revoked = time.monotonic()
        r2 = await client.delete(f"/api/v1/api-keys/{key_id}", headers=admin)
        assert r2.status_code == 200, r2.text
        rest = await until_end(frames)
    assert time.monotonic() - revoked < 1.5
    assert reauthenticate(rest)["code"] == "key_revoked"


@pytest.mark.parametrize("change", ["deactivate_user", "hide_waybill"])
async def test_sse_ends_when_the_user_is_deactivated_or_the_waybill_is_no_longer_visible(
    change, client, factory, sessionmaker, app, live_server, fast_recheck
) -> None:
    wb = await book(client, factory)
    other = await factory.org()
    async with live_stream(live_server, wb.number, wb.shipper_headers) as r:
        assert r.status_code == 200
        frames = sse_frames(r)
        await until_live(frames)
        async with sessionmaker() as session:
            if change == "deactivate_user":
                uid = user_id(app, wb.shipper_headers)
                await session.execute(update(User).where(User.id == uid).values(is_active=False))
            else:
                await session.execute(update(Waybill).where(Waybill.id == wb.id).values(org_id=other.id))
            await session.commit()
        rest = await until_end(frames, 3)
    expected = {"deactivate_user": "not_authorised", "hide_waybill": "not_found"}[change]
    assert reauthenticate(rest)["code"] == expected


# ---- GraphQL subscription ----


async def test_graphql_subscription_ends_with_token_expired_when_its_token_expires(
    client, factory, app, live_server
) -> None:
    wb = await book(client, factory)
    token = short_token(app, wb.shipper_headers, ttl_s=2)
    expires = decode_access_token(app.state.token_config, token)["exp"]
    ws = await subscribe_ws(live_server, wb.number, {"Authorization": f"Bearer {token}"})
    try:
        messages = await ws_until_complete(ws)
        assert expires <= time.time() < expires + 1.5
        assert last_error_code(messages) == "token_expired"
        # the connection is still open, but its credentials are spent: a new subscription says why
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"number": wb.number}},
                }
            )
        )
        again = await ws_until_complete(ws)
        first = again[0]
        errors = first["payload"] if first["type"] == "error" else first["payload"]["errors"]
        assert errors[0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "token_expired"}
    finally:
        await ws.close()
    await asyncio.sleep(0.1)
    assert channel(wb.id) not in app.state.live_hub._subs


async def test_graphql_subscription_with_an_api_key_ends_when_the_key_is_revoked(
    client, factory, app, live_server, fast_recheck
) -> None:
    wb = await book(client, factory)
    key, key_id, admin = await carrier_api_key(client, factory, wb)
    ws = await subscribe_ws(live_server, wb.number, {"X-API-Key": key})
    try:
        await eventually(lambda: channel(wb.id) in app.state.live_hub._subs)
        await asyncio.sleep(3 * fast_recheck)  # re-checks pass while the key is good
        r = await client.delete(f"/api/v1/api-keys/{key_id}", headers=admin)
        assert r.status_code == 200, r.text
        assert last_error_code(await ws_until_complete(ws, 3)) == "key_revoked"
    finally:
        await ws.close()


async def test_graphql_subscription_with_credentials_in_the_handshake_is_checked_again(
    client, factory, sessionmaker, app, live_server, fast_recheck
) -> None:
    wb = await book(client, factory)
    ws = await subscribe_ws(live_server, wb.number, {}, headers=wb.shipper_headers)
    try:
        await eventually(lambda: channel(wb.id) in app.state.live_hub._subs)  # the subscription is open
        async with sessionmaker() as session:
            uid = user_id(app, wb.shipper_headers)
            await session.execute(update(User).where(User.id == uid).values(is_active=False))
            await session.commit()
        assert last_error_code(await ws_until_complete(ws, 3)) == "not_authorised"
    finally:
        await ws.close()
