import { expect, test } from '@playwright/test';
import { login, PASSWORD, shot } from './helpers';

const GATE = 'CNNGB-NBCT-G1';
const PLATE = '浙B3K721';

test('a gate operator scans a pass at the lane: admitted once, denied when used again', async ({ page, request }) => {
  // the seeded appointment's pass token, as the driver's QR code carries it
  const tokenResponse = await request.post('/api/v1/auth/token', { form: { username: 'gate@beilun.demo', password: PASSWORD } });
  const { access_token: accessToken } = (await tokenResponse.json()) as { access_token: string };
  const appointments = (await (
    await request.get(`/api/v1/gates/${GATE}/appointments`, { headers: { Authorization: `Bearer ${accessToken}` } })
  ).json()) as { truck_plate: string; container_number: string; reference: string; gate_pass: { token: string } | null }[];
  const appointment = appointments.find((a) => a.truck_plate === PLATE && a.gate_pass);
  expect(appointment, 'seeded appointment with a pass').toBeTruthy();
  const token = appointment!.gate_pass!.token;

  await login(page, 'gate@beilun.demo');
  await page.getByRole('link', { name: '闸口工作台' }).click();
  await page.goto(`/gate?gate=${GATE}`);
  await expect(page.locator('.slot').first()).toBeVisible();
  await expect(page.locator('tr.appointment-row').filter({ hasText: appointment!.reference })).toBeVisible();
  await shot(page, 'gate-1-desk');

  await page.getByRole('button', { name: '打开车道屏' }).click();
  await expect(page).toHaveURL(/\/gate\/lane/);
  // lane 1 (gate-in) is the first open lane, chosen by default; the scan field has the focus
  await expect(page.getByLabel('车道', { exact: true }).locator('xpath=ancestor::div[contains(@class,"ant-select")][1]')).toContainText('1 号车道');
  // a tablet at the gate, upright
  await page.setViewportSize({ width: 820, height: 1180 });
  await expect(page.locator('#lane-token')).toBeFocused();
  await shot(page, 'gate-1b-lane-tablet', false);
  await page.setViewportSize({ width: 1366, height: 900 });
  // the scanner field has the focus: a keyboard-wedge scanner just types
  await page.locator('#lane-plate').fill(PLATE);
  await page.locator('#lane-container').fill(appointment!.container_number);
  await page.locator('#lane-token').focus();
  await page.keyboard.insertText(token);
  await page.keyboard.press('Enter');
  const result = page.locator('.lane-result');
  await expect(result).toHaveAttribute('data-result', 'admit');
  await expect(result).toContainText('放行');
  await shot(page, 'gate-2-lane-admit', false);

  // ready for the next truck without a click: the scan field still has the focus
  await expect(page.locator('#lane-token')).toBeFocused();
  await page.locator('#lane-plate').fill(PLATE);
  await page.locator('#lane-container').fill(appointment!.container_number);
  await page.locator('#lane-token').focus();
  await page.keyboard.insertText(token);
  await page.keyboard.press('Enter');
  await expect(result).toHaveAttribute('data-result', 'deny');
  await expect(result).toContainText('禁止通行');
  await expect(result.locator('.reason--deny').first()).toBeVisible();
  await shot(page, 'gate-3-lane-deny-used', false);

  // the day's reports count both scans and name the denial
  await page.keyboard.press('Escape');
  await page.goto(`/gate?gate=${GATE}`);
  await page.getByRole('tab', { name: '报表' }).click();
  const scans = page.locator('.ant-statistic').filter({ hasText: '扫码次数' });
  await expect.poll(async () => Number((await scans.locator('.ant-statistic-content-value').innerText()).replace(/\D/g, ''))).toBeGreaterThanOrEqual(2);
  await expect(page.getByRole('cell', { name: /重复使用/ })).toBeVisible();
  await shot(page, 'gate-4-reports');
});
