import { createContext, useContext, useMemo, type ReactNode } from 'react';
import { useApi } from '../api/ApiContext';
import { GraphQLClient } from './client';

const GraphQLContext = createContext<GraphQLClient | null>(null);
const clients = new WeakMap<object, GraphQLClient>();

/** Provides a GraphQL client; without one, a client sharing the REST client's session is made. */
export function GraphQLProvider({ client, children }: { client?: GraphQLClient; children: ReactNode }) {
  return <GraphQLContext.Provider value={client ?? null}>{children}</GraphQLContext.Provider>;
}

/** The GraphQL client of the nearest provider, else one bound to the REST client's token store. */
export function useGraphQL(): GraphQLClient {
  const provided = useContext(GraphQLContext);
  const api = useApi();
  return useMemo(() => {
    if (provided) return provided;
    let client = clients.get(api.tokens);
    if (!client) {
      client = new GraphQLClient({ tokens: api.tokens });
      clients.set(api.tokens, client);
    }
    return client;
  }, [provided, api]);
}
