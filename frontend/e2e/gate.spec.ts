import { expect, test } from '@playwright/test';
import { login, PASSWORD, pick, shot } from './helpers';

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

test("a port operator publishes slots and lanes for a gate, sees them and changes a slot's capacity", async ({ page }) => {
  // days beyond the seeded ones, in port time
  const portDay = (offset: number) => new Date(Date.now() + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);
  const [first, second] = [portDay(5), portDay(6)];

  await login(page, 'port@beilun.demo');
  await page.goto('/gate?gate=CNNGB-NBCT-G2');
  await page.getByRole('tab', { name: '发布时段与车道' }).click();
  await page.getByPlaceholder('开始日期').click();
  await page.getByPlaceholder('开始日期').fill(first);
  await page.keyboard.press('Enter');
  await page.getByPlaceholder('结束日期').fill(second);
  await page.keyboard.press('Enter');
  await pick(page, 'publish_to_hour', '12:00');
  await page.locator('#publish_capacity').pressSequentially('6');
  const preview = page.locator('.publish-slots__preview');
  await expect(page.locator('.publish-slots .ant-form-item-explain-error')).toHaveCount(0);
  await expect(preview).toContainText('将发布 8 个时段：2 天 × 每天 4 个（08:00–12:00），每段 6 车次，共 48 个车位。');
  await shot(page, 'gate-5-publish-preview');
  await page.getByRole('button', { name: '发布时段' }).click();
  await expect(page.getByText('已为 CNNGB-NBCT-G2 新增 8 个时段（0 个已存在，未改动）')).toBeVisible();

  // the calendar turns to the first day published and shows the new slots
  const calendar = page.locator('.setup-calendar');
  await expect(calendar).toContainText(`${first} 的时段`);
  await expect(calendar.locator('.slot')).toHaveCount(4);
  await expect(calendar.locator('.slot').first()).toContainText('08:00–09:00');
  await expect(calendar.locator('.slot').first()).toContainText('已约 0 / 6');
  await shot(page, 'gate-6-published');

  // one slot gets more room, in place
  await calendar.getByRole('button', { name: '修改 10:00–11:00 的容量' }).click();
  const field = calendar.getByRole('spinbutton', { name: '10:00–11:00 的容量' });
  await expect(field).toBeFocused();
  await field.fill('10');
  await page.keyboard.press('Enter');
  await expect(page.getByText('10:00–11:00 的容量已改为 10')).toBeVisible();
  await expect(calendar.locator('.slot').nth(2)).toContainText('已约 0 / 10');

  // the appointments tab shows the same slots
  await page.getByRole('tab', { name: '预约与通行证' }).click();
  await expect(page.locator('.slot-grid').first().locator('.slot')).toHaveCount(4);
  await page.getByRole('tab', { name: '发布时段与车道' }).click();

  // a new lane for the gate
  await page.getByRole('button', { name: '添加车道' }).click();
  const lanes = page.locator('.lanes-card');
  const rows = lanes.locator('li.lane-row');
  const newRow = rows.last();
  await newRow.getByLabel(/车道代码/).fill('e9');
  await expect(newRow.getByRole('switch')).toBeChecked();
  await page.getByRole('button', { name: '发布车道' }).click();
  await expect(page.getByText('CNNGB-NBCT-G2 的车道已发布')).toBeVisible();
  await expect(rows.last().getByLabel(/车道代码/)).toHaveValue('E9');
  await expect(rows.last().getByLabel(/车道代码/)).toBeDisabled();
  await lanes.scrollIntoViewIfNeeded();
  await shot(page, 'gate-7-lanes');

  // below what is booked: the server refuses, and says so on the field (the main gate has trucks booked today)
  await page.goto(`/gate?gate=${GATE}`);
  await page.getByRole('tab', { name: '发布时段与车道' }).click();
  const bookedSlot = page.locator('.setup-calendar .slot').filter({ hasText: /已约 [1-9]/ }).first();
  await bookedSlot.getByRole('button', { name: /修改 .* 的容量/ }).click();
  await bookedSlot.getByRole('spinbutton').fill('0');
  await page.keyboard.press('Enter');
  await expect(bookedSlot.locator('.ant-form-item-explain')).toContainText(/已约 \d+ 车次，容量不能低于此数/);
  await expect(bookedSlot.getByRole('spinbutton')).toHaveAttribute('aria-invalid', 'true');
  await bookedSlot.scrollIntoViewIfNeeded();
  await shot(page, 'gate-8-capacity-refused', false);

  // a tablet at the desk
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.locator('.publish-slots').scrollIntoViewIfNeeded();
  await shot(page, 'gate-9-setup-tablet');
  await page.setViewportSize({ width: 1366, height: 900 });
});
