import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ApiKey } from '../api/models';
import { jsonResponse, renderWithApp } from '../test/render';
import { PartnerConsolePage } from './PartnerConsolePage';

const key: ApiKey = {
  id: 'k-1',
  name: 'ERP',
  prefix: 'Ab12Cd34',
  scopes: ['waybills:read'],
  created_at: '2026-11-24T01:00:00Z',
  last_used_at: null,
  revoked_at: null,
};

describe('PartnerConsolePage', () => {
  it('creates a key, shows its secret once, and revokes a key', async () => {
    let keys = [key];
    const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
      const url = String(input);
      if (url.endsWith('/api-keys') && init?.method === 'POST') {
        const body = JSON.parse(String(init.body)) as { name: string; scopes: string[] };
        const created = { ...key, id: 'k-2', name: body.name, scopes: body.scopes, prefix: 'Zz99Yy88' };
        keys = [...keys, created];
        return jsonResponse({ ...created, key: 'yd_Zz99Yy88_secret-value' }, 201);
      }
      if (url.endsWith('/api-keys/k-1') && init?.method === 'DELETE') {
        keys = keys.map((k) => (k.id === 'k-1' ? { ...k, revoked_at: '2026-11-24T02:00:00Z' } : k));
        return jsonResponse(keys[0]);
      }
      if (url.includes('/webhooks')) return jsonResponse([]);
      return jsonResponse(keys);
    });
    const user = userEvent.setup();
    renderWithApp(<PartnerConsolePage />, { tokens: { accessToken: 'a', refreshToken: 'r' }, fetch: fetchMock });

    expect(await screen.findByText('ERP')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /打开 GraphiQL/ })).toHaveAttribute('href', '/graphql');

    await user.click(screen.getByRole('button', { name: /创建密钥/ }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText('名称'), 'Data feed');
    await user.click(within(dialog).getByRole('button', { name: /创\s*建/ }));

    expect(await screen.findByDisplayValue('yd_Zz99Yy88_secret-value')).toBeInTheDocument();
    expect(screen.getByText(/密钥只显示这一次/)).toBeInTheDocument();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST')!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ name: 'Data feed', scopes: ['waybills:read'] });

    await user.click(screen.getByRole('button', { name: '我已保存' }));
    const row = (await screen.findByText('Data feed')).closest('tr')!;
    expect(row).not.toHaveTextContent('secret-value');
    expect(row).toHaveTextContent('Zz99Yy88…');

    await user.click(screen.getByRole('button', { name: '吊销密钥 ERP' }));
    await user.click(await screen.findByRole('button', { name: /^吊\s*销$/ }));
    expect(await screen.findByText('已吊销')).toBeInTheDocument();
  });
});
