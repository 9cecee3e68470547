"""Webhook subscriptions: who may manage them, what a valid endpoint is, secrets, tests and redelivery."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, Forbidden, NotFound, field_error
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.identity.principal import Principal, Role
from yidan.partners import outbox
from yidan.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from yidan.partners.outbox import WebhookEventType
from yidan.partners.schemas import WebhookSubscriptionPatch
from yidan.settings import Settings

SECRET_PREFIX = "whsec_"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class WebhookPolicy:
    """What the settings allow: plain-http endpoints beyond loopback, and how many subscriptions."""

    allow_http: bool = False
    max_per_org: int = 20


def policy_for(settings: Settings) -> WebhookPolicy:
    """The webhook policy of these settings."""
    return WebhookPolicy(allow_http=settings.webhooks_allow_http, max_per_org=settings.webhooks_max_per_org)


@dataclass(frozen=True)
class SubscriptionWithSecret:
    """A subscription and its signing secret, returned at creation and rotation only."""

    subscription: WebhookSubscription
    secret: str


def new_signing_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str, policy: WebhookPolicy) -> str:
    """The endpoint URL if Yidan may send to it: https, or http to loopback (or when allowed)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise field_error("url", f"not a valid URL: {exc}", code="url_invalid") from exc
    if parts.scheme not in ("https", "http") or not host:
        raise field_error("url", "must be an absolute https:// URL", code="url_not_absolute")
    if parts.username is not None or parts.password is not None:
        raise field_error(
            "url",
            "must not carry a user name or password; verify the signature instead",
            code="url_credentials",
        )
    if parts.fragment:
        raise field_error("url", "must not have a #fragment", code="url_fragment")
    if parts.scheme == "http" and not policy.allow_http and host not in LOOPBACK_HOSTS:
        raise field_error(
            "url", "must use https:// (plain http:// only to 127.0.0.1 or localhost)", code="url_not_https"
        )
    return url


def require_manager(principal: Principal) -> None:
    """403 unless a partner admin (or org admin) in person: an API key may not route data elsewhere."""
    if principal.is_api_key or not principal.has_role(Role.PARTNER_ADMIN):
        raise Forbidden("webhook subscriptions are managed by partner admins", code="role_required")


# ---- subscriptions ----


async def list_subscriptions(session: AsyncSession, principal: Principal) -> list[WebhookSubscription]:
    """The subscriptions of the caller's organisation, newest first."""
    require_manager(principal)
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(WebhookSubscription.org_id == principal.org_id)
        .order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
    )
    return list(rows)


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, *, lock: bool = False
) -> WebhookSubscription:
    """One of the organisation's subscriptions; anyone else's is 404."""
    require_manager(principal)
    query = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id, WebhookSubscription.org_id == principal.org_id
    )
    if lock:
        query = query.with_for_update()
    sub = await session.scalar(query)
    if sub is None:
        raise NotFound(f"webhook subscription {subscription_id} not found")
    return sub


async def create_subscription(
    session: AsyncSession,
    principal: Principal,
    policy: WebhookPolicy,
    *,
    url: str,
    event_types: Sequence[WebhookEventType],
    description: str | None = None,
    active: bool = True,
) -> SubscriptionWithSecret:
    """Subscribe an endpoint to event types; the signing secret is in the answer and shown only now."""
    require_manager(principal)
    url = check_url(url, policy)
    count = await session.scalar(select(func.count()).where(WebhookSubscription.org_id == principal.org_id))
    if (count or 0) >= policy.max_per_org:
        raise Conflict(
            f"an organisation can have at most {policy.max_per_org} webhook subscriptions",
            code="too_many_subscriptions",
        )
    secret = new_signing_secret()
    sub = WebhookSubscription(
        id=uuid.uuid4(),
        org_id=principal.org_id,
        url=url,
        description=description or None,
        event_types=[t.value for t in event_types],
        secret=secret,
        active=active,
        dead_streak=0,
        created_by=principal.user_id,
    )
    session.add(sub)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="webhook.create",
        object_type="webhook_subscription",
        object_id=str(sub.id),
        changes={"url": url, "event_types": sub.event_types, "active": active},
    )
    return SubscriptionWithSecret(sub, secret)


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    policy: WebhookPolicy,
    subscription_id: uuid.UUID,
    patch: WebhookSubscriptionPatch,
) -> WebhookSubscription:
    """Change the URL, event types, description or active flag; enabling clears why it was disabled."""
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    done: dict[str, object] = {}
    if patch.url is not None:
        url = check_url(patch.url, policy)
        if url != sub.url:
            done["url"] = {"from": sub.url, "to": url}
            sub.url = url
    if patch.event_types is not None:
        types = [t.value for t in patch.event_types]
        if types != sub.event_types:
            done["event_types"] = {"from": sub.event_types, "to": types}
            sub.event_types = types
    if "description" in patch.model_fields_set and (patch.description or None) != sub.description:
        done["description"] = {"from": sub.description, "to": patch.description or None}
        sub.description = patch.description or None
    if patch.active is not None and patch.active != sub.active:
        done["active"] = {"from": sub.active, "to": patch.active}
        sub.active = patch.active
        if sub.active:
            sub.disabled_reason = None
            sub.dead_streak = 0
    if done:
        sub.updated_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            principal,
            action="webhook.update",
            object_type="webhook_subscription",
            object_id=str(sub.id),
            changes=done,
        )
    return sub


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> None:
    """Delete a subscription and its deliveries; nothing more is sent to it."""
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    await audit.record(
        session,
        principal,
        action="webhook.delete",
        object_type="webhook_subscription",
        object_id=str(sub.id),
        changes={"url": sub.url, "event_types": sub.event_types},
    )
    await session.delete(sub)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionWithSecret:
    """A new signing secret, used from the next attempt on; the old one stops verifying at once."""
    sub = await get_subscription(session, principal, subscription_id, lock=True)
    secret = new_signing_secret()
    sub.secret = secret
    sub.secret_rotated_at = sub.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        principal,
        action="webhook.rotate_secret",
        object_type="webhook_subscription",
        object_id=str(sub.id),
    )
    return SubscriptionWithSecret(sub, secret)


def _require_active(sub: WebhookSubscription) -> None:
    if not sub.active:
        raise Conflict(
            "the subscription is disabled; enable it before sending to it", code="subscription_disabled"
        )


async def send_ping(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> WebhookDelivery:
    """Queue a test `ping` event to one subscription, whatever event types it chose."""
    sub = await get_subscription(session, principal, subscription_id)
    _require_active(sub)
    data = {"subscription_id": sub.id, "message": "Test event from Yidan / 一单测试事件"}
    (delivery,) = outbox.write(session, [sub], outbox.PING, data)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="webhook.ping",
        object_type="webhook_subscription",
        object_id=str(sub.id),
        changes={"event_id": str(delivery.event_id)},
    )
    return delivery


# ---- deliveries ----


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    status: WebhookDeliveryStatus | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[WebhookDelivery], str | None]:
    """A page of a subscription's deliveries, newest first."""
    sub = await get_subscription(session, principal, subscription_id)
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if cursor:
        created, ident = decode_cursor(cursor)
        query = query.where(tuple_(WebhookDelivery.created_at, WebhookDelivery.id) < tuple_(created, ident))
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
    rows = list(await session.scalars(query))
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def redeliver(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again now, with the same event id, and a fresh set of attempts."""
    sub = await get_subscription(session, principal, subscription_id)
    _require_active(sub)
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == sub.id)
        .with_for_update()
    )
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} not found")
    was = delivery.status
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.delivered_at = None
    await session.flush()
    await audit.record(
        session,
        principal,
        action="webhook.redeliver",
        object_type="webhook_subscription",
        object_id=str(sub.id),
        changes={"delivery": str(delivery.id), "status": {"from": was.value, "to": "pending"}},
    )
    return delivery
