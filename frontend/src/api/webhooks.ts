import type { ApiClient } from './client';
import type {
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryStatus,
  WebhookEventTypeInfo,
  WebhookSubscription,
  WebhookSubscriptionInput,
  WebhookSubscriptionPatch,
  WebhookSubscriptionWithSecret,
} from './models';

const seg = encodeURIComponent;
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** The event types a subscription can choose, with what each means in English and Chinese. */
export function fetchWebhookEventTypes(api: ApiClient, signal?: AbortSignal): Promise<WebhookEventTypeInfo[]> {
  return api.request<WebhookEventTypeInfo[]>('/webhooks/event-types', opt(signal));
}

/** The organisation's webhook subscriptions, newest first, without their secrets. */
export function fetchWebhooks(api: ApiClient, signal?: AbortSignal): Promise<WebhookSubscription[]> {
  return api.request<WebhookSubscription[]>('/webhooks', opt(signal));
}

/** Subscribes an endpoint; the answer carries the signing secret, shown this once. */
export function createWebhook(api: ApiClient, input: WebhookSubscriptionInput): Promise<WebhookSubscriptionWithSecret> {
  return api.request<WebhookSubscriptionWithSecret>('/webhooks', { method: 'POST', json: input });
}

/** Changes the URL, event types, description, or enables / disables a subscription. */
export function updateWebhook(api: ApiClient, id: string, patch: WebhookSubscriptionPatch): Promise<WebhookSubscription> {
  return api.request<WebhookSubscription>(`/webhooks/${seg(id)}`, { method: 'PATCH', json: patch });
}

/** Deletes a subscription with its deliveries. */
export function deleteWebhook(api: ApiClient, id: string): Promise<void> {
  return api.request<void>(`/webhooks/${seg(id)}`, { method: 'DELETE' });
}

/** A new signing secret, shown this once; the old one stops verifying at once. */
export function rotateWebhookSecret(api: ApiClient, id: string): Promise<WebhookSubscriptionWithSecret> {
  return api.request<WebhookSubscriptionWithSecret>(`/webhooks/${seg(id)}/rotate-secret`, { method: 'POST' });
}

/** Queues a test `ping` event to the endpoint. */
export function pingWebhook(api: ApiClient, id: string): Promise<WebhookDelivery> {
  return api.request<WebhookDelivery>(`/webhooks/${seg(id)}/ping`, { method: 'POST' });
}

/** A page of a subscription's deliveries, newest first. */
export function fetchWebhookDeliveries(
  api: ApiClient,
  id: string,
  status: WebhookDeliveryStatus | undefined,
  cursor: string | null,
  signal?: AbortSignal,
): Promise<WebhookDeliveryPage> {
  return api.request<WebhookDeliveryPage>(`/webhooks/${seg(id)}/deliveries`, { query: { status, cursor, limit: 50 }, ...opt(signal) });
}

/** Sends a delivery again now, with the same webhook-id. */
export function redeliverWebhook(api: ApiClient, id: string, deliveryId: string): Promise<WebhookDelivery> {
  return api.request<WebhookDelivery>(`/webhooks/${seg(id)}/deliveries/${seg(deliveryId)}/redeliver`, { method: 'POST' });
}

/** Query keys of the webhook console. */
export const webhookKeys = {
  all: ['webhooks'] as const,
  list: ['webhooks', 'list'] as const,
  eventTypes: ['webhooks', 'event-types'] as const,
  deliveries: (id: string, status: WebhookDeliveryStatus | undefined) => ['webhooks', 'deliveries', id, status ?? 'all'] as const,
};
