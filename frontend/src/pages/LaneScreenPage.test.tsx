import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithApp } from '../test/render';
import { LaneScreenPage } from './LaneScreenPage';

const gate = { code: 'CNNGB-NBCT-G1', terminal_code: 'CNNGB-NBCT', name: 'Main Gate', name_zh: '主闸口', lanes: 2, geofence: {} };

function transaction(result: 'admit' | 'deny', reasons: { code: string; severity: string; en: string; zh: string }[]) {
  return {
    id: 't-1',
    gate_code: gate.code,
    terminal_code: gate.terminal_code,
    lane: '1',
    direction: 'in',
    result,
    reasons,
    checks: {},
    scanned_at: '2026-11-24T04:00:00Z',
    plate_read: '浙B3K721',
    container_read: 'DHSU1000091',
    pass_id: 'p-1',
    appointment_id: 'a-1',
    appointment_reference: 'GA260000002',
    waybill_number: 'YD1',
    actor: 'gate',
    override_of: null,
    override_reason: null,
    event_ids: [],
  };
}

describe('LaneScreenPage', () => {
  it('checks a wedge-scanned pass on Enter, fills the screen with the answer and is ready for the next truck', async () => {
    const scans: unknown[] = [];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.includes('/scans')) {
        scans.push(JSON.parse(String(init!.body)));
        return jsonResponse(
          scans.length === 1
            ? transaction('admit', [])
            : transaction('deny', [{ code: 'pass_used', severity: 'deny', en: 'This pass was already used.', zh: '此通行证已使用。' }]),
        );
      }
      if (url.includes('/lanes')) return jsonResponse([{ code: '1', direction: 'in', is_open: true }, { code: '2', direction: 'out', is_open: true }]);
      if (url.includes('/gates/appointments')) return jsonResponse([]);
      if (url.endsWith('/gates')) return jsonResponse([gate]);
      return jsonResponse({});
    });
    const user = userEvent.setup();
    renderWithApp(<LaneScreenPage />, { route: `/gate/lane?gate=${gate.code}`, tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });

    const scan = await screen.findByLabelText('扫描通行证');
    await screen.findByText('1 号车道 · 进闸');
    expect(scan).toHaveFocus();

    await user.type(screen.getByLabelText('车牌（车道摄像头识别）'), '浙b3k721');
    await user.click(scan);
    await user.type(scan, 'eyJ.token.sig{Enter}');
    expect(await screen.findByText('放行')).toBeInTheDocument();
    expect(scans[0]).toEqual({ token: 'eyJ.token.sig', plate: '浙B3K721', container: null, lane: '1', direction: 'in' });
    expect(scan).toHaveFocus();
    expect(scan).toHaveValue('');

    // the next truck: a scan without a plate asks for the plate first, keeping the token
    await user.type(scan, 'eyJ.token.sig{Enter}');
    expect(screen.getByLabelText('车牌（车道摄像头识别）')).toHaveFocus();
    await user.type(screen.getByLabelText('车牌（车道摄像头识别）'), '浙B3K721{Enter}');
    expect(await screen.findByText('禁止通行')).toBeInTheDocument();
    expect(screen.getByText('此通行证已使用。')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveAttribute('data-result', 'deny');
  });
});
