import type { TokenResponse } from './models';
import { networkError, problemFromResponse } from './problem';
import { tokensFromResponse, type TokenStore, type Tokens } from '../auth/tokenStore';

export { ApiError, isApiError, problemFromBody, problemFromResponse } from './problem';
export type { FieldError } from './problem';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: string;
  /** Query parameters; null, undefined and empty strings are left out. */
  query?: Record<string, QueryValue>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Send the Bearer token and refresh it on 401 (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  tokens: TokenStore;
  /** Prefix of every path, `/api/v1` by default. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called once the session is over: the refresh token was refused. */
  onSessionExpired?: () => void;
}

const JSON_ACCEPT = 'application/json, application/problem+json';

/**
 * The fetch wrapper for the REST API: adds the Bearer token, refreshes it once on a 401 (one refresh
 * in flight, shared by every call that hit the 401) and turns failures into ApiError.
 */
export class ApiClient {
  readonly tokens: TokenStore;
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly onSessionExpired: (() => void) | undefined;
  private refreshing: Promise<Tokens | null> | null = null;

  constructor(options: ApiClientOptions) {
    this.tokens = options.tokens;
    this.baseUrl = (options.baseUrl ?? '/api/v1').replace(/\/+$/, '');
    // Looked up at call time, so a fetch replaced after start-up (tests, polyfills) is the one used.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onSessionExpired = options.onSessionExpired;
  }

  /** The URL of an API path with its query string. */
  url(path: string, query?: Record<string, QueryValue>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === null || value === undefined || value === '') continue;
      search.append(key, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path.startsWith('/') ? path : `/${path}`}${qs ? `?${qs}` : ''}`;
  }

  /** Sends a request and returns its JSON body (undefined for 204). */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options, JSON_ACCEPT);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends a request and returns its body as a Blob (documents, exports). */
  async requestBlob(path: string, options: RequestOptions = {}, accept = '*/*'): Promise<Blob> {
    const response = await this.send(path, options, `${accept}, application/problem+json`);
    return response.blob();
  }

  /**
   * Opens a streamed response (Server-Sent Events) with the session's token; the caller reads
   * `response.body`. Aborting the signal ends the stream.
   */
  async requestStream(path: string, options: RequestOptions = {}, accept = 'text/event-stream'): Promise<Response> {
    return this.send(path, options, `${accept}, application/problem+json`);
  }

  /**
   * Fresh tokens after the server refused `staleAccessToken` (a live stream it ended because the token
   * expired): the refresh in flight is shared as for a 401, a token already replaced is simply returned.
   * Null when the session is over.
   */
  renewAccessToken(staleAccessToken: string | undefined): Promise<Tokens | null> {
    if (staleAccessToken === undefined) return Promise.resolve(this.tokens.get());
    return this.refreshAfter(staleAccessToken);
  }

  /** Exchanges email and password for tokens and keeps them. */
  async login(username: string, password: string): Promise<Tokens> {
    const body = await this.request<TokenResponse>('/auth/token', {
      method: 'POST',
      form: { username, password },
      auth: false,
    });
    const tokens = tokensFromResponse(body);
    this.tokens.set(tokens);
    return tokens;
  }

  /** Forgets the session's tokens. */
  logout(): void {
    this.tokens.clear();
  }

  private async send(path: string, options: RequestOptions, accept: string): Promise<Response> {
    const url = this.url(path, options.query);
    const auth = options.auth !== false;
    const sentWith = auth ? this.tokens.get() : null;

    let response = await this.fetchOnce(url, options, accept, sentWith?.accessToken);
    if (response.status === 401 && sentWith) {
      const fresh = await this.refreshAfter(sentWith.accessToken);
      if (fresh) {
        response = await this.fetchOnce(url, options, accept, fresh.accessToken);
        // A token minted a moment ago and still refused: the account itself is no longer admitted.
        if (response.status === 401) this.expireSession();
      }
    }
    if (!response.ok) throw await problemFromResponse(response);
    return response;
  }

  private async fetchOnce(
    url: string,
    options: RequestOptions,
    accept: string,
    accessToken: string | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept, ...options.headers };
    let body: BodyInit | undefined;
    if (options.form !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    const init: RequestInit = { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers };
    if (body !== undefined) init.body = body;
    if (options.signal) init.signal = options.signal;
    try {
      return await this.fetchImpl(url, init);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw networkError(error);
    }
  }

  /**
   * The tokens to retry with after `staleAccessToken` got a 401, or null when the session is over.
   * Calls that fail together share one refresh; a call whose token was already replaced just retries.
   */
  private refreshAfter(staleAccessToken: string): Promise<Tokens | null> {
    if (this.refreshing) return this.refreshing;
    const current = this.tokens.get();
    if (!current) return Promise.resolve(null);
    if (current.accessToken !== staleAccessToken) return Promise.resolve(current);
    this.refreshing = this.refresh(current.refreshToken).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refresh(refreshToken: string): Promise<Tokens | null> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url('/auth/refresh'), {
        method: 'POST',
        headers: { Accept: JSON_ACCEPT, 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
    } catch (error) {
      // Offline is not logged out: keep the tokens for the next try.
      throw networkError(error);
    }
    if (response.ok) {
      const tokens = tokensFromResponse((await response.json()) as TokenResponse);
      this.tokens.set(tokens);
      return tokens;
    }
    if (response.status >= 500) throw await problemFromResponse(response);
    this.expireSession();
    return null;
  }

  private expireSession(): void {
    this.tokens.clear();
    this.onSessionExpired?.();
  }
}
