import { expect, test, type APIRequestContext, type Locator } from '@playwright/test';
import { gatewayAddress } from './backend';
import { login, PASSWORD, shot } from './helpers';
import {
  connectTerminal,
  decodeFrame,
  encodeFrame,
  locationBody,
  MessageId,
  registrationBody,
  STATUS_ACC_ON,
  STATUS_POSITIONED,
  type Terminal,
} from './jt808';

async function bearer(request: APIRequestContext, email: string): Promise<Record<string, string>> {
  const response = await request.post('/api/v1/auth/token', { form: { username: email, password: PASSWORD } });
  expect(response.ok()).toBeTruthy();
  return { Authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
}

async function ok(response: Awaited<ReturnType<APIRequestContext['post']>>) {
  expect(response.ok(), `${response.url()}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json() as Promise<Record<string, unknown>>;
}

async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  expect(box, 'the marker is on screen').not.toBeNull();
  return { x: box!.x + box!.width / 2, y: box!.y + box!.height / 2 };
}

// Known frames from the JT/T 808 corpus (section A: SmallChi/JT808 test suite), as on the wire.
const CORPUS = {
  location: '7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000006402020037577E',
  registration2013: '7E0100002D000123456789000A002800323132333400736D616C6C6368693132330000000000000000004348493132330001D4C14131323334358A7E',
  escapedHeartbeat: '7E00020000040021679287002B7D027E',
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

test('the JT/T 808 encoder re-encodes known frames byte for byte', () => {
  // 0x0200 Test5: alarm 1, status 2, 12.222222 N 132.444444 E, altitude 40, 6.0 km/h, 2018-07-15 10:10:10 (GMT+8),
  // items 0x01 mileage 100 and 0x02 oil 55, serial 8888
  const location = locationBody({
    alarms: 1,
    status: STATUS_POSITIONED,
    lat: 12.222222,
    lon: 132.444444,
    altitudeM: 40,
    speedKmh: 6,
    courseDeg: 0,
    time: new Date('2018-07-15T10:10:10+08:00'),
    items: [
      [0x01, Uint8Array.of(0, 0, 0, 100)],
      [0x02, Uint8Array.of(0, 55)],
    ],
  });
  expect(hex(encodeFrame('112233445566', MessageId.LOCATION, location, 8888))).toBe(CORPUS.location);
  const decoded = decodeFrame(Buffer.from(CORPUS.location, 'hex'));
  expect([decoded.msgId, decoded.phone, decoded.serial, hex(decoded.body)]).toEqual([0x0200, '112233445566', 8888, hex(location)]);

  // 0x0100 Test1_1 (2013 layout): plate 粤A12345 in GBK
  const registration = registrationBody({ province: 40, city: 50, maker: '1234', model: 'smallchi123', terminalId: 'CHI123', plateColour: 1, plate: '粤A12345' });
  expect(hex(encodeFrame('123456789', MessageId.REGISTRATION, registration, 10))).toBe(CORPUS.registration2013);

  // a check code of 0x7e travels as 0x7d 0x02
  expect(hex(encodeFrame('40021679287', 0x0002, new Uint8Array(), 43))).toBe(CORPUS.escapedHeartbeat);
  expect(decodeFrame(Buffer.from(CORPUS.escapedHeartbeat, 'hex')).serial).toBe(43);
});

let terminal: Terminal | null = null;
test.afterEach(() => {
  terminal?.close();
  terminal = null;
});

test('a truck\'s JT/T 808 terminal reports over TCP and its marker moves on the waybill map without a reload', async ({ page, request }) => {
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

  // the trucking company's JT/T 808 terminal on that truck, provisioned as the carrier does it
  const phone = `1390001${serial}`;
  const terminalId = `E${serial}`;
  await ok(await request.post('/api/v1/tracking/vehicles', { headers: dispatcher, data: { kind: 'truck', reference: plate } }));
  await ok(
    await request.post('/api/v1/tracking/devices', {
      headers: dispatcher,
      data: { kind: 'jt808', identifier: phone, terminal_id: terminalId, plate },
    }),
  );
  await ok(
    await request.post(`/api/v1/tracking/devices/${phone}/bindings`, {
      headers: dispatcher,
      data: { vehicle: plate, valid_from: new Date(now - 3600_000).toISOString() },
    }),
  );
  await ok(
    await request.post(`/api/v1/waybills/${number}/legs/1/assignments`, {
      headers: dispatcher,
      data: { vehicle: plate, valid_from: new Date(now - 3600_000).toISOString() },
    }),
  );

  // the terminal dials the gateway, registers (plate in GBK) and authenticates
  const gateway = gatewayAddress();
  terminal = await connectTerminal(gateway.host, gateway.port, phone);
  const code = await terminal.register({ province: 33, city: 782, maker: 'YIDAN', model: 'BD-808', terminalId, plateColour: 2, plate });
  expect(code.length).toBeGreaterThan(0);
  expect(await terminal.authenticate(code)).toBe(0);
  const report = async (lat: number, lon: number, secondsAgo: number) =>
    expect(
      await terminal!.report({
        lat,
        lon,
        time: new Date(Date.now() - secondsAgo * 1000),
        speedKmh: 63,
        courseDeg: 68,
        altitudeM: 42,
        status: STATUS_ACC_ON | STATUS_POSITIONED,
        items: [[0x31, Uint8Array.of(14)]],
      }),
    ).toBe(0);

  await login(page, 'shipper@haida.demo');
  await page.goto(`/waybills/${number}`);
  const map = page.getByRole('region', { name: `运单 ${number} 的路线地图` });
  await expect(map.locator('path.route-planned--TRUCK')).toHaveCount(1);
  await expect(page.locator('.live-status')).toHaveAttribute('data-status', /live|connecting/);

  // 0x0200 reports a few seconds apart along the leg; their fix times twenty minutes of driving apart
  // (a jump no truck makes is kept off the live map)
  await report(29.45, 120.3, 1200);
  const marker = map.locator('.vehicle-marker');
  await expect(marker).toHaveCount(1, { timeout: 20_000 });
  await expect(marker).toContainText(plate);
  await map.scrollIntoViewIfNeeded();
  const first = await centre(marker);
  await shot(page, 'live-1-first-fix');

  await page.waitForTimeout(2_000);
  await report(29.485, 120.4, 600);
  await page.waitForTimeout(2_000);
  await report(29.52, 120.5, 1);
  await expect
    .poll(async () => {
      const now = await centre(marker);
      return Math.hypot(now.x - first.x, now.y - first.y);
    }, { timeout: 20_000 })
    .toBeGreaterThan(10);
  expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
  // the three fixes were stored from the terminal's frames, not from an HTTP post
  const stored = (await (await request.get(`/api/v1/tracking/positions?device=${phone}`, { headers: dispatcher })).json()) as {
    items: { source: string; lat: number; lon: number }[];
  };
  expect(stored.items.map((p) => [p.source, p.lat, p.lon])).toEqual([
    ['jt808', 29.45, 120.3],
    ['jt808', 29.485, 120.4],
    ['jt808', 29.52, 120.5],
  ]);
  await expect(page.locator('.live-status')).toHaveAttribute('data-status', 'live');
  await expect(map.locator('path.route-actual')).toHaveCount(1);
  await map.scrollIntoViewIfNeeded();
  await shot(page, 'live-2-marker-moved');
});
