import { screen } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Gate } from '../api/models';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { dayjs } from '../time/dayjs';
import { planSlots, publishField, PublishSlotsCard } from './PublishSlots';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };
const G1: Gate = { code: 'CNNGB-NBCT-G1', terminal_code: 'CNNGB-NBCT', name: 'Main Gate', name_zh: '主闸口', lanes: 14, geofence: {} };
const G2: Gate = { code: 'CNNGB-NBCT-G2', terminal_code: 'CNNGB-NBCT', name: 'East Gate', name_zh: '东闸口', lanes: 8, geofence: {} };

// days to come in port time, so the picker offers them
const first = dayjs().tz('Asia/Shanghai').add(2, 'day').format('YYYY-MM-DD');
const second = dayjs().tz('Asia/Shanghai').add(3, 'day').format('YYYY-MM-DD');
const utc = (day: string, hour: number) => dayjs.tz(`${day} 00:00`, 'Asia/Shanghai').add(hour, 'hour').toISOString();

async function chooseDates(user: UserEvent, from: string, to: string) {
  const start = screen.getByPlaceholderText('开始日期');
  await user.click(start);
  await user.paste(from);
  await user.keyboard('{Enter}');
  await user.click(screen.getByPlaceholderText('结束日期'));
  await user.paste(to);
  await user.keyboard('{Enter}');
}

describe('planSlots', () => {
  it('cuts each day of the range into slots between the hours, in the zone', () => {
    const plan = planSlots('2026-11-24', '2026-11-25', 8, 12, 60, 'Asia/Shanghai');
    expect(plan.map((day) => [day.day, day.starts_at, day.ends_at, day.starts.length])).toEqual([
      ['2026-11-24', '2026-11-24T00:00:00.000Z', '2026-11-24T04:00:00.000Z', 4],
      ['2026-11-25', '2026-11-25T00:00:00.000Z', '2026-11-25T04:00:00.000Z', 4],
    ]);
    // until midnight, and a last slot cut short as the API cuts it
    const late = planSlots('2026-11-24', '2026-11-24', 19, 24, 120, 'Asia/Shanghai');
    expect(late[0]).toMatchObject({ starts_at: '2026-11-24T11:00:00.000Z', ends_at: '2026-11-24T16:00:00.000Z' });
    expect(late[0]!.starts).toHaveLength(3);
    expect(planSlots('2026-11-24', '2026-11-24', 12, 8, 60, 'Asia/Shanghai')).toEqual([]);
  });

  it('knows which field a server error is about', () => {
    expect(publishField('body.capacity', 'Input should be greater than or equal to 1')).toBe('capacity');
    expect(publishField('body.slot_minutes', 'that makes 2100 slots')).toBe('slot_minutes');
    expect(publishField('body', 'Value error, ends_at must be after starts_at')).toBe('to_hour');
    expect(publishField('body', 'Value error, publish at most 31 days at a time')).toBe('dates');
  });
});

describe('PublishSlotsCard', () => {
  it('previews the slots, publishes one window a day and says what it made', async () => {
    const posts: { url: string; body: unknown }[] = [];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (init?.method === 'POST') {
        posts.push({ url, body: JSON.parse(String(init.body)) });
        return jsonResponse([], 201);
      }
      // what is already published in the range: the first slot of the first day
      if (url.includes('/slots?')) {
        return jsonResponse([{ id: 's-0', gate_code: G1.code, starts_at: utc(first, 8), ends_at: utc(first, 9), capacity: 4, booked: 1, available: 3 }]);
      }
      return jsonResponse([]);
    });
    const onPublished = vi.fn();
    const user = userEvent.setup();
    renderWithApp(<PublishSlotsCard gate={G1.code} gates={[G1, G2]} onGateChange={vi.fn()} timeZone="Asia/Shanghai" onPublished={onPublished} />, {
      tokens: TOKENS,
      fetch: fetchMock,
    });

    expect(screen.getByText('选择日期、时间和容量后，这里显示将发布多少个时段。')).toBeInTheDocument();
    await chooseDates(user, first, second);
    await user.type(screen.getByLabelText('每段容量（车次）'), '6');
    expect(screen.queryByText('请填写每段容量')).not.toBeInTheDocument();

    const preview = screen.getByRole('status');
    expect(preview).toHaveTextContent('将发布 20 个时段：2 天 × 每天 10 个（08:00–18:00），每段 6 车次，共 120 个车位。');
    expect(await screen.findByText(/其中 1 个时段已发布过，保持原容量不变；新增 19 个。/)).toBeInTheDocument();
    expect(preview).toHaveTextContent('时间按 Asia/Shanghai 计。');
    const range = fetchMock.mock.calls.map(([url]) => String(url)).find((url) => url.includes('/slots?'))!;
    expect(new URL(range, 'http://x').searchParams.get('from')).toBe(utc(first, 8));

    await user.click(screen.getByRole('button', { name: /发布时段/ }));
    expect(await screen.findByText('已为 CNNGB-NBCT-G1 新增 19 个时段（1 个已存在，未改动）')).toBeInTheDocument();
    expect(posts).toEqual([
      { url: '/api/v1/gates/CNNGB-NBCT-G1/slots', body: { starts_at: utc(first, 8), ends_at: utc(first, 18), slot_minutes: 60, capacity: 6 } },
      { url: '/api/v1/gates/CNNGB-NBCT-G1/slots', body: { starts_at: utc(second, 8), ends_at: utc(second, 18), slot_minutes: 60, capacity: 6 } },
    ]);
    // ready for the next batch: the dates are cleared, hours and capacity stay
    expect(screen.getByPlaceholderText('开始日期')).toHaveValue('');
    expect(screen.getByLabelText('每段容量（车次）')).toHaveValue('6');
    // the desk turns to the first day published, so its calendar shows the new slots
    expect(onPublished).toHaveBeenCalledTimes(1);
    expect((onPublished.mock.calls[0]![0] as ReturnType<typeof dayjs>).format('YYYY-MM-DD')).toBe(first);
  });

  it("puts the server's field errors on the fields they name, and other refusals above the form", async () => {
    let answer = 0;
    const fetchMock = vi.fn<typeof fetch>(async (_input, init) => {
      if (init?.method === 'POST') {
        answer += 1;
        return answer === 1
          ? problemResponse(422, {
              title: 'Validation failed',
              code: 'validation_error',
              detail: 'body.capacity: Input should be less than or equal to 1000',
              errors: [{ field: 'body.capacity', message: 'Input should be less than or equal to 1000' }],
            })
          : problemResponse(403, { title: 'Forbidden', code: 'not_gate_operator', detail: 'only the operator of terminal CNNGB-NBCT may do this at its gates' });
      }
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<PublishSlotsCard gate={G1.code} gates={[G1]} onGateChange={vi.fn()} timeZone="Asia/Shanghai" onPublished={vi.fn()} />, {
      tokens: TOKENS,
      fetch: fetchMock,
      language: 'en',
    });
    const start = screen.getByPlaceholderText('Start date');
    await user.click(start);
    await user.type(start, `${first}{Enter}`);
    await user.type(screen.getByPlaceholderText('End date'), `${first}{Enter}`);
    const capacity = screen.getByLabelText('Capacity per slot (trucks)');
    await user.type(capacity, '40');
    expect(screen.getByRole('status')).toHaveTextContent('10 slots: 1 day(s) × 10 a day (08:00–18:00), 40 trucks each, 400 places in all.');

    await user.click(screen.getByRole('button', { name: /Publish slots/ }));
    expect(await screen.findByText('Input should be less than or equal to 1000')).toBeInTheDocument();
    expect(capacity.closest('.ant-form-item')).toHaveClass('ant-form-item-has-error');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: /Publish slots/ }));
    expect(await screen.findByText('only the operator of terminal CNNGB-NBCT may do this at its gates')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('Forbidden');
  });
});
