"""Webhook API input and output."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yidan.partners.models import WebhookDeliveryStatus
from yidan.partners.outbox import WebhookEventType
from yidan.waybills.schemas import StrictIn


class WebhookSubscriptionIn(StrictIn):
    """A new webhook subscription: where to send which events."""

    url: str = Field(min_length=1, max_length=2000, description="https:// (http:// only for loopback)")
    event_types: list[WebhookEventType] = Field(min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=500)
    active: bool = True

    @field_validator("event_types")
    @classmethod
    def distinct_types(cls, types: list[WebhookEventType] | None) -> list[WebhookEventType] | None:
        """Each type once, in catalogue order."""
        return None if types is None else [t for t in WebhookEventType if t in types]


class WebhookSubscriptionPatch(StrictIn):
    """Changes to a subscription; fields left out stay as they are (description: null clears it)."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[WebhookEventType] | None = Field(default=None, min_length=1, max_length=20)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None

    @field_validator("event_types")
    @classmethod
    def distinct_types(cls, types: list[WebhookEventType] | None) -> list[WebhookEventType] | None:
        """Each type once, in catalogue order."""
        return None if types is None else [t for t in WebhookEventType if t in types]


class WebhookSubscriptionOut(BaseModel):
    """A webhook subscription without its signing secret."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str | None
    event_types: list[WebhookEventType]
    active: bool
    disabled_reason: str | None = Field(description="why Yidan disabled it, when it did")
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None


class WebhookSubscriptionSecretOut(WebhookSubscriptionOut):
    """A subscription with its signing secret, shown at creation and after a rotation only."""

    secret: str = Field(description="whsec_…: verify the webhook-signature header with it; shown only now")


class WebhookDeliveryOut(BaseModel):
    """One event sent (or to be sent) to a subscription, with the outcome of its last attempt."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID = Field(description="the webhook-id header; the same on every attempt")
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class WebhookDeliveryPageOut(BaseModel):
    """A page of deliveries, newest first."""

    items: list[WebhookDeliveryOut]
    next_cursor: str | None = None


class WebhookEventTypeOut(BaseModel):
    """An event type a subscription can choose, with what it means."""

    type: WebhookEventType
    en: str
    zh: str
