import { expect, test } from '@playwright/test';
import { login, shot } from './helpers';

test('a partner admin creates an API key, sees it once, and revokes it', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await login(page, 'partner@donghai.demo');
  await page.getByRole('link', { name: '合作伙伴控制台' }).click();
  await expect(page.getByRole('heading', { name: '合作伙伴控制台' })).toBeVisible();
  await expect(page.getByRole('link', { name: /打开 GraphiQL/ })).toHaveAttribute('href', '/graphql');

  const name = `ERP 对接 ${Date.now()}`;
  await page.getByRole('button', { name: '创建密钥' }).click();
  const dialog = page.getByRole('dialog', { name: '创建 API 密钥' });
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByRole('checkbox', { name: /tracking:write/ }).check();
  await dialog.getByRole('button', { name: /创\s*建/ }).click();

  const shown = page.getByRole('dialog', { name: '新的 API 密钥' });
  await expect(shown.getByText('密钥只显示这一次', { exact: false })).toBeVisible();
  const secret = await shown.getByTestId('new-api-key').inputValue();
  expect(secret.length).toBeGreaterThan(20);
  await shown.getByRole('button', { name: /复\s*制/ }).click();
  await expect(page.getByText('已复制到剪贴板')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await shot(page, 'partner-1-key-shown-once');

  // the key works against the API
  const me = await page.request.get('/api/v1/me', { headers: { 'X-API-Key': secret } });
  expect(me.status()).toBe(200);

  await shown.getByRole('button', { name: '我已保存' }).click();
  const row = page.locator('tr.api-key-row').filter({ hasText: name });
  await expect(row).toContainText('有效');
  await expect(row).not.toContainText(secret);
  await shot(page, 'partner-2-keys');

  await row.getByRole('button', { name: `吊销密钥 ${name}` }).click();
  await page.locator('.ant-popconfirm').getByRole('button', { name: /吊\s*销/ }).click();
  await expect(page.getByText(`密钥“${name}”已吊销`)).toBeVisible();
  await expect(row).toContainText('已吊销');
  await shot(page, 'partner-3-revoked');

  const refused = await page.request.get('/api/v1/me', { headers: { 'X-API-Key': secret } });
  expect(refused.status()).toBe(401);
});
