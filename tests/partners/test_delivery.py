"""The worker sends signed webhooks to a real HTTP endpoint, retries with backoff, gives up, disables
endpoints that keep failing, and never sends one delivery from two workers."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.partners.conftest import deliveries_of, run_pass, subscribe
from yidan.core.audit import AuditEntry
from yidan.core.clock import utcnow
from yidan.partners import outbox
from yidan.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from yidan.partners.tasks import RETRY_DELAYS, retry_delay, signed_headers


async def ping(client, account, sub) -> dict:
    """Queue a test event through the API."""
    r = await client.post(f"/api/v1/webhooks/{sub['id']}/ping", headers=account.headers)
    assert r.status_code == 202, r.text
    return dict(r.json())


async def test_a_ping_is_delivered_signed_to_a_real_endpoint(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url, ["waybill.event"])
    receiver.secret = sub["secret"]
    queued = await ping(client, partner, sub)

    result = await run_pass(sessionmaker, http)
    assert (result.delivered, result.retrying, result.dead) == (1, 0, 0)
    (got,) = receiver.received
    assert got.verified is True
    assert got.headers["webhook-id"] == queued["event_id"]
    assert got.headers["content-type"] == "application/json"
    assert got.payload["type"] == "ping" and got.payload["id"] == queued["event_id"]
    assert got.payload["data"]["subscription_id"] == sub["id"]
    assert abs(int(got.headers["webhook-timestamp"]) - utcnow().timestamp()) < 30
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.status is WebhookDeliveryStatus.DELIVERED and row.attempts == 1 and row.last_status_code == 200
    assert row.delivered_at is not None and row.next_attempt_at is None and row.last_error is None
    assert row.last_duration_ms is not None and row.last_duration_ms >= 0
    assert json.loads(got.body) == row.payload

    # delivered is delivered: another pass sends nothing
    assert (await run_pass(sessionmaker, http)).sent == 0
    assert len(receiver.received) == 1

    r = await client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=partner.headers)
    item = r.json()["items"][0]
    assert (item["status"], item["attempts"], item["last_status_code"]) == ("delivered", 1, 200)


async def test_a_domain_event_reaches_the_endpoint(client, factory, receiver, sessionmaker, http):
    from tests.conftest import waybill_body
    from yidan.identity.principal import OrgKind, Role

    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    sub = await subscribe(
        client, await factory.account(Role.PARTNER_ADMIN, org=carrier), receiver.url, ["waybill.booked"]
    )
    receiver.secret = sub["secret"]
    r = await client.post(
        "/api/v1/waybills", json=waybill_body([carrier.id], book=True), headers=shipper.headers
    )
    number = r.json()["number"]
    assert (await run_pass(sessionmaker, http)).delivered == 1
    (got,) = receiver.received
    assert got.verified and got.payload["type"] == "waybill.booked"
    assert got.payload["data"]["waybill"]["number"] == number


async def test_a_failing_endpoint_is_retried_with_backoff_then_delivered(
    client, partner, receiver, sessionmaker, http
):
    sub = await subscribe(client, partner, receiver.url)
    receiver.secret = sub["secret"]
    receiver.statuses = [500, 503]
    queued = await ping(client, partner, sub)

    started = utcnow()
    result = await run_pass(sessionmaker, http)
    assert (result.delivered, result.retrying) == (0, 1)
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.status is WebhookDeliveryStatus.FAILED and row.attempts == 1 and row.last_status_code == 500
    assert row.last_error and row.last_error.startswith("HTTP 500")
    assert row.next_attempt_at is not None
    wait = row.next_attempt_at - started
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=37), wait

    # not due yet: nothing is sent
    assert (await run_pass(sessionmaker, http)).sent == 0
    assert len(receiver.received) == 1

    second = row.next_attempt_at + timedelta(seconds=1)
    assert (await run_pass(sessionmaker, http, now=second)).retrying == 1
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.attempts == 2 and row.last_status_code == 503 and row.next_attempt_at is not None
    assert timedelta(minutes=2) <= row.next_attempt_at - second <= timedelta(minutes=2.5)

    assert (await run_pass(sessionmaker, http, now=row.next_attempt_at)).delivered == 1
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.status is WebhookDeliveryStatus.DELIVERED and row.attempts == 3 and row.last_error is None
    # every attempt carried the same webhook-id, each signed afresh and verified
    assert receiver.ids() == [queued["event_id"]] * 3
    assert all(r.verified for r in receiver.received)


async def test_an_endpoint_that_never_answers_2xx_gets_the_delivery_dead(
    client, partner, receiver, sessionmaker, http
):
    sub = await subscribe(client, partner, receiver.url)
    receiver.default_status = 500
    await ping(client, partner, sub)
    now = utcnow()
    for attempt in range(1, 5):
        result = await run_pass(sessionmaker, http, now=now, max_attempts=4)
        assert result.sent == 1
        (row,) = await deliveries_of(sessionmaker, sub["id"])
        assert row.attempts == attempt
        if attempt < 4:
            assert row.status is WebhookDeliveryStatus.FAILED and row.next_attempt_at is not None
            now = row.next_attempt_at
    assert row.status is WebhookDeliveryStatus.DEAD and row.next_attempt_at is None
    assert (await run_pass(sessionmaker, http, now=now + timedelta(days=30), max_attempts=4)).sent == 0
    assert len(receiver.received) == 4


async def test_an_endpoint_that_does_not_listen_is_an_error_not_a_crash(client, partner, sessionmaker, http):
    sub = await subscribe(client, partner, "http://127.0.0.1:9/nothing-listens-here")
    await ping(client, partner, sub)
    assert (await run_pass(sessionmaker, http)).retrying == 1
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.last_status_code is None and row.last_error and "Connect" in row.last_error


async def test_a_dead_delivery_is_redelivered_on_request(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    receiver.secret = sub["secret"]
    receiver.statuses = [500]
    queued = await ping(client, partner, sub)
    assert (await run_pass(sessionmaker, http, max_attempts=1)).dead == 1

    r = await client.post(
        f"/api/v1/webhooks/{sub['id']}/deliveries/{queued['id']}/redeliver", headers=partner.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["attempts"]) == ("pending", 0)
    assert (await run_pass(sessionmaker, http, max_attempts=1)).delivered == 1
    (row,) = await deliveries_of(sessionmaker, sub["id"])
    assert row.status is WebhookDeliveryStatus.DELIVERED and row.attempts == 1
    assert receiver.ids() == [queued["event_id"]] * 2 and receiver.received[-1].verified


async def test_rotating_the_secret_changes_the_signature(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    old = sub["secret"]
    receiver.secret = old
    await ping(client, partner, sub)
    assert (await run_pass(sessionmaker, http)).delivered == 1

    r = await client.post(f"/api/v1/webhooks/{sub['id']}/rotate-secret", headers=partner.headers)
    new = r.json()["secret"]
    await ping(client, partner, sub)
    # the receiver still checks with the old secret: the new signature does not verify, it answers 400
    assert (await run_pass(sessionmaker, http)).retrying == 1
    rejected = receiver.received[-1]
    assert rejected.verified is False
    Webhook(new).verify(rejected.body, rejected.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(rejected.body, rejected.headers)
    assert rejected.headers["webhook-signature"] != receiver.received[0].headers["webhook-signature"]


async def test_endpoints_that_keep_failing_are_disabled_with_a_reason(
    client, partner, receiver, sessionmaker, http
):
    sub = await subscribe(client, partner, receiver.url)
    receiver.default_status = 410
    for _ in range(3):
        await ping(client, partner, sub)
    result = await run_pass(sessionmaker, http, max_attempts=1, disable_after_dead=3)
    assert result.dead == 3 and result.disabled == [sub["id"]]
    r = await client.get(f"/api/v1/webhooks/{sub['id']}", headers=partner.headers)
    assert r.json()["active"] is False and "3 deliveries in a row" in r.json()["disabled_reason"]
    async with sessionmaker() as session:
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.object_id == sub["id"], AuditEntry.action == "webhook.disable"
            )
        )
        assert entry is not None and entry.actor == "system"

    # a disabled subscription is not sent to, and pings and redeliveries say so
    r = await client.post(f"/api/v1/webhooks/{sub['id']}/ping", headers=partner.headers)
    assert r.status_code == 409 and r.json()["code"] == "subscription_disabled"
    # enabled again, it starts afresh
    r = await client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": True}, headers=partner.headers)
    assert r.json()["active"] is True and r.json()["disabled_reason"] is None
    receiver.default_status = 200
    await ping(client, partner, sub)
    assert (await run_pass(sessionmaker, http)).delivered == 1


async def test_a_delivered_one_resets_the_count_of_dead_ones(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    receiver.statuses = [500, 200, 500]
    for _ in range(3):
        await ping(client, partner, sub)
        await run_pass(sessionmaker, http, max_attempts=1, disable_after_dead=2)
    async with sessionmaker() as session:
        row = await session.get_one(WebhookSubscription, uuid.UUID(sub["id"]))
        assert row.active and row.dead_streak == 1


async def test_deliveries_of_a_paused_subscription_wait(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    await ping(client, partner, sub)
    await client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": False}, headers=partner.headers)
    assert (await run_pass(sessionmaker, http)).sent == 0
    await client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": True}, headers=partner.headers)
    assert (await run_pass(sessionmaker, http)).delivered == 1


async def test_two_workers_never_send_the_same_delivery(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    receiver.delay_s = 0.3  # both passes hold their batches at the same time
    async with sessionmaker() as session:
        subscription = await session.get_one(WebhookSubscription, uuid.UUID(sub["id"]))
        for i in range(30):
            outbox.write(session, [subscription], outbox.PING, {"n": i})
        await session.commit()

    a, b = await asyncio.gather(
        run_pass(sessionmaker, http, batch=20), run_pass(sessionmaker, http, batch=20)
    )
    assert a.sent + b.sent == 30 and max(a.sent, b.sent) <= 20, (a, b)
    counts = Counter(receiver.ids())
    assert len(counts) == 30 and set(counts.values()) == {1}
    rows = await deliveries_of(sessionmaker, sub["id"])
    assert {r.status for r in rows} == {WebhookDeliveryStatus.DELIVERED} and {r.attempts for r in rows} == {1}


async def test_a_due_delivery_is_sent_by_the_next_free_worker(client, partner, receiver, sessionmaker, http):
    sub = await subscribe(client, partner, receiver.url)
    await ping(client, partner, sub)
    async with sessionmaker() as holder:
        # another worker holds the row: this pass skips it instead of waiting
        await holder.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == uuid.UUID(sub["id"]))
            .with_for_update()
        )
        result = await asyncio.wait_for(run_pass(sessionmaker, http), timeout=5)
        assert result.sent == 0
        await holder.rollback()
    assert (await run_pass(sessionmaker, http)).delivered == 1


def test_the_retry_schedule_backs_off_with_jitter():
    assert [d.total_seconds() for d in RETRY_DELAYS] == [30, 120, 600, 3600, 21600, 43200, 86400]
    for attempts, base in enumerate(RETRY_DELAYS, start=1):
        waits = {retry_delay(attempts) for _ in range(20)}
        assert all(base <= w <= base * 1.2 for w in waits) and len(waits) > 1
    assert retry_delay(99) >= RETRY_DELAYS[-1]


def test_the_signature_is_the_standard_webhooks_one():
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = utcnow().replace(microsecond=0)
    body = '{"id":"x","type":"ping","data":{"汉字":1}}'
    headers = signed_headers(secret, "msg_1", body, at)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body.encode(), headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("1}", "2}").encode(), headers)
