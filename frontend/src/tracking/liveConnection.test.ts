import type { Client as WsClient } from 'graphql-ws';
import { describe, expect, it, vi } from 'vitest';
import { ApiClient } from '../api/client';
import { createMemoryTokenStore } from '../auth/tokenStore';
import { GraphQLClient, GraphQLRequestError, type SubscriptionSink } from '../graphql/client';
import { jsonResponse, problemResponse } from '../test/render';
import { startLiveConnection, subscriptionEndCode, type LiveConnectionStatus } from './liveConnection';

const OLD = { accessToken: 'access-1', refreshToken: 'refresh-1' };
const NEW_TOKENS = { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 900 };

const fix = (n: number) => ({ waybill: 'YD1', leg_seq: 1, mode: 'TRUCK', device: 'd1', vehicle: 'v1', fix_time: `2026-01-01T00:00:0${n}.000Z`, lat: 30, lon: 120 });
const position = (n: number) => `event: position\ndata: ${JSON.stringify(fix(n))}\n\n`;
const reauthenticate = (code: string) => `event: reauthenticate\ndata: ${JSON.stringify({ code, detail: code })}\n\n`;

function authHeader(init: RequestInit | undefined): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.Authorization;
}

/** An SSE response sending `frames`; it then closes, or with `open` stays open until the request is aborted. */
function sseResponse(frames: string[], init: RequestInit | undefined, open = false): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const frame of frames) controller.enqueue(new TextEncoder().encode(frame));
      if (!open) controller.close();
      init?.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

const calls = (fetchMock: ReturnType<typeof vi.fn<typeof fetch>>, suffix: string) =>
  fetchMock.mock.calls.filter(([url]) => String(url).endsWith(suffix));

function start(api: ApiClient, graphql: Pick<GraphQLClient, 'subscribe'> = { subscribe: vi.fn(() => () => undefined) }) {
  const statuses: LiveConnectionStatus[] = [];
  const fixes: unknown[] = [];
  const stop = startLiveConnection({
    api,
    graphql,
    number: 'YD1',
    onFix: (raw) => {
      fixes.push(raw);
      return true;
    },
    onStatus: (status) => statuses.push(status),
  });
  return { statuses, fixes, stop };
}

describe('live connection', () => {
  it('reopens an SSE stream ended for an expired token at once, with a fresh token from one refresh', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/auth/refresh')) return jsonResponse(NEW_TOKENS);
      if (authHeader(init) === 'Bearer access-1') return sseResponse([position(1), reauthenticate('token_expired')], init);
      return sseResponse([position(2)], init, true);
    });
    const api = new ApiClient({ tokens, fetch: fetchMock });

    const { statuses, fixes, stop } = start(api);
    await vi.waitFor(() => expect(fixes).toHaveLength(2));
    stop();

    expect(fixes).toEqual([fix(1), fix(2)]);
    const streams = calls(fetchMock, '/waybills/YD1/live');
    expect(streams.map(([, init]) => authHeader(init))).toEqual(['Bearer access-1', 'Bearer access-2']);
    expect(calls(fetchMock, '/auth/refresh')).toHaveLength(1);
    expect(tokens.get()).toEqual({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    // no backoff, no "reconnecting" badge: the map just keeps moving
    expect(statuses).toEqual(['connecting', 'live']);
  });

  it('shares the refresh with a request that hit its 401 at the same moment', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/auth/refresh')) {
        await gate;
        return jsonResponse(NEW_TOKENS);
      }
      if (url.endsWith('/live')) {
        return authHeader(init) === 'Bearer access-1'
          ? sseResponse([reauthenticate('token_expired')], init)
          : sseResponse([position(3)], init, true);
      }
      return authHeader(init) === 'Bearer access-2' ? jsonResponse({ ok: true }) : problemResponse(401, { code: 'token_expired' });
    });
    const api = new ApiClient({ tokens: createMemoryTokenStore(OLD), fetch: fetchMock });

    const other = api.request('/me');
    const { fixes, stop } = start(api);
    await vi.waitFor(() => expect(calls(fetchMock, '/live')).toHaveLength(1));
    release();
    await expect(other).resolves.toEqual({ ok: true });
    await vi.waitFor(() => expect(fixes).toEqual([fix(3)]));
    stop();

    expect(calls(fetchMock, '/auth/refresh')).toHaveLength(1);
  });

  it('ends the feed when the waybill is no longer visible, and backs off after a plain disconnect', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answer = [position(1)];
      const fetchMock = vi.fn<typeof fetch>(async (_input, init) => sseResponse(answer, init));
      const api = new ApiClient({ tokens: createMemoryTokenStore(OLD), fetch: fetchMock });

      const { statuses, stop } = start(api);
      await vi.waitFor(() => expect(statuses).toContain('reconnecting'));
      expect(calls(fetchMock, '/live')).toHaveLength(1);
      answer = [reauthenticate('not_found')];
      await vi.advanceTimersByTimeAsync(1_000);
      await vi.waitFor(() => expect(statuses.at(-1)).toBe('unavailable'));
      await vi.advanceTimersByTimeAsync(60_000);
      stop();

      expect(calls(fetchMock, '/live')).toHaveLength(2);
      expect(calls(fetchMock, '/auth/refresh')).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resubscribes over GraphQL with a fresh token when the subscription ends with token_expired', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/auth/refresh') ? jsonResponse(NEW_TOKENS) : problemResponse(404, { code: 'not_found' }),
    );
    const api = new ApiClient({ tokens, fetch: fetchMock });
    const sinks: SubscriptionSink<{ waybillTracking: unknown }>[] = [];
    const tokensAtSubscribe: (string | undefined)[] = [];
    const graphql = {
      subscribe: vi.fn((_document: unknown, _variables: unknown, sink: SubscriptionSink<{ waybillTracking: unknown }>) => {
        sinks.push(sink);
        tokensAtSubscribe.push(tokens.get()?.accessToken);
        return () => undefined;
      }),
    } as unknown as Pick<GraphQLClient, 'subscribe'>;

    const { statuses, fixes, stop } = start(api, graphql);
    await vi.waitFor(() => expect(sinks).toHaveLength(1));
    sinks[0]!.next({ waybillTracking: { lat: 30, lon: 120 } });
    sinks[0]!.error?.(new GraphQLRequestError([{ message: 'expired', extensions: { code: 'token_expired' } }]));
    sinks[0]!.complete?.(); // the protocol's complete after the error must not open a second subscription
    await vi.waitFor(() => expect(sinks).toHaveLength(2));
    sinks[1]!.next({ waybillTracking: { lat: 31, lon: 121 } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop();

    expect(tokensAtSubscribe).toEqual(['access-1', 'access-2']);
    expect(sinks).toHaveLength(2);
    expect(fixes).toHaveLength(2);
    expect(calls(fetchMock, '/auth/refresh')).toHaveLength(1);
    expect(statuses).not.toContain('reconnecting');
  });

  it('reads an expired token refused at subscribe time like one that expired while streaming', () => {
    const refused = new GraphQLRequestError([{ message: 'expired', extensions: { code: 'UNAUTHENTICATED', reason: 'token_expired' } }]);
    expect(subscriptionEndCode(refused)).toBe('token_expired');
    expect(subscriptionEndCode(new GraphQLRequestError([{ message: 'x', extensions: { code: 'UNAUTHENTICATED' } }]))).toBe('not_authorised');
    expect(subscriptionEndCode(new GraphQLRequestError([{ message: 'x', extensions: { code: 'key_revoked' } }]))).toBe('key_revoked');
    expect(subscriptionEndCode(new Error('socket closed'))).toBeNull();
  });
});

describe('GraphQL client sockets', () => {
  it('opens a new socket for a subscription made after the token was renewed', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const sockets: { params: Record<string, unknown>[]; disposed: boolean }[] = [];
    const createWsClient = vi.fn(async (_url: string, connectionParams: () => Record<string, unknown>) => {
      const socket = { params: [] as Record<string, unknown>[], disposed: false };
      sockets.push(socket);
      const client = {
        subscribe: () => {
          socket.params.push(connectionParams()); // connection_init, on the first subscription
          return () => undefined;
        },
        dispose: () => {
          socket.disposed = true;
        },
      };
      return client as unknown as WsClient;
    });
    const graphql = new GraphQLClient({ tokens, createWsClient });
    const sink = { next: () => undefined };

    graphql.subscribe('subscription { a }' as never, {}, sink);
    graphql.subscribe('subscription { b }' as never, {}, sink);
    await vi.waitFor(() => expect(sockets[0]?.params).toHaveLength(2));
    expect(createWsClient).toHaveBeenCalledTimes(1); // same token, same socket

    tokens.set({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    graphql.subscribe('subscription { c }' as never, {}, sink);
    await vi.waitFor(() => expect(sockets).toHaveLength(2));
    await vi.waitFor(() => expect(sockets[1]!.params).toEqual([{ Authorization: 'Bearer access-2' }]));
    expect(sockets[0]!.params[0]).toEqual({ Authorization: 'Bearer access-1' });
    expect(sockets[0]!.disposed).toBe(true);
  });
});
