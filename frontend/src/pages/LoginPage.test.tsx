import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { jsonResponse, problemResponse, renderWithApp } from '../test/render';
import { LoginPage } from './LoginPage';

function renderLogin(fetchMock: ReturnType<typeof vi.fn<typeof fetch>>, language: 'zh-CN' | 'en' = 'zh-CN') {
  return renderWithApp(
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/waybills" element={<p>waybill list</p>} />
    </Routes>,
    { route: '/login', fetch: fetchMock, language },
  );
}

describe('LoginPage', () => {
  it('shows the problem detail when sign-in fails', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn<typeof fetch>(async () =>
      problemResponse(401, { title: 'Unauthorized', detail: '邮箱或密码错误', code: 'invalid_credentials' }),
    );
    const { api } = renderLogin(fetchMock);

    await user.type(screen.getByLabelText('邮箱'), 'ops@example.com');
    await user.type(screen.getByLabelText('密码'), 'wrong');
    await user.click(screen.getByRole('button', { name: /登\s*录/ }));

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('登录失败');
    expect(alert).toHaveTextContent('邮箱或密码错误');
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(String(fetchMock.mock.calls[0]![0])).toBe('/api/v1/auth/token');
    expect(api.tokens.get()).toBeNull();
  });

  it('validates the form in English before calling the API', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn<typeof fetch>();
    renderLogin(fetchMock, 'en');

    await user.type(screen.getByLabelText('Email'), 'not-an-email');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('This is not a valid email address')).toBeInTheDocument();
    expect(await screen.findByText('Enter your password')).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('signs in, keeps the tokens and opens the waybills', async () => {
    const user = userEvent.setup();
    const fetchMock = vi.fn<typeof fetch>(async (input) => {
      if (String(input).endsWith('/auth/token')) {
        return jsonResponse({ access_token: 'a', refresh_token: 'r', token_type: 'bearer', expires_in: 900 });
      }
      return jsonResponse({
        id: 'u1',
        email: 'ops@example.com',
        name: '王芳',
        role: 'shipper',
        organisation: { id: 'o1', name: '宁波远洋货运', kind: 'shipper' },
      });
    });
    const { api } = renderLogin(fetchMock);

    await user.type(screen.getByLabelText('邮箱'), 'ops@example.com');
    await user.type(screen.getByLabelText('密码'), 'correct horse');
    await user.click(screen.getByRole('button', { name: /登\s*录/ }));

    expect(await screen.findByText('waybill list')).toBeInTheDocument();
    await waitFor(() => expect(api.tokens.get()).toEqual({ accessToken: 'a', refreshToken: 'r' }));
  });
});
