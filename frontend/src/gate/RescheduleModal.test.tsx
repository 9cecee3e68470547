import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Appointment, Gate, GatePass, Slot } from '../api/models';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { dayjs } from '../time/dayjs';
import { rescheduleField, RescheduleModal } from './RescheduleModal';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };
const gates: Gate[] = [
  { code: 'CNNGB-NBCT-G1', terminal_code: 'CNNGB-NBCT', name: 'Main Gate', name_zh: '主闸口', lanes: 14, geofence: {} },
  { code: 'CNNGB-NBCT-G2', terminal_code: 'CNNGB-NBCT', name: 'East Gate', name_zh: '东闸口', lanes: 8, geofence: {} },
  { code: 'CNTAO-QQCT-G1', terminal_code: 'CNTAO-QQCT', name: 'Main Gate', name_zh: '前湾主闸口', lanes: 10, geofence: {} },
];

// tomorrow in port time, so every slot is still to come
const tomorrow = dayjs().tz('Asia/Shanghai').add(1, 'day').format('YYYY-MM-DD');
function slot(hour: number, booked: number, capacity = 4): Slot {
  const start = dayjs.tz(`${tomorrow} 00:00`, 'Asia/Shanghai').add(hour, 'hour');
  return {
    id: `slot-${hour}`,
    gate_code: 'CNNGB-NBCT-G1',
    starts_at: start.toISOString(),
    ends_at: start.add(1, 'hour').toISOString(),
    capacity,
    booked,
    available: capacity - booked,
  };
}

function pass(id: string, status: 'active' | 'revoked'): GatePass {
  return {
    id,
    appointment_id: 'a-1',
    gate_code: 'CNNGB-NBCT-G1',
    scope: 'in',
    valid_from: '2026-11-24T01:30:00Z',
    valid_to: '2026-11-24T03:30:00Z',
    truck_plate: '浙B3K721',
    container_number: 'DHSU1000091',
    key_id: 'k1',
    status,
    issued_at: '2026-11-23T08:00:00Z',
    revoked_at: null,
    revoke_reason: null,
    token: `token-${id}`,
    qr_png_url: `/api/v1/gates/passes/${id}/qr.png`,
    qr_svg_url: `/api/v1/gates/passes/${id}/qr.svg`,
    pdf_url: `/api/v1/gates/passes/${id}/pass.pdf`,
    driver_url: `https://yidan.example/p/${id}`,
    driver_message: `【一单】浙B3K721 通行证 https://yidan.example/p/${id}`,
  } as GatePass;
}

const appointment: Appointment = {
  id: 'a-1',
  reference: 'GA260000002',
  status: 'confirmed',
  kind: 'dropoff',
  gate_code: 'CNNGB-NBCT-G1',
  terminal_code: 'CNNGB-NBCT',
  slot: slot(10, 2),
  waybill_number: 'YD2600000012',
  leg_seq: 1,
  truck_plate: '浙B3K721',
  driver: { name: '陈伟 Chen Wei', phone: '+8613957426630', licence: '330206198811203517' },
  container_number: 'DHSU1000091',
  dangerous_goods: false,
  created_at: '2026-11-23T08:00:00Z',
  updated_at: '2026-11-23T08:00:00Z',
  gate_pass: pass('p-old', 'active'),
};

/** The button of a slot choice (the radio inside it takes no pointer). */
async function pick(dialog: HTMLElement, name: string): Promise<HTMLElement> {
  return (await within(dialog).findByRole('radio', { name })).closest('label')!;
}

describe('rescheduleField', () => {
  it('puts errors about the whole request on the slot', () => {
    expect(rescheduleField('body')).toBe('slot_id');
    expect(rescheduleField('body.slot_id')).toBe('slot_id');
    expect(rescheduleField('body.reason')).toBe('reason');
    expect(rescheduleField('body.driver.phone')).toBeNull();
  });
});

describe('RescheduleModal', () => {
  it('moves the appointment to a free slot and shows the new pass, saying the old one is revoked', async () => {
    URL.createObjectURL = vi.fn(() => 'blob:qr/new');
    let slotCalls = 0;
    const posts: unknown[] = [];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/reschedule')) {
        posts.push(JSON.parse(String(init!.body)));
        if (posts.length === 1) {
          return problemResponse(409, { title: 'Conflict', code: 'slot_full', detail: 'slot 2026-11-24 04:00Z at CNNGB-NBCT-G1 is full (4 trucks)' });
        }
        return jsonResponse({ ...appointment, slot: slot(13, 1), gate_pass: pass('p-new', 'active'), updated_at: '2026-11-23T09:00:00Z' });
      }
      if (url.endsWith('/qr.svg')) return new Response('<svg/>', { headers: { 'Content-Type': 'image/svg+xml' } });
      if (url.includes('/slots')) {
        slotCalls += 1;
        // the second look finds 12:00 taken in the meantime
        return jsonResponse(slotCalls === 1 ? [slot(10, 2), slot(11, 4), slot(12, 3), slot(13, 0)] : [slot(10, 1), slot(11, 4), slot(12, 4), slot(13, 0)]);
      }
      if (url.endsWith('/gates')) return jsonResponse(gates);
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<RescheduleModal appointment={appointment} onClose={vi.fn()} />, { tokens: TOKENS, fetch: fetchMock });

    const dialog = await screen.findByRole('dialog', { name: '改约 GA260000002' });
    expect(within(dialog).getByText(`${tomorrow.slice(5)} 10:00–11:00 · CNNGB-NBCT-G1`)).toBeInTheDocument();
    // the current slot and a full one cannot be chosen
    expect(await within(dialog).findByRole('radio', { name: '10:00 · 当前' })).toBeDisabled();
    expect(within(dialog).getByRole('radio', { name: '11:00 · 余 0' })).toBeDisabled();

    await user.click(await pick(dialog, '12:00 · 余 1'));
    await user.type(within(dialog).getByLabelText('改约原因（可选，记入审计日志）'), '车辆晚到');
    await user.click(within(dialog).getByRole('button', { name: /改约并签发新通行证/ }));

    // taken meanwhile: said on the slot field, and the slots are looked up again
    expect(await within(dialog).findByText('该时段刚刚约满，请另选一个')).toBeInTheDocument();
    expect(await within(dialog).findByRole('radio', { name: '12:00 · 余 0' })).toBeDisabled();

    await user.click(await pick(dialog, '13:00 · 余 4'));
    await user.click(within(dialog).getByRole('button', { name: /改约并签发新通行证/ }));

    expect(await within(dialog).findByText(`已改约到 ${tomorrow.slice(5)} 13:00–14:00 · CNNGB-NBCT-G1，新通行证已签发`)).toBeInTheDocument();
    expect(within(dialog).getByText('旧通行证已吊销，在闸口扫码将被拒绝。请把下面的新通行证发给司机。')).toBeInTheDocument();
    expect(posts).toEqual([
      { slot_id: 'slot-12', reason: '车辆晚到' },
      { slot_id: 'slot-13', reason: '车辆晚到' },
    ]);
    const qr = await within(dialog).findByRole('img', { name: '车辆 浙B3K721 的通行证二维码' });
    expect(qr).toHaveAttribute('src', 'blob:qr/new');
    expect(fetchMock.mock.calls.map(([url]) => String(url))).toContain('/api/v1/gates/passes/p-new/qr.svg');
    expect(within(dialog).getByText(/https:\/\/yidan\.example\/p\/p-new/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: /完\s*成/ })).toHaveFocus();
  });

  it('offers only gates of the same terminal and explains other refusals', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = String(input);
      if (url.endsWith('/reschedule')) {
        return problemResponse(409, { title: 'Illegal status transition', code: 'illegal_transition', detail: 'appointment GA260000002 is arrived; only confirmed ones can change' });
      }
      if (url.includes('/slots')) return jsonResponse([slot(10, 2), slot(12, 0)]);
      if (url.endsWith('/gates')) return jsonResponse(gates);
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<RescheduleModal appointment={appointment} onClose={vi.fn()} />, { tokens: TOKENS, fetch: fetchMock, language: 'en' });

    const dialog = await screen.findByRole('dialog', { name: 'Reschedule GA260000002' });
    expect(within(dialog).getByText('Any gate of terminal CNNGB-NBCT')).toBeInTheDocument();
    await user.click(within(dialog).getByLabelText('Gate'));
    await screen.findAllByRole('option');
    const options = [...document.querySelectorAll('.ant-select-item-option-content')].map((option) => option.textContent);
    expect(options).toEqual(['Main Gate · CNNGB-NBCT-G1', 'East Gate · CNNGB-NBCT-G2']);
    await user.keyboard('{Escape}');

    await user.click(within(dialog).getByRole('button', { name: /Reschedule and issue a new pass/ }));
    expect(await within(dialog).findByText('Choose a new slot with free places')).toBeInTheDocument();

    await user.click(await pick(dialog, '12:00 · 4 free'));
    await user.click(within(dialog).getByRole('button', { name: /Reschedule and issue a new pass/ }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('appointment GA260000002 is arrived; only confirmed ones can change');
  });
});
