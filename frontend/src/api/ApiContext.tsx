import { createContext, useContext, type ReactNode } from 'react';
import { ApiClient } from './client';
import { createLocalStorageTokenStore } from '../auth/tokenStore';

let defaultClient: ApiClient | null = null;

/** The app's client, with tokens in localStorage; made on first use. */
export function getDefaultApiClient(): ApiClient {
  defaultClient ??= new ApiClient({ tokens: createLocalStorageTokenStore() });
  return defaultClient;
}

const ApiContext = createContext<ApiClient | null>(null);

export function ApiProvider({ client, children }: { client?: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client ?? getDefaultApiClient()}>{children}</ApiContext.Provider>;
}

/** The API client of the nearest ApiProvider (the default client without one). */
export function useApi(): ApiClient {
  return useContext(ApiContext) ?? getDefaultApiClient();
}
