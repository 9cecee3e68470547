"""Webhook fixtures: a real HTTP receiver on 127.0.0.1 that verifies signatures, partner admins, and
helpers to subscribe and to run worker passes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.conftest import Account, Factory
from tests.gates.conftest import world  # noqa: F401 - the gate world, for gate transactions
from yidan.identity.principal import Role
from yidan.partners.models import WebhookDelivery, WebhookSubscription
from yidan.partners.tasks import DeliveryConfig, PassResult, deliver_due

ALL_TYPES = [
    "waybill.booked",
    "waybill.status_changed",
    "waybill.event",
    "gate.transaction",
    "invoice.issued",
    "payment.succeeded",
    "payment.refunded",
]


@dataclass
class Received:
    """One request the receiver got, and whether its signature verified."""

    headers: dict[str, str]
    body: bytes
    verified: bool | None
    payload: Any = None
    at: float = 0.0


@dataclass
class Receiver:
    """A webhook endpoint as a partner would run it: verify with the secret, then answer."""

    url: str = ""
    secret: str | None = None
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        """Record the request and choose the status to answer with."""
        verified: bool | None = None
        payload: Any = None
        if self.secret is not None:
            try:
                payload = Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        with self.lock:
            self.received.append(Received(headers, body, verified, payload, time.monotonic()))
            status = self.statuses.pop(0) if self.statuses else self.default_status
        if self.delay_s:
            time.sleep(self.delay_s)
        return 400 if verified is False else status

    def ids(self) -> list[str]:
        """The webhook-id of every request, in arrival order."""
        with self.lock:
            return [r.headers["webhook-id"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on an ephemeral 127.0.0.1 port."""
    recv = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            status = recv.answer({k.lower(): v for k, v in self.headers.items()}, body)
            text = json.dumps({"status": status}).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # a worker posts a whole batch at once

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    recv.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/yidan"
    yield recv
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
async def _empty_outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Worker passes see the whole outbox: each test starts with no subscriptions of earlier tests."""
    async with sessionmaker() as session:
        await session.execute(delete(WebhookSubscription))
        await session.commit()
    yield


@pytest.fixture
async def partner(factory: Factory) -> Account:
    """A partner admin of a new carrier."""
    return await factory.account(Role.PARTNER_ADMIN)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The worker's HTTP client."""
    async with httpx.AsyncClient() as c:
        yield c


async def subscribe(
    client: httpx.AsyncClient, account: Account, url: str, types: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """Create a subscription through the API; the answer carries the secret."""
    r = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "event_types": types or ALL_TYPES, **extra},
        headers=account.headers,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def deliveries_of(
    maker: async_sessionmaker[AsyncSession], subscription_id: str | uuid.UUID
) -> list[WebhookDelivery]:
    """A subscription's deliveries from the database, oldest first."""
    async with maker() as session:
        rows = await session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == uuid.UUID(str(subscription_id)))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.event_type, WebhookDelivery.id)
        )
        return list(rows)


async def run_pass(
    maker: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    *,
    now: datetime | None = None,
    **config: Any,
) -> PassResult:
    """One worker pass with a short timeout (and any other configuration given)."""
    cfg = DeliveryConfig(**{"timeout_s": 5.0, **config})
    return await deliver_due(maker, http, cfg, now=now)
