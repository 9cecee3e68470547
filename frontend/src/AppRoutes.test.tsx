import { screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { AppRoutes } from './AppRoutes';
import { publicTracking, shipperUser, summary } from './test/fixtures';
import { jsonResponse, renderWithApp } from './test/render';

describe('routes', () => {
  it('sends a visitor without a session from / to the sign-in page', async () => {
    renderWithApp(<AppRoutes />, { route: '/' });
    expect(await screen.findByRole('button', { name: /登\s*录/ })).toBeInTheDocument();
  });

  it('opens public tracking without a session', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse(publicTracking));
    renderWithApp(<AppRoutes />, { route: '/track/YD2025000017?k=abc', fetch: fetchMock });
    expect(await screen.findByText('货物追踪')).toBeInTheDocument();
    expect(await screen.findByRole('heading', { name: 'YD2025000017' })).toBeInTheDocument();
  });

  it('takes a signed-in user from / to the waybill list inside the layout', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/me') ? jsonResponse(shipperUser) : jsonResponse({ items: [summary()], next_cursor: null }),
    );
    renderWithApp(<AppRoutes />, { route: '/', tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    // The list page is a lazy route: its first import under a busy test runner can take a while.
    expect(await screen.findByRole('link', { name: 'YD2025000017' }, { timeout: 15_000 })).toBeInTheDocument();
    expect(screen.getByText('宁波远洋货运 · 货主')).toBeInTheDocument();
  });
});
