import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { summary } from '../test/fixtures';
import { jsonResponse, renderWithApp } from '../test/render';
import { WaybillListPage } from './WaybillListPage';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };

function renderList(fetchMock: ReturnType<typeof vi.fn<typeof fetch>>, route = '/waybills') {
  return renderWithApp(
    <Routes>
      <Route path="/waybills" element={<WaybillListPage />} />
    </Routes>,
    { route, tokens: TOKENS, fetch: fetchMock },
  );
}

const urlOf = (call: Parameters<typeof fetch>) => new URL(String(call[0]), 'http://app.test');
/** The list requests made (the session's /me request is left out). */
const listCalls = (fetchMock: ReturnType<typeof vi.fn<typeof fetch>>) =>
  fetchMock.mock.calls.map(urlOf).filter((url) => url.pathname === '/api/v1/waybills');

describe('WaybillListPage', () => {
  it('lists waybills with coloured status, DG marker, modes and Beijing time, then loads more by cursor', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = new URL(String(input), 'http://app.test');
      if (url.searchParams.get('cursor') === 'c2') {
        return jsonResponse({ items: [summary({ number: 'YD2025000099', status: 'delivered' })], next_cursor: null });
      }
      return jsonResponse({
        items: [summary(), summary({ number: 'YD2025000020', status: 'booked', dangerous_goods: true })],
        next_cursor: 'c2',
      });
    });
    renderList(fetchMock);

    const first = await screen.findByRole('link', { name: 'YD2025000017' });
    const row = first.closest('tr')!;
    expect(within(row).getByText('运输中')).toHaveClass('ant-tag-processing');
    expect(within(row).getByText('2025-03-03 00:30')).toBeInTheDocument(); // 16:30 UTC = 00:30 next day in Shanghai
    expect(within(row).getByRole('img', { name: '海运' })).toBeInTheDocument();
    expect(within(row).queryByText('危险品')).toBeNull();
    const dgRow = screen.getByRole('link', { name: 'YD2025000020' }).closest('tr')!;
    expect(within(dgRow).getByText('危险品')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: '加载更多' }));

    expect(await screen.findByRole('link', { name: 'YD2025000099' })).toBeInTheDocument();
    expect(screen.getByText('已全部加载')).toBeInTheDocument();
    const calls = listCalls(fetchMock);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.searchParams.get('cursor')).toBeNull();
    expect(calls[0]!.searchParams.get('limit')).toBe('25');
    expect(calls[1]!.searchParams.get('cursor')).toBe('c2');
  });

  it('passes the status filter and search text to the API', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse({ items: [summary()], next_cursor: null }));
    renderList(fetchMock, '/waybills?status=in_transit');

    await screen.findByRole('link', { name: 'YD2025000017' });
    expect(listCalls(fetchMock)[0]!.searchParams.get('status')).toBe('in_transit');

    await user.type(screen.getByRole('searchbox'), 'MSCU6639871{Enter}');

    await waitFor(() => expect(listCalls(fetchMock)).toHaveLength(2));
    const second = listCalls(fetchMock)[1]!;
    expect(second.searchParams.get('q')).toBe('MSCU6639871');
    expect(second.searchParams.get('status')).toBe('in_transit');
  });

  it('shows the problem detail when the list cannot be loaded', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () =>
      jsonResponse({ title: 'Service unavailable', detail: '数据库暂时不可用', code: 'db_unavailable', status: 503 }, 503),
    );
    renderList(fetchMock);
    expect(await screen.findByRole('alert')).toHaveTextContent('数据库暂时不可用');
  });
});
