import { expect, test } from '@playwright/test';
import { login, shot } from './helpers';

test('the language switch turns the app between Chinese and English and is remembered', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: '登录' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await shot(page, 'i18n-1-login-zh');

  await page.getByRole('radiogroup', { name: '语言' }).getByText('English').click();
  await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await shot(page, 'i18n-2-login-en');

  await login(page, 'shipper@haida.demo');
  await expect(page.getByRole('heading', { name: 'Waybills' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'New booking' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Waybill no.' })).toBeVisible();
  await shot(page, 'i18n-3-list-en');

  await page.reload();
  await expect(page.getByRole('heading', { name: 'Waybills' })).toBeVisible();

  await page.getByRole('radiogroup', { name: 'Language' }).getByText('中文').click();
  await expect(page.getByRole('heading', { name: '运单' })).toBeVisible();
  await expect(page.getByRole('link', { name: '新建托运' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: '运单号' })).toBeVisible();

  await page.getByRole('link', { name: /YD\d+/ }).first().click();
  await expect(page.getByText('运输路线')).toBeVisible();
  await shot(page, 'i18n-4-detail-zh');
  await page.getByRole('radiogroup', { name: '语言' }).getByText('English').click();
  await expect(page.getByText('Route', { exact: true })).toBeVisible();
  await expect(page.getByText('Map', { exact: true })).toBeVisible();
  await shot(page, 'i18n-5-detail-en');
});
