import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { ROLES } from '../api/models';
import { RequireAuth } from '../auth/RequireAuth';
import { jsonResponse, renderWithApp } from '../test/render';
import { shipperUser } from '../test/fixtures';
import { AppLayout } from './AppLayout';
import { activeNavKey, navItemsFor, type NavItem } from './navigation';

describe('side navigation', () => {
  it('shows Waybills to every role', () => {
    for (const role of ROLES) expect(navItemsFor(role).map((item) => item.key)).toContain('waybills');
  });

  it('hides items from roles they are not for', () => {
    const items: NavItem[] = [
      { key: 'waybills', path: '/waybills', labelKey: 'nav.waybills', icon: null, roles: 'all' },
      { key: 'gate', path: '/gate', labelKey: 'nav.gate', icon: null, roles: ['gate_operator', 'admin'] },
    ];
    expect(navItemsFor('shipper', items).map((item) => item.key)).toEqual(['waybills']);
    expect(navItemsFor('gate_operator', items).map((item) => item.key)).toEqual(['waybills', 'gate']);
  });

  it('marks the section of nested pages', () => {
    expect(activeNavKey('/waybills/YD1')).toBe('waybills');
    expect(activeNavKey('/waybillsX')).toBeUndefined();
  });

  it('renders header, user menu and navigation for the signed-in user', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse(shipperUser));
    renderWithApp(
      <Routes>
        <Route element={<RequireAuth />}>
          <Route element={<AppLayout />}>
            <Route path="/waybills" element={<p>list</p>} />
          </Route>
        </Route>
        <Route path="/login" element={<p>login page</p>} />
      </Routes>,
      { route: '/waybills', tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock },
    );

    expect(await screen.findByText('一单 Yidan')).toBeInTheDocument();
    expect(screen.getByText('宁波远洋货运 · 货主')).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: /运单/ })).toBeInTheDocument();
    expect(screen.getByText('list')).toBeInTheDocument();
    expect(String(fetchMock.mock.calls[0]![0])).toBe('/api/v1/me');
  });

  it('sends visitors without a session to the login page', async () => {
    renderWithApp(
      <Routes>
        <Route element={<RequireAuth />}>
          <Route path="/waybills" element={<p>list</p>} />
        </Route>
        <Route path="/login" element={<p>login page</p>} />
      </Routes>,
      { route: '/waybills' },
    );
    expect(await screen.findByText('login page')).toBeInTheDocument();
  });
});
