import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { LanesCard } from './LanesCard';

const TOKENS = { accessToken: 'a', refreshToken: 'r' };
const GATE = 'CNNGB-NBCT-G2';
const published = [
  { code: '1', direction: 'in', is_open: true },
  { code: '2', direction: 'out', is_open: true },
];

describe('LanesCard', () => {
  it("publishes the gate's lanes: a new one, and one closed", async () => {
    const puts: unknown[] = [];
    const fetchMock = vi.fn<typeof fetch>(async (_input, init) => {
      if (init?.method === 'PUT') {
        const body = JSON.parse(String(init.body)) as { lanes: unknown[] };
        puts.push(body);
        return jsonResponse(body.lanes);
      }
      return jsonResponse(published);
    });
    const user = userEvent.setup();
    renderWithApp(<LanesCard gate={GATE} />, { tokens: TOKENS, fetch: fetchMock });

    const code1 = await screen.findByLabelText('车道代码 · 第 1 行');
    expect(code1).toHaveValue('1');
    // a published lane keeps its code
    expect(code1).toBeDisabled();
    await user.click(screen.getByRole('switch', { name: '开放 · 第 2 行' }));
    await user.click(screen.getByRole('button', { name: /添加车道/ }));
    await user.type(screen.getByLabelText('车道代码 · 第 3 行'), 'x3');
    await user.click(screen.getByRole('button', { name: /发布车道/ }));

    expect(await screen.findByText('CNNGB-NBCT-G2 的车道已发布')).toBeInTheDocument();
    expect(puts).toEqual([
      {
        lanes: [
          { code: '1', direction: 'in', is_open: true },
          { code: '2', direction: 'out', is_open: false },
          { code: 'X3', direction: 'both', is_open: true },
        ],
      },
    ]);
    expect(fetchMock.mock.calls.find(([, init]) => init?.method === 'PUT')![0]).toBe(`/api/v1/gates/${GATE}/lanes`);
  });

  it('checks codes before sending and shows the server’s answer on the row it names', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (_input, init) => {
      if (init?.method === 'PUT') {
        return problemResponse(422, {
          title: 'Validation failed',
          code: 'validation_error',
          detail: 'lanes[2].code: String should have at most 10 characters',
          errors: [{ field: 'body.lanes[2].code', message: 'String should have at most 10 characters' }],
        });
      }
      return jsonResponse(published);
    });
    const user = userEvent.setup();
    renderWithApp(<LanesCard gate={GATE} />, { tokens: TOKENS, fetch: fetchMock, language: 'en' });

    await screen.findByLabelText('Lane code · row 1');
    await user.click(screen.getByRole('button', { name: /Add lane/ }));
    const code3 = screen.getByLabelText('Lane code · row 3');
    await user.type(code3, '2');
    await user.click(screen.getByRole('button', { name: /Publish lanes/ }));
    expect(await screen.findByText('This lane code is listed twice')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'PUT')).toBe(false);

    await user.clear(code3);
    await user.type(code3, 'E7');
    await user.click(screen.getByRole('button', { name: /Publish lanes/ }));
    expect(await screen.findByText('String should have at most 10 characters')).toBeInTheDocument();
    expect(code3.closest('.ant-form-item')).toHaveClass('ant-form-item-has-error');

    // a new row can be taken away again; published ones cannot
    expect(screen.queryByRole('button', { name: 'Remove row 1' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Remove row 3' }));
    expect(screen.queryByLabelText('Lane code · row 3')).not.toBeInTheDocument();
  });
});
