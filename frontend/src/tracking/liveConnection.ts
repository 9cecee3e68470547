import { isApiError, type ApiClient } from '../api/client';
import type { Tokens } from '../auth/tokenStore';
import { GraphQLRequestError, type GraphQLClient } from '../graphql/client';
import { WAYBILL_TRACKING_SUBSCRIPTION } from '../graphql/documents';
import { readSse } from './sse';

export type LiveConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'unavailable';

/**
 * Why the server ended an open stream: the code of SSE's last `event: reauthenticate` frame, or of the
 * subscription's last error. `token_expired` is the only one a fresh access token cures.
 */
export type LiveEndCode = 'token_expired' | 'key_revoked' | 'not_authorised' | 'not_found';

export const RETRY_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** A token renewed this recently and already refused again is not renewed at once again: back off. */
export const RENEW_AGAIN_AFTER_MS = 5_000;

export interface LiveConnectionOptions {
  api: Pick<ApiClient, 'requestStream' | 'renewAccessToken' | 'tokens'>;
  graphql: Pick<GraphQLClient, 'subscribe'>;
  number: string;
  /** Each pushed message, as sent (snake_case over SSE, camelCase over GraphQL); true when it was a fix. */
  onFix: (raw: unknown) => boolean;
  onStatus: (status: LiveConnectionStatus) => void;
}

/** The code of an SSE `reauthenticate` frame's data; null when it has none. */
export function reauthenticateCode(data: string): string | null {
  try {
    const body: unknown = JSON.parse(data);
    const code = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).code : null;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

/**
 * The end code of a subscription's error: its `extensions.code`, with credentials refused at subscribe
 * time (UNAUTHENTICATED) read by their reason, so an expired token is `token_expired` either way.
 */
export function subscriptionEndCode(error: unknown): string | null {
  if (!(error instanceof GraphQLRequestError)) return null;
  const extensions = error.errors[0]?.extensions ?? {};
  if (extensions.code === 'UNAUTHENTICATED') return extensions.reason === 'token_expired' ? 'token_expired' : 'not_authorised';
  return typeof extensions.code === 'string' ? extensions.code : null;
}

/**
 * Keeps a waybill's live positions coming: SSE (GET …/live), or the GraphQL subscription `waybillTracking`
 * when SSE is not served, reconnecting with backoff when the feed drops. A stream the server ends because
 * its access token expired is reopened at once with a fresh token (the API client's one shared refresh),
 * so the map keeps moving; a waybill no longer visible ends the feed. Returns the function that stops it.
 */
export function startLiveConnection(options: LiveConnectionOptions): () => void {
  const { api, graphql, number, onFix, onStatus } = options;
  const controller = new AbortController();
  let status: LiveConnectionStatus | null = null;
  let stopGraphql: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let renewedAt = Number.NEGATIVE_INFINITY;

  const stopped = () => controller.signal.aborted;
  const setStatus = (next: LiveConnectionStatus) => {
    if (next === status) return;
    status = next;
    onStatus(next);
  };
  const fix = (raw: unknown) => {
    if (!onFix(raw)) return;
    attempt = 0;
    setStatus('live');
  };
  const retry = (reopen: () => void) => {
    if (stopped()) return;
    setStatus('reconnecting');
    timer = setTimeout(reopen, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
  };

  /** The server ended the stream with `code` (null: it just closed). */
  async function ended(code: string | null, openedWith: string | undefined, reopen: () => void): Promise<void> {
    if (stopped()) return;
    if (code === 'not_found') {
      setStatus('unavailable');
      return;
    }
    if (code !== 'token_expired' || Date.now() - renewedAt < RENEW_AGAIN_AFTER_MS) {
      retry(reopen);
      return;
    }
    renewedAt = Date.now();
    let fresh: Tokens | null;
    try {
      fresh = await api.renewAccessToken(openedWith);
    } catch {
      // offline or the server failing: try again later, the tokens are kept
      retry(reopen);
      return;
    }
    // no fresh token: the session is over and the app is on its way to the login page
    if (fresh && !stopped()) reopen();
  }

  function viaGraphql() {
    if (stopped()) return;
    const openedWith = api.tokens.get()?.accessToken;
    let settled = false;
    const settle = (code: string | null) => {
      // an error is followed by `complete`: only the first of the two ends this subscription
      if (settled) return;
      settled = true;
      stopGraphql = null;
      void ended(code, openedWith, viaGraphql);
    };
    stopGraphql = graphql.subscribe(WAYBILL_TRACKING_SUBSCRIPTION, { number }, {
      next: (data) => fix(data.waybillTracking),
      error: (error) => settle(subscriptionEndCode(error)),
      complete: () => settle(null),
    });
  }

  async function connect() {
    if (stopped()) return;
    if (status !== 'live') setStatus('connecting');
    let response: Response;
    try {
      response = await api.requestStream(`/waybills/${encodeURIComponent(number)}/live`, { signal: controller.signal });
      if (!response.body) throw new Error('no stream');
    } catch (error) {
      if (stopped()) return;
      if (isApiError(error) && error.status === 404) viaGraphql();
      else retry(connect);
      return;
    }
    // the token the stream was opened with (requestStream refreshes it first when it was refused)
    const openedWith = api.tokens.get()?.accessToken;
    let code: string | null = null;
    setStatus('live');
    try {
      await readSse(response.body, (message) => {
        if (message.event === 'reauthenticate') {
          code = reauthenticateCode(message.data) ?? 'token_expired';
          return;
        }
        if (message.event === 'ping' || message.event === 'heartbeat') return;
        try {
          fix(JSON.parse(message.data));
        } catch {
          // a malformed message is skipped, the stream goes on
        }
      });
    } catch {
      if (stopped()) return;
    }
    await ended(code, openedWith, connect);
  }

  void connect();
  return () => {
    controller.abort();
    clearTimeout(timer);
    stopGraphql?.();
  };
}
