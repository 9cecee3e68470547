import type { TokenResponse } from '../api/models';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

type Listener = (tokens: Tokens | null) => void;

/** Where the session's tokens live; the API client and the auth context share one. */
export interface TokenStore {
  get(): Tokens | null;
  set(tokens: Tokens): void;
  clear(): void;
  subscribe(listener: Listener): () => void;
}

export const ACCESS_TOKEN_KEY = 'yidan.accessToken';
export const REFRESH_TOKEN_KEY = 'yidan.refreshToken';

/** Converts the token endpoint's answer to what the store keeps. */
export function tokensFromResponse(response: TokenResponse): Tokens {
  return { accessToken: response.access_token, refreshToken: response.refresh_token };
}

/** A token store backed by localStorage, so a reload keeps the session and other tabs follow a logout. */
export function createLocalStorageTokenStore(storage: Storage = window.localStorage): TokenStore {
  const listeners = new Set<Listener>();

  const read = (): Tokens | null => {
    const accessToken = storage.getItem(ACCESS_TOKEN_KEY);
    const refreshToken = storage.getItem(REFRESH_TOKEN_KEY);
    return accessToken && refreshToken ? { accessToken, refreshToken } : null;
  };
  const notify = () => {
    const tokens = read();
    listeners.forEach((listener) => listener(tokens));
  };

  if (typeof window !== 'undefined') {
    window.addEventListener('storage', (event) => {
      if (event.key === null || event.key === ACCESS_TOKEN_KEY || event.key === REFRESH_TOKEN_KEY) notify();
    });
  }

  return {
    get: read,
    set(tokens) {
      storage.setItem(ACCESS_TOKEN_KEY, tokens.accessToken);
      storage.setItem(REFRESH_TOKEN_KEY, tokens.refreshToken);
      notify();
    },
    clear() {
      const had = read() !== null;
      storage.removeItem(ACCESS_TOKEN_KEY);
      storage.removeItem(REFRESH_TOKEN_KEY);
      if (had) notify();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A token store held in memory, for tests and for pages that must not touch the session. */
export function createMemoryTokenStore(initial: Tokens | null = null): TokenStore {
  let tokens = initial;
  const listeners = new Set<Listener>();
  return {
    get: () => tokens,
    set(next) {
      tokens = next;
      listeners.forEach((listener) => listener(tokens));
    },
    clear() {
      const had = tokens !== null;
      tokens = null;
      if (had) listeners.forEach((listener) => listener(null));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
