import type { ApiClient } from './client';
import type { Me, Page, PublicTracking, WaybillDetail, WaybillStatus, WaybillSummary } from './types';

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
): Promise<Page<WaybillSummary>> {
  return api.request<Page<WaybillSummary>>('/waybills', {
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
