import { expect, test, type Page } from '@playwright/test';
import { login, logout, shot } from './helpers';

interface InvoiceRow {
  id: string;
  number: string | null;
  status: string;
  waybill_number: string;
  balance_due_minor: number;
}

/** The signed-in user's invoices, through the API with the browser's session. */
async function invoices(page: Page): Promise<InvoiceRow[]> {
  const token = await page.evaluate(() => localStorage.getItem('yidan.accessToken'));
  const r = await page.request.get('/api/v1/settlement/invoices?limit=200', { headers: { Authorization: `Bearer ${token}` } });
  expect(r.ok()).toBeTruthy();
  return ((await r.json()) as { items: InvoiceRow[] }).items;
}

test('a shipper pays an invoice with a localstripe test card, and finance sees it reconciled', async ({ page }) => {
  await login(page, 'shipper@haida.demo');
  // the demo leaves one of this shipper's invoices partly paid (a declined card, then 30 %)
  const owed = (await invoices(page)).find((i) => ['issued', 'partially_paid'].includes(i.status) && i.balance_due_minor > 0);
  expect(owed, 'a demo invoice with a balance due').toBeTruthy();
  const invoice = owed as InvoiceRow;

  await page.goto(`/waybills/${invoice.waybill_number}`);
  const row = page.locator('tr.ant-table-row').filter({ hasText: invoice.number ?? '' });
  await expect(row).toBeVisible();
  await row.scrollIntoViewIfNeeded();
  await shot(page, 'pay-1-invoice-due');

  await row.getByRole('button', { name: '支付' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByText('测试模式：不会产生真实扣款')).toBeVisible();
  // localstripe's Stripe.js mounts plain inputs where Stripe's would put its iframe
  const card = dialog.getByTestId('card-element');
  await card.getByPlaceholder('number').fill('4242424242424242');
  await card.getByPlaceholder('exp_month').fill('12');
  await card.getByPlaceholder('exp_year').fill('34');
  await card.getByPlaceholder('cvc').fill('123');
  await card.getByPlaceholder('postal_code').fill('315000');
  await shot(page, 'pay-2-card', false);

  await dialog.getByRole('button', { name: /支付 ¥/ }).click();
  await expect(dialog.getByText('支付成功')).toBeVisible();
  await shot(page, 'pay-3-paid', false);
  await dialog.getByRole('button', { name: '关闭' }).click();
  await expect(row.getByText('已付清')).toBeVisible();
  await expect(row.getByRole('button', { name: '支付' })).toHaveCount(0);
  await shot(page, 'pay-4-invoice-paid');

  await logout(page);
  await login(page, 'finance@donghai.demo');
  await page.getByRole('link', { name: '财务工作台' }).click();
  const financeRow = page.locator('tr.ant-table-row').filter({ hasText: invoice.number ?? '' });
  await expect(financeRow.getByText('已付清')).toBeVisible();
  await financeRow.locator('.ant-table-row-expand-icon').click();
  // the demo's declined and partial attempts, then this payment
  await expect(page.locator('tr.ant-table-row').filter({ hasText: '成功' })).not.toHaveCount(0);
  await shot(page, 'pay-5-finance-payments');

  await page.getByRole('tab', { name: /对账报告/ }).click();
  await page.getByRole('button', { name: /从 Stripe 导入/ }).click();
  await expect(page.getByText('已导入 Stripe 交易与结算')).toBeVisible();
  await expect(page.locator('tr.ant-table-row').filter({ hasText: invoice.number ?? '' }).filter({ hasText: '已匹配' }).first()).toBeVisible();
  await shot(page, 'pay-6-reconciled');
});
