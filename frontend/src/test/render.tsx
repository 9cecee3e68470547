import { render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi, type Mock } from 'vitest';
import { ApiClient } from '../api/client';
import { AppProviders } from '../AppProviders';
import { createMemoryTokenStore, type Tokens } from '../auth/tokenStore';
import { createI18n, type Language } from '../i18n';
import { createQueryClient } from '../queryClient';

export type FetchMock = Mock<typeof fetch>;

/** A JSON response as the API would send it. */
export function jsonResponse(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

/** A problem+json response. */
export function problemResponse(status: number, problem: Record<string, unknown>): Response {
  return jsonResponse({ type: 'about:blank', status, ...problem }, status, 'application/problem+json');
}

export interface RenderOptions {
  route?: string;
  tokens?: Tokens | null;
  language?: Language;
  fetch?: FetchMock;
}

/** Renders inside the app's providers with a memory router, memory tokens and a mocked fetch. */
export function renderWithApp(ui: ReactElement, options: RenderOptions = {}): RenderResult & { fetch: FetchMock; api: ApiClient } {
  const fetchMock = options.fetch ?? vi.fn<typeof fetch>();
  const api = new ApiClient({ tokens: createMemoryTokenStore(options.tokens ?? null), fetch: fetchMock });
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ queries: { retry: false, staleTime: Infinity } });
  const i18n = createI18n(options.language ?? 'zh-CN');
  const result = render(
    <MemoryRouter initialEntries={[options.route ?? '/']}>
      <AppProviders i18n={i18n} queryClient={queryClient} api={api}>
        {ui}
      </AppProviders>
    </MemoryRouter>,
  );
  return { ...result, fetch: fetchMock, api };
}
