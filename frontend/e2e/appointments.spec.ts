import { expect, test, type APIRequestContext } from '@playwright/test';
import { iso6346CheckDigit } from '../src/booking/iso6346';
import { login, logout, PASSWORD, shot } from './helpers';

type Headers = Record<string, string>;

async function bearer(request: APIRequestContext, email: string): Promise<Headers> {
  const response = await request.post('/api/v1/auth/token', { form: { username: email, password: PASSWORD } });
  return { Authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
}

/** A booked Yiwu → Ningbo (NBCT) truck waybill of the shipper, carried by Jiaodong, leaving in an hour. */
async function bookTruckWaybill(request: APIRequestContext, shipper: Headers, cargo: { description: string; packages: number; gross_weight_kg: number }, offset = 0) {
  const carriers = (await (await request.get('/api/v1/organisations?kind=carrier', { headers: shipper })).json()) as { id: string; name: string }[];
  const serial = String(Date.now() + offset).slice(-6);
  const container = `TGHU${serial}${iso6346CheckDigit(`TGHU${serial}`)}`;
  const plate = `浙B${serial.slice(-5)}`;
  const now = Date.now();
  const created = await request.post('/api/v1/waybills', {
    headers: shipper,
    data: {
      consignee: { name: 'Beilun Export Hub' },
      cargo_lines: [cargo],
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
  return { number: ((await created.json()) as { number: string }).number, container, plate };
}
test('a trucking dispatcher books a gate slot and gets the pass for the driver', async ({ page, request }) => {
  const headers = await bearer(request, 'shipper@haida.demo');
  const { number, container, plate } = await bookTruckWaybill(request, headers, { description: 'Textiles', packages: 100, gross_weight_kg: 8000 });

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

test('a dispatcher reschedules an appointment: a new pass is issued and the old one is denied at the lane', async ({ page, request }) => {
  const shipper = await bearer(request, 'shipper@haida.demo');
  const dispatcher = await bearer(request, 'dispatcher@jiaodong.demo');
  const { number, container, plate } = await bookTruckWaybill(request, shipper, { description: 'Furniture', packages: 40, gross_weight_kg: 6000 }, 7);
  const now = Date.now();
  // booked into a slot still to come today (or tomorrow's first when today is over)
  type SlotRow = { id: string; ends_at: string; available: number };
  const slotsOf = async (day: string) =>
    (await (await request.get(`/api/v1/gates/CNNGB-NBCT-G1/slots?day=${day}&tz=Asia/Shanghai`, { headers: dispatcher })).json()) as SlotRow[];
  const shanghai = (offsetDays: number) => new Date(now + 8 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
  const free = [...(await slotsOf(shanghai(0))), ...(await slotsOf(shanghai(1)))].filter((s) => s.available > 0 && Date.parse(s.ends_at) > now + 600_000);
  const booked = await request.post('/api/v1/gates/appointments', {
    headers: dispatcher,
    data: {
      waybill_number: number,
      leg_seq: 1,
      kind: 'dropoff',
      slot_id: free[0]!.id,
      truck_plate: plate,
      container_number: container,
      driver: { name: '李师傅 Li', phone: '+86 138 0000 5678', licence: '330206198002021234' },
    },
  });
  expect(booked.status(), await booked.text()).toBe(201);
  const before = (await booked.json()) as { id: string; reference: string; gate_pass: { id: string; token: string } };

  await login(page, 'dispatcher@jiaodong.demo');
  await page.goto('/appointments?gate=CNNGB-NBCT-G1');
  const row = page.locator('tr').filter({ hasText: before.reference });
  await row.getByRole('button', { name: `改约 ${before.reference}` }).click();
  const dialog = page.getByRole('dialog').filter({ hasText: `改约 ${before.reference}` });
  await expect(dialog.getByText('当前时段')).toBeVisible();
  // to a slot of the day after tomorrow, by typing the date as a keyboard user would
  await dialog.locator('#reschedule_day').click();
  await dialog.locator('#reschedule_day').fill(shanghai(2));
  await page.keyboard.press('Enter');
  // Enter took the date; it did not send the form
  await expect(dialog.locator('.ant-form-item-explain-error')).toHaveCount(0);
  const choice = dialog.locator('.slot-picker label:not(.ant-radio-button-wrapper-disabled)').nth(9);
  await expect(choice).toBeVisible();
  const chosen = (await choice.innerText()).split('·')[0]!.trim();
  await choice.click();
  await dialog.getByLabel('改约原因（可选，记入审计日志）').fill('车辆晚到，改约后天');
  await shot(page, 'appointments-3-reschedule');
  await dialog.getByRole('button', { name: '改约并签发新通行证' }).click();

  await expect(dialog.getByText('旧通行证已吊销，在闸口扫码将被拒绝。请把下面的新通行证发给司机。')).toBeVisible();
  await expect(dialog.getByText(new RegExp(`已改约到 ${shanghai(2).slice(5)} ${chosen}`))).toBeVisible();
  await expect(dialog.locator('img.pass-qr')).toBeVisible();
  await expect(dialog.locator('.driver-message')).toContainText(plate);
  await shot(page, 'appointments-4-rescheduled-pass');
  await dialog.getByRole('button', { name: /完\s*成/ }).click();
  await expect(row).toContainText(`${shanghai(2).slice(5)} ${chosen}`);

  // the API agrees: a new pass, the old one revoked
  const after = (await (await request.get(`/api/v1/gates/appointments/${before.id}`, { headers: dispatcher })).json()) as {
    gate_pass: { id: string; status: string };
  };
  expect(after.gate_pass.status).toBe('active');
  expect(after.gate_pass.id).not.toBe(before.gate_pass.id);
  const old = (await (await request.get(`/api/v1/gates/passes/${before.gate_pass.id}`, { headers: dispatcher })).json()) as { status: string };
  expect(old.status).toBe('revoked');

  // the driver shows the old QR code at the lane: denied, because it was revoked
  await logout(page);
  await login(page, 'gate@beilun.demo');
  await page.goto('/gate/lane?gate=CNNGB-NBCT-G1');
  await expect(page.locator('#lane-token')).toBeFocused();
  await page.locator('#lane-plate').fill(plate);
  await page.locator('#lane-container').fill(container);
  await page.locator('#lane-token').focus();
  await page.keyboard.insertText(before.gate_pass.token);
  await page.keyboard.press('Enter');
  const result = page.locator('.lane-result');
  await expect(result).toHaveAttribute('data-result', 'deny');
  await expect(result).toContainText('通行证已被撤销');
  await shot(page, 'appointments-5-old-pass-denied', false);
});
