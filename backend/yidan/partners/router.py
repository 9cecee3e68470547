"""REST routes for webhook subscriptions, their deliveries and the event catalogue."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from yidan.core.db import SessionDep
from yidan.identity.deps import PartnerAdminDep
from yidan.partners import service
from yidan.partners.models import WebhookDeliveryStatus
from yidan.partners.outbox import CATALOGUE
from yidan.partners.schemas import (
    WebhookDeliveryOut,
    WebhookDeliveryPageOut,
    WebhookEventTypeOut,
    WebhookSubscriptionIn,
    WebhookSubscriptionOut,
    WebhookSubscriptionPatch,
    WebhookSubscriptionSecretOut,
)
from yidan.partners.service import SubscriptionWithSecret, WebhookPolicy

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


def webhook_policy(request: Request) -> WebhookPolicy:
    """The webhook policy of this app's settings."""
    return service.policy_for(request.app.state.settings)


PolicyDep = Annotated[WebhookPolicy, Depends(webhook_policy)]


def _with_secret(made: SubscriptionWithSecret) -> WebhookSubscriptionSecretOut:
    return WebhookSubscriptionSecretOut(
        **WebhookSubscriptionOut.model_validate(made.subscription).model_dump(), secret=made.secret
    )


@router.get("/event-types", response_model=list[WebhookEventTypeOut], summary="The webhook event catalogue")
async def event_types(_: PartnerAdminDep) -> list[WebhookEventTypeOut]:
    """The event types a subscription can choose, with what each means in English and Chinese."""
    return [WebhookEventTypeOut(type=e.type, en=e.en, zh=e.zh) for e in CATALOGUE]


@router.get(
    "", response_model=list[WebhookSubscriptionOut], summary="The organisation's webhook subscriptions"
)
async def list_subscriptions(session: SessionDep, principal: PartnerAdminDep) -> list[WebhookSubscriptionOut]:
    """Subscriptions of the caller's organisation, newest first, without their secrets."""
    return [
        WebhookSubscriptionOut.model_validate(s) for s in await service.list_subscriptions(session, principal)
    ]


@router.post(
    "",
    response_model=WebhookSubscriptionSecretOut,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe an endpoint",
)
async def create_subscription(
    session: SessionDep, principal: PartnerAdminDep, policy: PolicyDep, body: WebhookSubscriptionIn
) -> WebhookSubscriptionSecretOut:
    """Subscribe an https endpoint to event types; the signing secret is in the answer, shown only now."""
    made = await service.create_subscription(
        session,
        principal,
        policy,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        active=body.active,
    )
    return _with_secret(made)


@router.get("/{subscription_id}", response_model=WebhookSubscriptionOut, summary="A webhook subscription")
async def get_subscription(
    session: SessionDep, principal: PartnerAdminDep, subscription_id: uuid.UUID
) -> WebhookSubscriptionOut:
    """One subscription of the caller's organisation, without its secret."""
    return WebhookSubscriptionOut.model_validate(
        await service.get_subscription(session, principal, subscription_id)
    )


@router.patch(
    "/{subscription_id}", response_model=WebhookSubscriptionOut, summary="Change a webhook subscription"
)
async def update_subscription(
    session: SessionDep,
    principal: PartnerAdminDep,
    policy: PolicyDep,
    subscription_id: uuid.UUID,
    body: WebhookSubscriptionPatch,
) -> WebhookSubscriptionOut:
    """Change the URL, event types or description, or enable / disable it."""
    sub = await service.update_subscription(session, principal, policy, subscription_id, body)
    return WebhookSubscriptionOut.model_validate(sub)


@router.delete(
    "/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a webhook subscription"
)
async def delete_subscription(
    session: SessionDep, principal: PartnerAdminDep, subscription_id: uuid.UUID
) -> Response:
    """Delete a subscription with its deliveries; nothing more is sent to it."""
    await service.delete_subscription(session, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=WebhookSubscriptionSecretOut,
    summary="Rotate the signing secret",
)
async def rotate_secret(
    session: SessionDep, principal: PartnerAdminDep, subscription_id: uuid.UUID
) -> WebhookSubscriptionSecretOut:
    """A new signing secret, shown only now; deliveries are signed with it from the next attempt."""
    return _with_secret(await service.rotate_secret(session, principal, subscription_id))


@router.post(
    "/{subscription_id}/ping",
    response_model=WebhookDeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a test event",
)
async def ping(
    session: SessionDep, principal: PartnerAdminDep, subscription_id: uuid.UUID
) -> WebhookDeliveryOut:
    """Queue a `ping` event to the endpoint; its delivery shows in the list within seconds."""
    return WebhookDeliveryOut.model_validate(await service.send_ping(session, principal, subscription_id))


@router.get(
    "/{subscription_id}/deliveries",
    response_model=WebhookDeliveryPageOut,
    summary="Deliveries of a subscription",
)
async def deliveries(
    session: SessionDep,
    principal: PartnerAdminDep,
    subscription_id: uuid.UUID,
    status_: Annotated[WebhookDeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> WebhookDeliveryPageOut:
    """What was sent to the endpoint, newest first: status, attempts, last HTTP status and error."""
    rows, next_cursor = await service.list_deliveries(
        session, principal, subscription_id, status=status_, limit=limit, cursor=cursor
    )
    return WebhookDeliveryPageOut(
        items=[WebhookDeliveryOut.model_validate(d) for d in rows], next_cursor=next_cursor
    )


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookDeliveryOut,
    summary="Send a delivery again",
)
async def redeliver(
    session: SessionDep, principal: PartnerAdminDep, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDeliveryOut:
    """Queue the delivery again now, with the same webhook-id and a fresh set of attempts."""
    return WebhookDeliveryOut.model_validate(
        await service.redeliver(session, principal, subscription_id, delivery_id)
    )
