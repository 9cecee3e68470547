import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Slot } from '../api/models';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { SlotCalendar } from './SlotCalendar';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };

const slot: Slot = {
  id: 'slot-10',
  gate_code: 'CNNGB-NBCT-G1',
  // 10:00–11:00 in Asia/Shanghai
  starts_at: '2026-11-24T02:00:00Z',
  ends_at: '2026-11-24T03:00:00Z',
  capacity: 8,
  booked: 3,
  available: 5,
};

describe('SlotCalendar', () => {
  it('is read-only unless the desk may edit it', async () => {
    renderWithApp(<SlotCalendar slots={[slot]} timeZone="Asia/Shanghai" />, { tokens: TOKENS });
    expect(await screen.findByText('10:00–11:00')).toBeInTheDocument();
    expect(screen.getByText('已约 3 / 8')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: '修改 10:00–11:00 的容量' })).not.toBeInTheDocument();
  });

  it("changes a slot's capacity in place and shows the server's refusal on the field", async () => {
    const patches: unknown[] = [];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/gates/slots/slot-10') && init?.method === 'PATCH') {
        patches.push(JSON.parse(String(init.body)));
        if (patches.length === 1) {
          return problemResponse(409, {
            title: 'Conflict',
            code: 'capacity_below_booked',
            detail: 'slot slot-10 already has 3 trucks booked; capacity cannot go below that',
          });
        }
        return jsonResponse({ ...slot, capacity: 12, available: 9 });
      }
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<SlotCalendar slots={[slot]} timeZone="Asia/Shanghai" editable />, { tokens: TOKENS, fetch: fetchMock });

    const edit = await screen.findByRole('button', { name: '修改 10:00–11:00 的容量' });
    await user.click(edit);
    const field = screen.getByRole('spinbutton', { name: '10:00–11:00 的容量' });
    expect(field).toHaveFocus();
    expect(field).toHaveValue('8');

    // below what is booked: the API refuses, and says so on the field
    await user.clear(field);
    await user.type(field, '2{Enter}');
    expect(await screen.findByText('已约 3 车次，容量不能低于此数')).toBeInTheDocument();
    expect(patches[0]).toEqual({ capacity: 2 });
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription('已约 3 车次，容量不能低于此数');
    expect(field.closest('.ant-form-item')).toHaveClass('ant-form-item-has-error');

    await user.clear(field);
    await user.type(field, '12');
    await user.click(screen.getByRole('button', { name: '保存容量' }));
    expect(await screen.findByText('10:00–11:00 的容量已改为 12')).toBeInTheDocument();
    expect(patches[1]).toEqual({ capacity: 12 });
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: '修改 10:00–11:00 的容量' })).toHaveFocus();
  });

  it('leaves the capacity as it was on Escape', async () => {
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse([]));
    const user = userEvent.setup();
    renderWithApp(<SlotCalendar slots={[slot]} timeZone="Asia/Shanghai" editable />, { tokens: TOKENS, fetch: fetchMock, language: 'en' });

    await user.click(await screen.findByRole('button', { name: 'Change capacity of 10:00–11:00' }));
    const field = screen.getByRole('spinbutton', { name: 'Capacity of 10:00–11:00' });
    await user.clear(field);
    await user.type(field, '1{Escape}');
    expect(screen.queryByRole('spinbutton')).not.toBeInTheDocument();
    const tile = screen.getByText('10:00–11:00').closest('li')!;
    expect(within(tile).getByRole('button', { name: 'Change capacity of 10:00–11:00' })).toHaveFocus();
    expect(fetchMock.mock.calls.filter(([, init]) => init?.method === 'PATCH')).toHaveLength(0);
  });
});
