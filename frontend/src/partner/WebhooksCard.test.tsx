import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { WebhookDelivery, WebhookEventType, WebhookEventTypeInfo, WebhookSubscription } from '../api/models';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { formField } from './WebhookFormModal';
import { WebhooksCard } from './WebhooksCard';

const sub: WebhookSubscription = {
  id: 's-1',
  url: 'https://erp.example.com/hooks',
  description: 'ERP',
  event_types: ['waybill.event', 'gate.transaction'],
  active: true,
  disabled_reason: null,
  created_at: '2026-11-24T01:00:00Z',
  updated_at: '2026-11-24T01:00:00Z',
  secret_rotated_at: null,
};

const catalogue: WebhookEventTypeInfo[] = [
  { type: 'waybill.booked', en: 'A waybill was booked.', zh: '运单已订舱。' },
  { type: 'waybill.event', en: 'An event was appended.', zh: '运单新增事件。' },
  { type: 'gate.transaction', en: 'A gate scan.', zh: '闸口扫描。' },
];

function delivery(overrides: Partial<WebhookDelivery>): WebhookDelivery {
  return {
    id: 'd-1',
    subscription_id: 's-1',
    event_id: 'e-1',
    event_type: 'ping',
    status: 'delivered',
    attempts: 1,
    next_attempt_at: null,
    last_attempt_at: '2026-11-24T02:00:01Z',
    last_status_code: 200,
    last_error: null,
    last_duration_ms: 12,
    delivered_at: '2026-11-24T02:00:01Z',
    created_at: '2026-11-24T02:00:00Z',
    payload: { id: 'e-1', type: 'ping', data: {} },
    ...overrides,
  };
}

describe('WebhooksCard', () => {
  it('creates a subscription, shows its secret once, and keeps it out of the list', async () => {
    let subs = [sub];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/webhooks/event-types')) return jsonResponse(catalogue);
      if (url.endsWith('/webhooks') && init?.method === 'POST') {
        const body = JSON.parse(String(init.body)) as { url: string; event_types: WebhookEventType[]; description: string | null };
        const created = { ...sub, id: 's-2', url: body.url, event_types: body.event_types, description: body.description };
        subs = [created, ...subs];
        return jsonResponse({ ...created, secret: 'whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==' }, 201);
      }
      return jsonResponse(subs);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });

    const row = (await screen.findByText('https://erp.example.com/hooks')).closest('tr')!;
    expect(row).toHaveTextContent('运单事件（DCSA）');
    expect(row).toHaveTextContent('闸口通行记录');
    expect(row).toHaveTextContent('启用');

    await user.click(screen.getByRole('button', { name: /新建订阅/ }));
    const dialog = await screen.findByRole('dialog', { name: '新建 Webhook 订阅' });
    await user.click(within(dialog).getByLabelText('接收地址'));
    await user.paste('https://tms.example.com/in');
    await user.click(await within(dialog).findByRole('checkbox', { name: /运单订舱/ }));
    await user.click(within(dialog).getByLabelText('备注'));
    await user.paste('TMS');
    await user.click(within(dialog).getByRole('button', { name: /创\s*建/ }));

    const secret = await screen.findByTestId('webhook-secret');
    expect(secret).toHaveValue('whsec_c2VjcmV0LXZhbHVlLWZvci10ZXN0cw==');
    expect(screen.getByText(/签名密钥只显示这一次/)).toBeInTheDocument();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST')!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({
      url: 'https://tms.example.com/in',
      event_types: ['waybill.event', 'waybill.booked'],
      description: 'TMS',
    });

    await user.click(screen.getByRole('button', { name: '我已保存' }));
    const created = (await screen.findByText('https://tms.example.com/in')).closest('tr')!;
    expect(created).toHaveTextContent('运单订舱');
    expect(document.body).not.toHaveTextContent('c2VjcmV0LXZhbHVlLWZvci10ZXN0cw');
  }, 40_000); // the longest flow of the file: two dialogs and a list update

  /** Submits the new-subscription form with this URL against a server that refuses it with these field errors. */
  async function refused(url: string, errors: Record<string, unknown>[], language: 'zh-CN' | 'en' = 'zh-CN') {
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const path = String(input);
      if (path.endsWith('/webhooks/event-types')) return jsonResponse(catalogue);
      if (init?.method === 'POST') {
        return problemResponse(422, { code: 'validation_error', title: 'Validation failed', detail: `url: ${String(errors[0]!.message)}`, errors });
      }
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock, language });
    await user.click(await screen.findByRole('button', { name: language === 'en' ? /New subscription/ : /新建订阅/ }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByLabelText(language === 'en' ? 'Endpoint URL' : '接收地址'));
    await user.paste(url);
    await user.click(within(dialog).getByRole('button', { name: language === 'en' ? /Create/ : /创\s*建/ }));
    return dialog;
  }

  it('shows the server’s field errors on the form, in the user’s language by their code', async () => {
    const dialog = await refused('http://erp.example.com/', [
      { field: 'url', message: 'must use https:// (plain http:// only to 127.0.0.1 or localhost)', code: 'url_not_https' },
    ]);
    // the server checks in English; the form says it in the user's language, from the code
    expect(await within(dialog).findByText('请使用 https:// 地址（http:// 仅限 127.0.0.1 或 localhost）')).toBeInTheDocument();
    expect(within(dialog).queryByText(/plain http/)).not.toBeInTheDocument();
  });

  it('translates by the code, not by the wording of the message', async () => {
    const dialog = await refused(
      'https://erp.example.com/#top',
      [{ field: 'url', message: 'fragments are not allowed here', code: 'url_fragment' }],
      'en',
    );
    expect(await within(dialog).findByText('Leave the #fragment out of the URL')).toBeInTheDocument();
    expect(within(dialog).queryByText(/not allowed here/)).not.toBeInTheDocument();
  });

  it('shows the server’s message as it came when its code is unknown or absent', async () => {
    const unknown = await refused('https://erp.example.com/x', [{ field: 'url', message: 'is on the blocklist', code: 'url_blocked' }]);
    expect(await within(unknown).findByText('is on the blocklist')).toBeInTheDocument();
  });

  it('shows a field error without a code as the server wrote it', async () => {
    const dialog = await refused('https://erp.example.com/y', [{ field: 'url', message: 'must use https:// (plain http:// only to 127.0.0.1 or localhost)' }]);
    expect(await within(dialog).findByText('must use https:// (plain http:// only to 127.0.0.1 or localhost)')).toBeInTheDocument();
  });

  it('says an organisation has as many subscriptions as it may, in the user’s language', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      if (String(input).endsWith('/webhooks/event-types')) return jsonResponse(catalogue);
      if (init?.method === 'POST') {
        return problemResponse(409, { code: 'too_many_subscriptions', title: 'Conflict', detail: 'an organisation can have at most 20 webhook subscriptions' });
      }
      return jsonResponse([]);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    await user.click(await screen.findByRole('button', { name: /新建订阅/ }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByLabelText('接收地址'));
    await user.paste('https://erp.example.com/z');
    await user.click(within(dialog).getByRole('button', { name: /创\s*建/ }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('本组织的 Webhook 订阅数已达上限，请先删除一个订阅。');
    expect(dialog).not.toHaveTextContent('at most 20');
  });

  it('says a subscription Yidan disabled itself was disabled, in the user’s language', async () => {
    const disabled = { ...sub, active: false, disabled_reason: '5 deliveries in a row failed after every retry; fix the endpoint and enable it again' };
    const fetchMock = vi.fn<typeof fetch>(async () => jsonResponse([disabled]));
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    const row = (await screen.findByText('https://erp.example.com/hooks')).closest('tr')!;
    expect(row).toHaveTextContent('已自动停用');
    expect(row).not.toHaveTextContent('deliveries in a row');
    expect(within(row).getByRole('button', { name: '启用订阅 https://erp.example.com/hooks' })).toBeInTheDocument();
  });

  it('sends a test event', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      if (String(input).endsWith('/ping')) return jsonResponse(delivery({ status: 'pending', attempts: 0 }), 202);
      return jsonResponse([sub]);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    await user.click(await screen.findByRole('button', { name: '向 https://erp.example.com/hooks 发送测试事件' }));
    expect(await screen.findByText('测试事件已排队，几秒内送达')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([url, init]) => String(url).endsWith('/webhooks/s-1/ping') && init?.method === 'POST')).toBe(true);
  });

  it('shows deliveries with their outcome in the user’s time zone and redelivers one', async () => {
    const failed = delivery({
      id: 'd-2',
      event_id: 'e-2',
      event_type: 'waybill.event',
      status: 'dead',
      attempts: 8,
      last_status_code: 500,
      last_error: 'HTTP 500 Internal Server Error',
      delivered_at: null,
      created_at: '2026-11-24T01:30:00Z',
    });
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      const url = String(input);
      if (url.endsWith('/redeliver')) return jsonResponse({ ...failed, status: 'pending', attempts: 0 });
      if (url.includes('/deliveries')) return jsonResponse({ items: [delivery({}), failed], next_cursor: null });
      return jsonResponse([sub]);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });

    await user.click(await screen.findByRole('button', { name: '查看 https://erp.example.com/hooks 的投递记录' }));
    const drawer = await screen.findByRole('dialog', { name: /投递记录 · https:\/\/erp.example.com\/hooks/ });
    const rows = await within(drawer).findAllByRole('row');
    const okRow = rows.find((row) => row.textContent?.includes('测试事件'))!;
    expect(within(okRow).getByText('已送达')).toHaveAttribute('data-status', 'delivered');
    expect(okRow).toHaveTextContent('200');
    const deadRow = rows.find((row) => row.textContent?.includes('运单事件'))!;
    expect(within(deadRow).getByText('已放弃')).toHaveAttribute('data-status', 'dead');
    expect(deadRow).toHaveTextContent('HTTP 500 Internal Server Error');
    expect(deadRow).toHaveTextContent('2026-11-24 09:30'); // Asia/Shanghai, the default zone

    await user.click(within(deadRow).getByRole('button', { name: /重新投递 运单事件/ }));
    expect(await screen.findByText('已重新排队投递')).toBeInTheDocument();
    expect(
      fetchMock.mock.calls.some(([url, init]) => String(url).endsWith('/webhooks/s-1/deliveries/d-2/redeliver') && init?.method === 'POST'),
    ).toBe(true);
  });

  it('disables a subscription', async () => {
    let subs = [sub];
    const fetchMock = vi.fn<typeof fetch>(async (_input, init) => {
      if (init?.method === 'PATCH') {
        const patch = JSON.parse(String(init.body)) as { active: boolean };
        subs = subs.map((s) => ({ ...s, active: patch.active }));
        return jsonResponse(subs[0]);
      }
      return jsonResponse(subs);
    });
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    await user.click(await screen.findByRole('button', { name: '停用订阅 https://erp.example.com/hooks' }));
    expect(await screen.findByRole('button', { name: '启用订阅 https://erp.example.com/hooks' })).toBeInTheDocument();
    const row = screen.getByText('https://erp.example.com/hooks').closest('tr')!;
    expect(row).toHaveTextContent('已停用');
    expect(within(row).getByRole('button', { name: '向 https://erp.example.com/hooks 发送测试事件' })).toBeDisabled();
    const patch = fetchMock.mock.calls.find(([, init]) => init?.method === 'PATCH')!;
    expect(JSON.parse(String(patch[1]!.body))).toEqual({ active: false });
  });

  it('deletes a subscription after confirmation', async () => {
    const fetchMock = vi.fn<typeof fetch>(async (_input, init) =>
      init?.method === 'DELETE' ? new Response(null, { status: 204 }) : jsonResponse([sub]),
    );
    const user = userEvent.setup();
    renderWithApp(<WebhooksCard />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });
    await user.click(await screen.findByRole('button', { name: '删除订阅 https://erp.example.com/hooks' }));
    await user.click(await screen.findByRole('button', { name: /^删\s*除$/ }));
    expect(await screen.findByText('还没有 Webhook 订阅')).toBeInTheDocument();
    expect(fetchMock.mock.calls.some(([url, init]) => String(url).endsWith('/webhooks/s-1') && init?.method === 'DELETE')).toBe(true);
  });
});

describe('formField', () => {
  it('maps server field paths onto the form', () => {
    expect(formField('url')).toBe('url');
    expect(formField('body.url')).toBe('url');
    expect(formField('body.event_types[0]')).toBe('event_types');
    expect(formField('body.colour')).toBeNull();
  });
});
