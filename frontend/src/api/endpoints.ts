import type { ApiClient } from './client';
import type {
  ApiKey,
  ApiKeyCreated,
  ApiKeyInput,
  Gate,
  Location,
  Me,
  Organisation,
  OrgKind,
  PublicTracking,
  Terminal,
  TrackCollection,
  WaybillDetail,
  WaybillInput,
  WaybillPage,
  WaybillStatus,
} from './models';
import { isApiError } from './problem';

export interface WaybillListParams {
  status?: WaybillStatus | undefined;
  q?: string | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

const segment = (value: string) => encodeURIComponent(value);

/** The signed-in user with organisation and role. */
export function fetchMe(api: ApiClient, signal?: AbortSignal): Promise<Me> {
  return api.request<Me>('/me', signal ? { signal } : {});
}

/** One page of the waybills the user may see. */
export function fetchWaybills(
  api: ApiClient,
  params: WaybillListParams,
  signal?: AbortSignal,
): Promise<WaybillPage> {
  return api.request<WaybillPage>('/waybills', {
    query: { status: params.status, q: params.q, limit: params.limit, cursor: params.cursor },
    ...(signal ? { signal } : {}),
  });
}

/** A waybill with parties, cargo, equipment, legs and events. */
export function fetchWaybill(api: ApiClient, number: string, signal?: AbortSignal): Promise<WaybillDetail> {
  return api.request<WaybillDetail>(`/waybills/${segment(number)}`, signal ? { signal } : {});
}

/** The e-waybill document as a PDF blob. */
export function fetchWaybillPdf(api: ApiClient, number: string): Promise<Blob> {
  return api.requestBlob(`/waybills/${segment(number)}/document.pdf`, {}, 'application/pdf');
}

/** Public tracking of a waybill by the key printed in its QR code; no session needed. */
export function fetchPublicTracking(
  api: ApiClient,
  number: string,
  key: string,
  signal?: AbortSignal,
): Promise<PublicTracking> {
  return api.request<PublicTracking>(`/public/track/${segment(number)}`, {
    query: { k: key },
    auth: false,
    ...(signal ? { signal } : {}),
  });
}

/** Query keys, in one place so invalidation matches what was cached. */
export const queryKeys = {
  me: ['me'] as const,
  waybills: (params: Omit<WaybillListParams, 'cursor'>) => ['waybills', 'list', params] as const,
  waybill: (number: string) => ['waybills', 'detail', number] as const,
  publicTracking: (number: string, key: string) => ['public', 'track', number, key] as const,
};

// ---- reference data: places, carriers, terminals, gates ----

/** UN/LOCODE places whose code or English or Chinese name matches `q`. */
export function searchLocations(api: ApiClient, q: string, signal?: AbortSignal): Promise<Location[]> {
  return api.request<Location[]>('/locations', { query: { q: q.trim() || undefined, limit: 20 }, ...(signal ? { signal } : {}) });
}

/** Organisations of a kind, e.g. the carriers to choose for a leg. */
export function fetchOrganisations(api: ApiClient, kind?: OrgKind, signal?: AbortSignal): Promise<Organisation[]> {
  return api.request<Organisation[]>('/organisations', { query: { kind }, ...(signal ? { signal } : {}) });
}

/** Terminals, all or those at one place. */
export function fetchTerminals(api: ApiClient, unlocode?: string, signal?: AbortSignal): Promise<Terminal[]> {
  return api.request<Terminal[]>('/terminals', { query: { unlocode }, ...(signal ? { signal } : {}) });
}

/** Gates with their GeoJSON geofences, all or those of one terminal. */
export function fetchGates(api: ApiClient, terminal?: string, signal?: AbortSignal): Promise<Gate[]> {
  return api.request<Gate[]>('/gates', { query: { terminal }, ...(signal ? { signal } : {}) });
}

// ---- booking ----

/** Creates a waybill: a draft, or booked at once when `book` is true. */
export function createWaybill(api: ApiClient, input: WaybillInput): Promise<WaybillDetail> {
  return api.request<WaybillDetail>('/waybills', { method: 'POST', json: input });
}

// ---- tracking (issue 3; feature-detected) ----

/**
 * The waybill's track per leg and its planned route as GeoJSON, or null when this server has no
 * tracking API (then the map shows the planned route from the legs alone).
 */
export async function fetchTrack(api: ApiClient, number: string, signal?: AbortSignal): Promise<TrackCollection | null> {
  try {
    return await api.request<TrackCollection>(`/waybills/${segment(number)}/track`, {
      headers: { Accept: 'application/geo+json, application/json' },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (isApiError(error) && (error.status === 404 || error.status === 405 || error.status === 501)) return null;
    throw error;
  }
}

// ---- partner console ----

/** The organisation's API keys, without their secrets. */
export function fetchApiKeys(api: ApiClient, signal?: AbortSignal): Promise<ApiKey[]> {
  return api.request<ApiKey[]>('/api-keys', signal ? { signal } : {});
}

/** Creates an API key; the answer carries its secret, shown this once. */
export function createApiKey(api: ApiClient, input: ApiKeyInput): Promise<ApiKeyCreated> {
  return api.request<ApiKeyCreated>('/api-keys', { method: 'POST', json: input });
}

/** Revokes an API key; it stops working at once. */
export function revokeApiKey(api: ApiClient, id: string): Promise<ApiKey | undefined> {
  return api.request<ApiKey | undefined>(`/api-keys/${segment(id)}`, { method: 'DELETE' });
}

/** Query keys of the reference data and consoles. */
export const moreKeys = {
  locations: (q: string) => ['locations', q] as const,
  organisations: (kind: string | undefined) => ['organisations', kind ?? 'all'] as const,
  terminals: ['terminals'] as const,
  gates: ['gates'] as const,
  track: (number: string) => ['waybills', 'track', number] as const,
  apiKeys: ['api-keys'] as const,
};

/** Moves a waybill along its lifecycle (book a draft, cancel …). */
export function changeWaybillStatus(api: ApiClient, number: string, status: WaybillStatus, reason?: string): Promise<WaybillDetail> {
  return api.request<WaybillDetail>(`/waybills/${segment(number)}/status`, { method: 'POST', json: { status, reason: reason ?? null } });
}
