import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { waybillDetail } from '../test/fixtures';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { WaybillDetailPage } from './WaybillDetailPage';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };

function renderDetail(fetchMock: ReturnType<typeof vi.fn<typeof fetch>>, language: 'zh-CN' | 'en' = 'zh-CN') {
  return renderWithApp(
    <Routes>
      <Route path="/waybills/:number" element={<WaybillDetailPage />} />
    </Routes>,
    { route: '/waybills/YD2025000017', tokens: TOKENS, fetch: fetchMock, language },
  );
}

describe('WaybillDetailPage', () => {
  it('shows header, parties, legs, DG-highlighted cargo, containers and classified events', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse(waybillDetail));
    const { container } = renderDetail(fetchMock);

    expect(await screen.findByRole('heading', { name: 'YD2025000017' })).toBeInTheDocument();
    expect(fetchMock.mock.calls.map(([input]) => String(input))).toContain('/api/v1/waybills/YD2025000017');
    expect(screen.getAllByText('运输中')[0]).toHaveClass('ant-tag-processing');
    expect(screen.getByText('本运单含危险品，请遵守全程危险品管控要求。')).toBeInTheDocument();

    // parties in shipper, consignee order
    const partyTitles = [...container.querySelectorAll('.party-card .ant-card-head-title')].map((node) => node.textContent);
    expect(partyTitles).toEqual(['发货人', '收货人']);

    // legs with mode labels and Chinese place names
    expect(screen.getByText('海运 · 第 1 段')).toBeInTheDocument();
    expect(screen.getByText('铁路 · 第 2 段')).toBeInTheDocument();
    expect(screen.getByText(/上海 \(CNSHA\) · Yangshan → 宁波 \(CNNGB\)/)).toBeInTheDocument();
    expect(screen.getByText(/XIN NING BO · 航次 125E/)).toBeInTheDocument();

    // the DG line is highlighted, the other is not
    const dgRow = screen.getByText('Lithium ion batteries').closest('tr')!;
    expect(dgRow).toHaveClass('cargo-row--dg');
    expect(within(dgRow).getByText(/UN3480 · 类别 9 · PG II/)).toBeInTheDocument();
    expect(screen.getByText('Machine parts').closest('tr')).not.toHaveClass('cargo-row--dg');

    expect(screen.getByText('MSCU6639871')).toBeInTheDocument();

    // events in time order, each with its classifier
    const events = [...container.querySelectorAll('.event-timeline .event')];
    expect(events.map((node) => node.className.match(/event--(\w+)/)?.[1])).toEqual(['ACT', 'EST', 'PLN']);
    expect(events[0]).toHaveTextContent('进闸');
    expect(events[0]).toHaveTextContent('实际');
    expect(events[0]).toHaveTextContent('2025-03-01 07:30');
    expect(events[1]).toHaveTextContent('预计');
    expect(events[2]).toHaveTextContent('计划');
  });

  it('uses English labels and Latin place names in English', async () => {
    renderDetail(vi.fn<typeof fetch>(async () => jsonResponse(waybillDetail)), 'en');
    expect(await screen.findByText('Sea · Leg 1')).toBeInTheDocument();
    expect(screen.getByText(/Shanghai \(CNSHA\) · Yangshan → Ningbo \(CNNGB\)/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Download e-waybill/ })).toBeInTheDocument();
  });

  it('fetches the PDF with the token and opens it', async () => {
    const user = userEvent.setup();
    const tab = { closed: false, close: vi.fn(), location: { href: '' } };
    vi.spyOn(window, 'open').mockReturnValue(tab as unknown as Window);
    URL.createObjectURL = vi.fn(() => 'blob:yidan/1');
    URL.revokeObjectURL = vi.fn();
    const fetchMock = vi.fn<typeof fetch>(async (input) =>
      String(input).endsWith('/document.pdf')
        ? new Response('%PDF-1.7', { headers: { 'Content-Type': 'application/pdf' } })
        : jsonResponse(waybillDetail),
    );
    renderDetail(fetchMock);

    await user.click(await screen.findByRole('button', { name: /下载电子运单/ }));

    await vi.waitFor(() => expect(tab.location.href).toBe('blob:yidan/1'));
    const [url, init] = fetchMock.mock.calls.find(([input]) => String(input).endsWith('/document.pdf'))!;
    expect(url).toBe('/api/v1/waybills/YD2025000017/document.pdf');
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer a');
  });

  it('shows not found for a waybill the user may not see', async () => {
    renderDetail(vi.fn<typeof fetch>(async () => problemResponse(404, { title: 'Not Found', code: 'not_found' })));
    expect(await screen.findByText('页面不存在')).toBeInTheDocument();
  });
});
