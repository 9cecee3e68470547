import { expect, test, type APIRequestContext } from '@playwright/test';
import { login, PASSWORD, shot } from './helpers';

async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const response = await request.post('/api/v1/auth/token', { form: { username: email, password: PASSWORD } });
  expect(response.ok()).toBeTruthy();
  return { Authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
}

async function ok(response: Awaited<ReturnType<APIRequestContext['post']>>) {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json() as Promise<Record<string, unknown>>;
}

test('a truck reports positions and its marker moves on the waybill map without a reload', async ({ page, request }) => {
  const shipper = await bearer(request, 'shipper@haida.demo');
  const dispatcher = await bearer(request, 'dispatcher@jiaodong.demo');
  const carriers = (await (await request.get('/api/v1/organisations?kind=carrier', { headers: shipper })).json()) as { id: string; name: string }[];
  const jiaodong = carriers.find((c) => c.name.startsWith('Jiaodong'))!;
  const serial = String(Date.now()).slice(-5);
  const plate = `浙G${serial}`;
  const now = Date.now();

  // a booked waybill whose truck leg is under way now (Yiwu → Ningbo)
  const waybill = await ok(
    await request.post('/api/v1/waybills', {
      headers: shipper,
      data: {
        consignee: { name: 'Ningbo Beilun Export Hub' },
        cargo_lines: [{ description: 'Furniture', packages: 12, gross_weight_kg: 3400 }],
        legs: [
          {
            mode: 'TRUCK',
            carrier_id: jiaodong.id,
            from_unlocode: 'CNYIU',
            to_unlocode: 'CNNGB',
            planned_departure: new Date(now - 30 * 60_000).toISOString(),
            planned_arrival: new Date(now + 4 * 3600_000).toISOString(),
            vehicle: { truck_plate: plate },
          },
        ],
        book: true,
      },
    }),
  );
  const number = String(waybill.number);

  // the trucking company's device on that truck
  const device = `E2E${serial}`;
  await ok(await request.post('/api/v1/tracking/vehicles', { headers: dispatcher, data: { kind: 'truck', reference: plate } }));
  await ok(await request.post('/api/v1/tracking/devices', { headers: dispatcher, data: { kind: 'app', identifier: device } }));
  await ok(
    await request.post(`/api/v1/tracking/devices/${device}/bindings`, {
      headers: dispatcher,
      data: { vehicle: plate, valid_from: new Date(now - 3600_000).toISOString() },
    }),
  );
  const report = async (lat: number, lon: number, secondsAgo: number) =>
    ok(
      await request.post('/api/v1/tracking/positions', {
        headers: dispatcher,
        data: { positions: [{ device, fix_time: new Date(Date.now() - secondsAgo * 1000).toISOString(), lat, lon, speed_kmh: 72, course_deg: 45 }] },
      }),
    );

  await login(page, 'shipper@haida.demo');
  await page.goto(`/waybills/${number}`);
  const map = page.getByRole('region', { name: `运单 ${number} 的路线地图` });
  await expect(map.locator('path.route-planned--TRUCK')).toHaveCount(1);
  await expect(page.locator('.live-status')).toHaveAttribute('data-status', /live|connecting/);

  await report(29.45, 120.3, 1200);
  const marker = map.locator('.vehicle-marker');
  await expect(marker).toHaveCount(1, { timeout: 20_000 });
  await expect(marker).toContainText(plate);
  const first = await marker.evaluate((node) => (node as HTMLElement).style.transform);
  await shot(page, 'live-1-first-fix');

  // twenty minutes later, some 20 km on at lorry speed (a jump no truck makes is kept off the live map)
  await report(29.52, 120.5, 1);
  await expect.poll(() => marker.evaluate((node) => (node as HTMLElement).style.transform), { timeout: 20_000 }).not.toBe(first);
  await expect(page.locator('.live-status')).toHaveAttribute('data-status', 'live');
  await expect(map.locator('path.route-actual')).toHaveCount(1);
  await map.scrollIntoViewIfNeeded();
  await shot(page, 'live-2-marker-moved');
});
