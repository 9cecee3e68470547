import { expect, test } from '@playwright/test';
import { iso6346CheckDigit } from '../src/booking/iso6346';
import { login, PASSWORD, shot } from './helpers';

test('a trucking dispatcher books a gate slot and gets the pass for the driver', async ({ page, request }) => {
  const token = await request.post('/api/v1/auth/token', { form: { username: 'shipper@haida.demo', password: PASSWORD } });
  const headers = { Authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}` };
  const carriers = (await (await request.get('/api/v1/organisations?kind=carrier', { headers })).json()) as { id: string; name: string }[];
  const serial = String(Date.now()).slice(-6);
  const container = `TGHU${serial}${iso6346CheckDigit(`TGHU${serial}`)}`;
  const plate = `浙B${serial.slice(-5)}`;
  const now = Date.now();
  const created = await request.post('/api/v1/waybills', {
    headers,
    data: {
      consignee: { name: 'Beilun Export Hub' },
      cargo_lines: [{ description: 'Textiles', packages: 100, gross_weight_kg: 8000 }],
      equipment: [{ container_number: container, size_type: '42G1' }],
      legs: [
        {
          mode: 'TRUCK',
          carrier_id: carriers.find((c) => c.name.startsWith('Jiaodong'))!.id,
          from_unlocode: 'CNYIU',
          to_unlocode: 'CNNGB',
          to_terminal: 'CNNGB-NBCT',
          planned_departure: new Date(now + 3600_000).toISOString(),
          planned_arrival: new Date(now + 6 * 3600_000).toISOString(),
          vehicle: { truck_plate: plate },
        },
      ],
      book: true,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const number = ((await created.json()) as { number: string }).number;

  await login(page, 'dispatcher@jiaodong.demo');
  await page.getByRole('link', { name: '闸口预约' }).click();
  await page.goto('/appointments?gate=CNNGB-NBCT-G1');
  await page.locator('#waybill_number').fill(number);
  await page.locator('#kind').click();
  await page.locator('.ant-select-item-option').filter({ hasText: '送箱' }).click();
  await page.locator('.slot-picker label:not(.ant-radio-button-wrapper-disabled)').last().click();
  await page.locator('#truck_plate').fill(plate);
  await page.locator('#container_number').fill(container);
  await page.locator('#driver_name').fill('王师傅 Wang');
  await page.locator('#driver_phone').fill('+86 138 0000 1234');
  await page.locator('#driver_licence').fill('330206198001011234');
  await shot(page, 'appointments-1-form');
  await page.getByRole('button', { name: '预约并签发通行证' }).click();

  const pass = page.getByRole('dialog');
  await expect(pass.locator('img.pass-qr')).toBeVisible();
  await expect(pass.locator('.driver-message')).toContainText(plate.replace('·', ''));
  await shot(page, 'appointments-2-pass');
  await pass.getByRole('button', { name: 'Close' }).or(pass.locator('.ant-modal-close')).first().click();
  await expect(page.locator('tr').filter({ hasText: number })).toBeVisible();
});
