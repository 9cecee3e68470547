import { describe, expect, it, vi } from 'vitest';
import { createMemoryTokenStore } from '../auth/tokenStore';
import { ApiClient } from './client';
import { ApiError } from './problem';
import { jsonResponse, problemResponse } from '../test/render';

const OLD = { accessToken: 'access-1', refreshToken: 'refresh-1' };
const NEW_TOKENS = { access_token: 'access-2', refresh_token: 'refresh-2', token_type: 'bearer', expires_in: 900 };

function authHeader(init: RequestInit | undefined): string | undefined {
  return (init?.headers as Record<string, string> | undefined)?.Authorization;
}

const expired = () => problemResponse(401, { title: 'Unauthorized', detail: 'Token expired', code: 'token_expired' });

/** A fake API: /auth/refresh answers `refreshAnswer`, other paths 401 for the old token and 200 for the new. */
function fakeApi(refreshAnswer: () => Response | Promise<Response>) {
  return vi.fn<typeof fetch>(async (input, init) => {
    const url = String(input);
    if (url.endsWith('/auth/refresh')) return refreshAnswer();
    if (authHeader(init) === 'Bearer access-2') return jsonResponse({ url });
    return expired();
  });
}

describe('ApiClient', () => {
  it('sends the Bearer token and builds the query string without empty values', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse({ items: [], next_cursor: null }));
    const api = new ApiClient({ tokens: createMemoryTokenStore(OLD), fetch: fetchMock });

    await api.request('/waybills', { query: { status: 'booked', q: '', cursor: null, limit: 25 } });

    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/waybills?status=booked&limit=25');
    expect(authHeader(init)).toBe('Bearer access-1');
  });

  it('refreshes once on 401 and retries with the new token', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const fetchMock = fakeApi(() => jsonResponse(NEW_TOKENS));
    const api = new ApiClient({ tokens, fetch: fetchMock });

    await expect(api.request('/me')).resolves.toEqual({ url: '/api/v1/me' });

    const refreshCalls = fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/auth/refresh'));
    expect(refreshCalls).toHaveLength(1);
    expect(JSON.parse(String(refreshCalls[0]![1]!.body))).toEqual({ refresh_token: 'refresh-1' });
    expect(tokens.get()).toEqual({ accessToken: 'access-2', refreshToken: 'refresh-2' });
    expect(fetchMock).toHaveBeenCalledTimes(3);
  });

  it('shares one in-flight refresh between concurrent calls', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetchMock = fakeApi(async () => {
      await gate; // hold the refresh open until every call has hit its 401
      return jsonResponse(NEW_TOKENS);
    });
    const api = new ApiClient({ tokens: createMemoryTokenStore(OLD), fetch: fetchMock });

    const calls = [api.request('/me'), api.request('/waybills'), api.request('/waybills/YD1')];
    await vi.waitFor(() => expect(fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/auth/refresh'))).toHaveLength(1));
    release();
    const results = await Promise.all(calls);

    expect(results.map((result) => (result as { url: string }).url)).toEqual([
      '/api/v1/me',
      '/api/v1/waybills',
      '/api/v1/waybills/YD1',
    ]);
    expect(fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/auth/refresh'))).toHaveLength(1);
  });

  it('retries a late 401 with the already refreshed token instead of refreshing again', async () => {
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/auth/refresh')) return jsonResponse(NEW_TOKENS);
      if (authHeader(init) === 'Bearer access-2') return jsonResponse({ url });
      if (url.endsWith('/me')) await slow; // its 401 arrives after the other call has refreshed
      return expired();
    });
    const tokens = createMemoryTokenStore(OLD);
    const api = new ApiClient({ tokens, fetch: fetchMock });

    const late = api.request('/me');
    await expect(api.request('/waybills')).resolves.toEqual({ url: '/api/v1/waybills' });
    releaseSlow();
    await expect(late).resolves.toEqual({ url: '/api/v1/me' });

    expect(fetchMock.mock.calls.filter(([url]) => String(url).endsWith('/auth/refresh'))).toHaveLength(1);
    expect(tokens.get()?.refreshToken).toBe('refresh-2');
  });

  it('ends the session when the refresh token is refused, and throws the original problem', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const onSessionExpired = vi.fn();
    const fetchMock = fakeApi(() => problemResponse(401, { title: 'Unauthorized', code: 'invalid_refresh_token' }));
    const api = new ApiClient({ tokens, fetch: fetchMock, onSessionExpired });

    const error = await api.request('/me').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('token_expired');
    expect(tokens.get()).toBeNull();
    expect(onSessionExpired).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('retries only once: a second 401 with the fresh token ends the session', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/auth/refresh') ? jsonResponse(NEW_TOKENS) : expired(),
    );
    const api = new ApiClient({ tokens, fetch: fetchMock });

    await expect(api.request('/me')).rejects.toMatchObject({ status: 401, code: 'token_expired' });
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(tokens.get()).toBeNull();
  });

  it('keeps the session when the refresh cannot reach the server', async () => {
    const tokens = createMemoryTokenStore(OLD);
    const fetchMock = fakeApi(() => Promise.reject(new TypeError('Failed to fetch')));
    const api = new ApiClient({ tokens, fetch: fetchMock });

    await expect(api.request('/me')).rejects.toMatchObject({ code: 'network_error', status: 0 });
    expect(tokens.get()).toEqual(OLD);
  });

  it('does not send a token or refresh for public calls', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => problemResponse(401, { title: 'Unauthorized', code: 'bad_credentials' }));
    const tokens = createMemoryTokenStore(OLD);
    const api = new ApiClient({ tokens, fetch: fetchMock });

    await expect(api.request('/public/track/YD1', { auth: false, query: { k: 'abc' } })).rejects.toMatchObject({
      code: 'bad_credentials',
    });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(authHeader(fetchMock.mock.calls[0]![1])).toBeUndefined();
    expect(tokens.get()).toEqual(OLD);
  });

  it('logs in with a form-encoded body and keeps the tokens', async () => {
    const tokens = createMemoryTokenStore();
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse({ ...NEW_TOKENS }));
    const api = new ApiClient({ tokens, fetch: fetchMock });

    await api.login('ops@example.com', 's3cret&=');

    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/auth/token');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(String(init?.body)).get('password')).toBe('s3cret&=');
    expect(new URLSearchParams(String(init?.body)).get('username')).toBe('ops@example.com');
    expect(tokens.get()).toEqual({ accessToken: 'access-2', refreshToken: 'refresh-2' });
  });

  it('returns blobs with the token, refreshing like any call', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      if (String(input).endsWith('/auth/refresh')) return jsonResponse(NEW_TOKENS);
      if (authHeader(init) !== 'Bearer access-2') return expired();
      return new Response('%PDF-1.7', {
        status: 200,
        headers: { 'Content-Type': 'application/pdf' },
      });
    });
    const api = new ApiClient({ tokens: createMemoryTokenStore(OLD), fetch: fetchMock });

    const blob = await api.requestBlob('/waybills/YD1/document.pdf', {}, 'application/pdf');
    expect(blob.type).toBe('application/pdf');
    expect(await blob.text()).toBe('%PDF-1.7');
  });
});
