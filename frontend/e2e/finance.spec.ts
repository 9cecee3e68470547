import { expect, test } from '@playwright/test';
import { login, shot } from './helpers';

test('finance sees invoices with their card payments and the payment reconciled against Stripe', async ({ page }) => {
  await login(page, 'finance@donghai.demo');
  await page.getByRole('link', { name: '财务工作台' }).click();
  await expect(page.getByRole('heading', { name: '财务工作台' })).toBeVisible();

  const paidRow = page.locator('tr.ant-table-row').filter({ hasText: /部分付款|已付清/ }).first();
  await expect(paidRow).toBeVisible();
  await paidRow.locator('.ant-table-row-expand-icon').click();
  await expect(page.getByText('成功').first()).toBeVisible();
  await expect(page.locator('.bar-chart rect').first()).toBeVisible();
  await shot(page, 'finance-1-invoices');

  await page.getByRole('tab', { name: /对账报告/ }).click();
  await page.getByRole('button', { name: /从 Stripe 导入/ }).click();
  await expect(page.getByText('已导入 Stripe 交易与结算')).toBeVisible();
  const matched = page.locator('.ant-statistic').filter({ hasText: '已匹配' });
  await expect.poll(async () => Number((await matched.locator('.ant-statistic-content-value').innerText()).replace(/\D/g, ''))).toBeGreaterThan(0);
  await expect(page.locator('tr.ant-table-row').filter({ hasText: '已匹配' }).first()).toBeVisible();

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: /导出 Excel/ }).click();
  expect((await download).suggestedFilename()).toMatch(/\.xlsx$/);
  await shot(page, 'finance-2-reconciliation');
});
