import { screen } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { publicTracking } from '../test/fixtures';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { TrackingPage } from './TrackingPage';

function renderTracking(route: string, fetchMock: ReturnType<typeof vi.fn<typeof fetch>>) {
  return renderWithApp(
    <Routes>
      <Route path="/track/:number" element={<TrackingPage />} />
    </Routes>,
    { route, fetch: fetchMock },
  );
}

describe('TrackingPage', () => {
  it('loads public tracking with the key from the QR link and no session', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse(publicTracking));
    const { container } = renderTracking('/track/YD2025000017?k=Zk9%2Bq', fetchMock);

    expect(await screen.findByRole('heading', { name: 'YD2025000017' })).toBeInTheDocument();
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/api/v1/public/track/YD2025000017?k=Zk9%2Bq');
    expect((init?.headers as Record<string, string>).Authorization).toBeUndefined();
    expect(screen.getByText('海运 · 第 1 段')).toBeInTheDocument();
    expect(screen.getByText('预计到达')).toBeInTheDocument();
    expect(container.querySelectorAll('.event-timeline .event')).toHaveLength(2);
  });

  it('explains a link without its key instead of calling the API', () => {
    const fetchMock = vi.fn<typeof fetch>();
    renderTracking('/track/YD2025000017', fetchMock);
    expect(screen.getByText('追踪链接不完整，请扫描电子运单上的二维码重新打开。')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('says so when the number and key do not match a waybill', async () => {
    renderTracking('/track/YD0?k=bad', vi.fn<typeof fetch>(async () => problemResponse(404, { title: 'Not Found', code: 'not_found' })));
    expect(await screen.findByText('未找到该运单，或追踪链接已失效。')).toBeInTheDocument();
  });
});
