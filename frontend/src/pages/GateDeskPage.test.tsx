import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Me, Role } from '../api/models';
import { jsonResponse, renderWithApp } from '../test/render';
import { dayjs } from '../time/dayjs';
import { GateDeskPage } from './GateDeskPage';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };
const GATE = 'CNNGB-NBCT-G1';
const gate = { code: GATE, terminal_code: 'CNNGB-NBCT', name: 'Main Gate', name_zh: '主闸口', lanes: 2, geofence: {} };
const start = dayjs().tz('Asia/Shanghai').add(1, 'hour').startOf('hour');
const slot = {
  id: 'slot-1',
  gate_code: GATE,
  starts_at: start.toISOString(),
  ends_at: start.add(1, 'hour').toISOString(),
  capacity: 8,
  booked: 1,
  available: 7,
};
const appointment = {
  id: 'a-1',
  reference: 'GA260000002',
  status: 'confirmed',
  kind: 'dropoff',
  gate_code: GATE,
  terminal_code: 'CNNGB-NBCT',
  slot,
  waybill_number: 'YD2600000012',
  leg_seq: 1,
  truck_plate: '浙B3K721',
  driver: { name: '陈伟', phone: '+8613957426630', licence: '330206198811203517' },
  container_number: 'DHSU1000091',
  dangerous_goods: false,
  created_at: '2026-11-23T08:00:00Z',
  updated_at: '2026-11-23T08:00:00Z',
  gate_pass: null,
};

function user(role: Role): Me {
  return { id: 'u-9', email: 'gate@beilun.demo', name: '港区闸口', role, organisation: { id: 'o-9', name: 'Ningbo Beilun Terminal Operations', kind: 'terminal' }, scopes: [] };
}

function backend(role: Role) {
  return vi.fn<typeof fetch>(async (input) => {
    const url = String(input);
    if (url.endsWith('/me')) return jsonResponse(user(role));
    if (url.endsWith('/gates')) return jsonResponse([gate]);
    if (url.includes(`/gates/${GATE}/slots`)) return jsonResponse([slot]);
    if (url.includes(`/gates/${GATE}/appointments`)) return jsonResponse([appointment]);
    if (url.includes(`/gates/${GATE}/lanes`)) return jsonResponse([{ code: '1', direction: 'in', is_open: true }]);
    return jsonResponse([]);
  });
}

describe('GateDeskPage', () => {
  it("gives a terminal's operators a tab to publish slots, change capacity and publish lanes", async () => {
    const interaction = userEvent.setup();
    renderWithApp(<GateDeskPage />, { route: `/gate?gate=${GATE}`, tokens: TOKENS, fetch: backend('port_operator') });

    await interaction.click(await screen.findByRole('tab', { name: '发布时段与车道' }));
    expect(await screen.findByText('发布预约时段')).toBeInTheDocument();
    const time = `${start.format('HH:mm')}–${start.add(1, 'hour').format('HH:mm')}`;
    expect(await screen.findByRole('button', { name: `修改 ${time} 的容量` })).toBeInTheDocument();
    expect(await screen.findByLabelText('车道代码 · 第 1 行')).toHaveValue('1');
  });

  it('keeps publishing to operators, and lets the desk reschedule a confirmed appointment', async () => {
    const interaction = userEvent.setup();
    renderWithApp(<GateDeskPage />, { route: `/gate?gate=${GATE}`, tokens: TOKENS, fetch: backend('admin') });

    const row = (await screen.findByText('GA260000002')).closest('tr')!;
    expect(screen.queryByRole('tab', { name: '发布时段与车道' })).not.toBeInTheDocument();
    await interaction.click(within(row).getByRole('button', { name: '改约 GA260000002' }));
    // antd gives every id the same value under test, so the dialog is found by its title text
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('改约 GA260000002')).toBeInTheDocument();
    expect(await within(dialog).findByText('改约并签发新通行证')).toBeInTheDocument();
  });
});
