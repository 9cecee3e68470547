import { expect, test } from '@playwright/test';
import { iso6346CheckDigit } from '../src/booking/iso6346';
import { login, pick, shot } from './helpers';

test('a shipper books a three-leg waybill in the wizard and sees it on the map', async ({ page }) => {
  await login(page, 'shipper@haida.demo');
  await page.getByRole('link', { name: '新建托运' }).click();
  await expect(page.getByRole('heading', { name: '新建托运' })).toBeVisible();

  // 1 · parties
  await page.locator('#consignee_name').fill('陕西秦川机械有限公司');
  await page.locator('#consignee_address').fill('陕西省宝鸡市秦川路 22 号');
  await page.locator('#reference').fill(`E2E-${Date.now()}`);
  await page.getByRole('button', { name: '下一步' }).click();

  // 2 · route: Yiwu → Ningbo by truck, Ningbo → Qingdao by sea, Qingdao → Xi'an by rail
  await expect(page.locator('[data-leg="1"]')).toBeVisible();
  await pick(page, 'legs_0_mode', '公路');
  await pick(page, 'legs_0_carrier_id', '胶东');
  await pick(page, 'legs_0_from_unlocode', 'CNYIU', '义乌');
  await pick(page, 'legs_0_to_unlocode', 'CNNGB', 'ningbo');
  await page.locator('#legs_0_vehicle_truck_plate').fill('浙G12345');

  await page.getByRole('button', { name: '添加运输段' }).click();
  await pick(page, 'legs_1_mode', '海运');
  await pick(page, 'legs_1_carrier_id', '东海');
  await expect(page.locator('[data-leg="2"] .ant-select-content, [data-leg="2"] .ant-select-selection-item').filter({ hasText: 'CNNGB' }).first()).toBeVisible();
  await pick(page, 'legs_1_to_unlocode', 'CNTAO', 'CNTAO');
  await page.locator('#legs_1_vehicle_vessel_name').fill('DONGHAI PIONEER');
  await page.locator('#legs_1_vehicle_voyage').fill('031N');

  await page.getByRole('button', { name: '添加运输段' }).click();
  await pick(page, 'legs_2_mode', '铁路');
  await pick(page, 'legs_2_carrier_id', '丝路');
  await pick(page, 'legs_2_to_unlocode', 'CNXIA', '西安');
  await page.locator('#legs_2_vehicle_train_number').fill('X8157');
  await shot(page, 'booking-1-route');
  await page.getByRole('button', { name: '下一步' }).click();

  // 3 · cargo, one line dangerous goods
  await page.locator('#cargo_lines_0_description').fill('数控机床零件');
  await page.locator('#cargo_lines_0_hs_code').fill('846693');
  await page.locator('#cargo_lines_0_packages').fill('24');
  await page.locator('#cargo_lines_0_gross_weight_kg').fill('18400');
  await page.getByRole('button', { name: '添加货物' }).click();
  await page.locator('#cargo_lines_1_description').fill('工业润滑油（易燃）');
  await page.locator('#cargo_lines_1_packages').fill('40');
  await page.locator('#cargo_lines_1_gross_weight_kg').fill('7600');
  await page.locator('#cargo_lines_1_dangerous').check();
  await page.locator('#cargo_lines_1_un_number').fill('1993');
  await pick(page, 'cargo_lines_1_dg_class', /^3$/);
  await pick(page, 'cargo_lines_1_packing_group', /^III$/);
  await shot(page, 'booking-2-cargo');
  await page.getByRole('button', { name: '下一步' }).click();

  // 4 · containers: a wrong check digit is caught before the server sees it
  const owner = 'TGHU';
  const serial = String(Date.now()).slice(-6);
  const check = iso6346CheckDigit(`${owner}${serial}`);
  await page.getByRole('button', { name: '添加集装箱' }).click();
  await page.locator('#equipment_0_container_number').fill(`${owner}${serial}${(check + 1) % 10}`);
  await expect(page.getByText(/校验位错误/)).toBeVisible();
  await page.waitForTimeout(500); // the message slides in: let it finish before the picture
  await shot(page, 'booking-3-container-check-digit');
  await page.locator('#equipment_0_container_number').fill(`${owner}${serial}${check}`);
  await expect(page.getByText(/校验位错误/)).toBeHidden();
  await page.getByRole('button', { name: '下一步' }).click();

  // 5 · review and book
  await expect(page.getByRole('cell', { name: '义乌 Yiwu (CNYIU)' })).toBeVisible();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(500); // the steps animate to the new step
  await shot(page, 'booking-4-review');
  await page.getByRole('button', { name: '提交订舱' }).click();

  await expect(page).toHaveURL(/\/waybills\/YD\d+/);
  const number = page.url().split('/').pop()!;
  await expect(page.getByRole('heading', { name: number })).toBeVisible();
  await expect(page.getByText('已订舱', { exact: true }).first()).toBeVisible();
  // the three legs on the map: each planned leg drawn in its mode's colour, the places labelled
  const map = page.getByRole('region', { name: `运单 ${number} 的路线地图` });
  await expect(map).toBeVisible();
  await expect(map.locator('path.route-planned')).toHaveCount(3);
  await expect(map.locator('path.route-planned--TRUCK')).toHaveCount(1);
  await expect(map.locator('path.route-planned--VESSEL')).toHaveCount(1);
  await expect(map.locator('path.route-planned--RAIL')).toHaveCount(1);
  await expect(map.locator('.place-label').filter({ hasText: 'CNXIA' })).toBeVisible();
  // the offline basemap drew its countries
  await expect.poll(() => map.locator('.leaflet-basemap-pane path').count()).toBeGreaterThan(50);
  await map.scrollIntoViewIfNeeded();
  await shot(page, 'booking-5-waybill-map');
});

test('server validation errors land on the wizard field they name', async ({ page }) => {
  await login(page, 'shipper@haida.demo');
  await page.goto('/waybills/new');
  await page.locator('#consignee_name').fill('Test consignee');
  await page.getByRole('button', { name: '下一步' }).click();
  await pick(page, 'legs_0_mode', '铁路');
  await pick(page, 'legs_0_carrier_id', '丝路');
  await pick(page, 'legs_0_from_unlocode', 'CNTAO', 'CNTAO');
  await pick(page, 'legs_0_to_unlocode', 'CNXIA', 'CNXIA');
  await page.getByRole('button', { name: '下一步' }).click();
  // HS chapter 00 has the form's shape, but the server knows it does not exist
  await page.locator('#cargo_lines_0_description').fill('Machine parts');
  await page.locator('#cargo_lines_0_packages').fill('1');
  await page.locator('#cargo_lines_0_gross_weight_kg').fill('100');
  await page.locator('#cargo_lines_0_hs_code').fill('000000');
  await page.getByRole('button', { name: '下一步' }).click();
  await page.getByRole('button', { name: '下一步' }).click();
  await page.getByRole('button', { name: '保存草稿' }).click();
  // the server's error for body.cargo_lines[0].hs_code is shown under that field, on its step
  const hsField = page.locator('.ant-form-item').filter({ has: page.locator('#cargo_lines_0_hs_code') });
  await expect(hsField.locator('.ant-form-item-explain-error')).toBeVisible();
  await shot(page, 'booking-6-server-field-error');
});

test('a draft is quoted leg by leg, the quote accepted and the waybill booked from its page', async ({ page, request }) => {
  const token = await request.post('/api/v1/auth/token', { form: { username: 'shipper@haida.demo', password: 'Yidan-demo-2026' } });
  const headers = { Authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}` };
  const carriers = (await (await request.get('/api/v1/organisations?kind=carrier', { headers })).json()) as { id: string; name: string }[];
  const start = Date.now() + 3 * 86_400_000;
  const draft = await request.post('/api/v1/waybills', {
    headers,
    data: {
      consignee: { name: 'Qingdao Import Co.' },
      cargo_lines: [{ description: 'Tyres', packages: 300, gross_weight_kg: 9000, volume_m3: 40 }],
      equipment: [{ container_number: 'CSQU3054383', size_type: '42G1' }],
      legs: [
        {
          mode: 'VESSEL',
          carrier_id: carriers.find((c) => c.name.startsWith('Donghai'))!.id,
          from_unlocode: 'CNNGB',
          to_unlocode: 'CNTAO',
          planned_departure: new Date(start).toISOString(),
          planned_arrival: new Date(start + 2 * 86_400_000).toISOString(),
        },
      ],
    },
  });
  expect(draft.status()).toBe(201);
  const number = ((await draft.json()) as { number: string }).number;

  await login(page, 'shipper@haida.demo');
  await page.goto(`/waybills/${number}`);
  await expect(page.getByText('草稿', { exact: true }).first()).toBeVisible();
  await page.getByRole('button', { name: '获取报价' }).click();
  const quote = page.locator('.quote');
  await expect(quote).toHaveAttribute('data-status', 'offered');
  await expect(quote.locator('tbody tr.ant-table-row').first()).toBeVisible();
  await quote.getByRole('button', { name: '接受报价' }).click();
  await expect(quote).toHaveAttribute('data-status', 'accepted');
  await page.getByRole('button', { name: '提交订舱' }).click();
  await expect(page.getByText('已订舱', { exact: true }).first()).toBeVisible();
  await quote.scrollIntoViewIfNeeded();
  await shot(page, 'booking-7-quote-accepted-booked');
});
