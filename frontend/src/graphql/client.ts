import type { Client as WsClient } from 'graphql-ws';
import type { TokenStore } from '../auth/tokenStore';

/**
 * A GraphQL document that carries its result and variables types, so a call site is typed without
 * code generation: `gql<Result, Variables>(text)`. Documents are checked against openapi/schema.graphql
 * by a test.
 */
export type TypedDocument<TResult, TVariables> = string & {
  readonly __result?: TResult;
  readonly __variables?: TVariables;
};

export type Variables = Record<string, unknown>;

export function gql<TResult, TVariables extends Variables = Record<string, never>>(
  source: TemplateStringsArray | string,
): TypedDocument<TResult, TVariables> {
  return (typeof source === 'string' ? source : source.join('')) as TypedDocument<TResult, TVariables>;
}

export interface GraphQLErrorItem {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/** The errors of a GraphQL answer (or of the transport under it). */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
  readonly errors: GraphQLErrorItem[];
  constructor(errors: GraphQLErrorItem[]) {
    super(errors.map((error) => error.message).join('; ') || 'GraphQL request failed');
    this.errors = errors;
  }
  /** The `code` extension of the first error, e.g. NOT_FOUND or UNAUTHENTICATED. */
  get code(): string | undefined {
    const code = this.errors[0]?.extensions?.code;
    return typeof code === 'string' ? code : undefined;
  }
}

export interface SubscriptionSink<T> {
  next: (value: T) => void;
  error?: (error: unknown) => void;
  complete?: () => void;
}

export interface GraphQLClientOptions {
  tokens: TokenStore;
  /** `/graphql` by default. */
  url?: string;
  fetch?: typeof fetch;
  /** Makes the WebSocket client; graphql-ws's createClient, loaded on first subscription, by default. */
  createWsClient?: (url: string, connectionParams: () => Record<string, unknown>) => Promise<WsClient>;
}

function websocketUrl(path: string): string {
  const base = new URL(path, window.location.href);
  base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  return base.toString();
}

/**
 * Queries and mutations over HTTP POST, subscriptions over one lazily opened graphql-ws
 * (graphql-transport-ws) connection. Both carry the session's Bearer token.
 */
export class GraphQLClient {
  private readonly tokens: TokenStore;
  private readonly url: string;
  private readonly fetchImpl: typeof fetch;
  private readonly createWsClient: NonNullable<GraphQLClientOptions['createWsClient']>;
  private ws: Promise<WsClient> | null = null;
  /** The access token the socket last authenticated with (connection_init), once it has connected. */
  private wsToken: string | undefined;

  constructor(options: GraphQLClientOptions) {
    this.tokens = options.tokens;
    this.url = options.url ?? '/graphql';
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.createWsClient =
      options.createWsClient ??
      (async (url, connectionParams) => {
        const { createClient } = await import('graphql-ws');
        return createClient({ url, connectionParams, lazy: true, retryAttempts: 5 });
      });
    // A socket authenticated for a session that has ended must not outlive it.
    this.tokens.subscribe((tokens) => {
      if (!tokens) this.close();
    });
  }

  private authHeaders(): Record<string, string> {
    const tokens = this.tokens.get();
    return tokens ? { Authorization: `Bearer ${tokens.accessToken}` } : {};
  }

  /** Runs a query or mutation and returns its data; GraphQL errors throw GraphQLRequestError. */
  async request<TResult, TVariables extends Variables>(
    document: TypedDocument<TResult, TVariables>,
    variables?: TVariables,
    signal?: AbortSignal,
  ): Promise<TResult> {
    const init: RequestInit = {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json', ...this.authHeaders() },
      body: JSON.stringify({ query: document, variables: variables ?? {} }),
    };
    if (signal) init.signal = signal;
    const response = await this.fetchImpl(this.url, init);
    type Answer = { data?: TResult | null; errors?: GraphQLErrorItem[] };
    let body: Answer | null = null;
    try {
      body = (await response.json()) as Answer;
    } catch {
      body = null;
    }
    if (body?.errors?.length) throw new GraphQLRequestError(body.errors);
    if (!response.ok || !body || body.data == null) {
      throw new GraphQLRequestError([{ message: `HTTP ${response.status}`, extensions: { code: `HTTP_${response.status}` } }]);
    }
    return body.data;
  }

  /** Subscribes; returns the function that ends the subscription. */
  subscribe<TResult, TVariables extends Variables>(
    document: TypedDocument<TResult, TVariables>,
    variables: TVariables,
    sink: SubscriptionSink<TResult>,
  ): () => void {
    let unsubscribe: (() => void) | null = null;
    let cancelled = false;
    // The server resolves a socket's caller once, from connection_init: after the token was renewed
    // (it expired, and the server ended the subscriptions it carried) a new subscription needs a new socket.
    if (this.ws && this.wsToken !== undefined && this.wsToken !== this.tokens.get()?.accessToken) this.close();
    this.ws ??= this.createWsClient(websocketUrl(this.url), () => {
      this.wsToken = this.tokens.get()?.accessToken;
      return this.authHeaders();
    });
    this.ws
      .then((client) => {
        if (cancelled) return;
        unsubscribe = client.subscribe<TResult>(
          { query: document, variables },
          {
            next: (result) => {
              if (result.errors?.length) sink.error?.(new GraphQLRequestError([...result.errors] as GraphQLErrorItem[]));
              else if (result.data) sink.next(result.data);
            },
            error: (error) => {
              const errors = Array.isArray(error) ? (error as GraphQLErrorItem[]) : null;
              sink.error?.(errors ? new GraphQLRequestError(errors) : error);
            },
            complete: () => sink.complete?.(),
          },
        );
      })
      .catch((error: unknown) => sink.error?.(error));
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }

  /** Closes the WebSocket, if one is open. */
  close(): void {
    const ws = this.ws;
    this.ws = null;
    this.wsToken = undefined;
    void ws?.then((client) => client.dispose()).catch(() => undefined);
  }
}
