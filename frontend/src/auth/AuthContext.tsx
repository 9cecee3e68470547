import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useApi } from '../api/ApiContext';
import { fetchMe, queryKeys } from '../api/endpoints';
import type { ApiError } from '../api/problem';
import type { Me } from '../api/models';

export interface AuthState {
  /** Tokens are held (the user may still be loading). */
  isSignedIn: boolean;
  user: Me | null;
  isLoadingUser: boolean;
  userError: ApiError | null;
  /** The last session ended because its refresh token was refused, not by signing out. */
  sessionExpired: boolean;
  login: (email: string, password: string) => Promise<void>;
  logout: () => void;
  reloadUser: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [isSignedIn, setSignedIn] = useState(() => api.tokens.get() !== null);
  const [sessionExpired, setSessionExpired] = useState(false);
  const signingOut = useRef(false);

  useEffect(
    () =>
      api.tokens.subscribe((tokens) => {
        const signedIn = tokens !== null;
        setSignedIn(signedIn);
        if (!signedIn) {
          // Whatever was cached belonged to the session that just ended.
          queryClient.clear();
          setSessionExpired(!signingOut.current);
          signingOut.current = false;
        }
      }),
    [api, queryClient],
  );

  const me = useQuery<Me, ApiError>({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => fetchMe(api, signal),
    enabled: isSignedIn,
    staleTime: 5 * 60_000,
  });

  const login = useCallback(
    async (email: string, password: string) => {
      await api.login(email, password);
      setSessionExpired(false);
      await queryClient.invalidateQueries({ queryKey: queryKeys.me });
    },
    [api, queryClient],
  );

  const logout = useCallback(() => {
    signingOut.current = true;
    api.logout();
    setSessionExpired(false);
  }, [api]);

  const { refetch } = me;
  const reloadUser = useCallback(() => void refetch(), [refetch]);

  const value = useMemo<AuthState>(
    () => ({
      isSignedIn,
      user: isSignedIn ? (me.data ?? null) : null,
      isLoadingUser: isSignedIn && me.isPending,
      userError: isSignedIn ? (me.error ?? null) : null,
      sessionExpired,
      login,
      logout,
      reloadUser,
    }),
    [isSignedIn, me.data, me.isPending, me.error, sessionExpired, login, logout, reloadUser],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth needs an AuthProvider');
  return state;
}
