import { expect, test } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { login, shot } from './helpers';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A partner's webhook endpoint on 127.0.0.1 that answers 200 and keeps what it got. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/yidan`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // the server's HTTP client keeps its connection alive
        server.close(() => resolve());
      }),
  };
}

/** The Standard Webhooks check a receiver makes: HMAC-SHA256 of "id.timestamp.body" with the decoded secret. */
function signatureOk(secret: string, got: Received): boolean {
  const id = String(got.headers['webhook-id']);
  const timestamp = String(got.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${got.body}`).digest('base64');
  return String(got.headers['webhook-signature'])
    .split(' ')
    .some((sig) => sig === `v1,${expected}`);
}

test('a partner admin creates an API key, sees it once, and revokes it', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL! });
  await login(page, 'partner@donghai.demo');
  await page.getByRole('link', { name: '合作伙伴控制台' }).click();
  await expect(page.getByRole('heading', { name: '合作伙伴控制台' })).toBeVisible();
  await expect(page.getByRole('link', { name: /打开 GraphiQL/ })).toHaveAttribute('href', '/graphql');

  const name = `ERP 对接 ${Date.now()}`;
  await page.getByRole('button', { name: '创建密钥' }).click();
  const dialog = page.getByRole('dialog', { name: '创建 API 密钥' });
  await dialog.getByLabel('名称').fill(name);
  await dialog.getByRole('checkbox', { name: /tracking:write/ }).check();
  await dialog.getByRole('button', { name: /创\s*建/ }).click();

  const shown = page.getByRole('dialog', { name: '新的 API 密钥' });
  await expect(shown.getByText('密钥只显示这一次', { exact: false })).toBeVisible();
  const secret = await shown.getByTestId('new-api-key').inputValue();
  expect(secret.length).toBeGreaterThan(20);
  await shown.getByRole('button', { name: /复\s*制/ }).click();
  await expect(page.getByText('已复制到剪贴板')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await shot(page, 'partner-1-key-shown-once');

  // the key works against the API
  const me = await page.request.get('/api/v1/me', { headers: { 'X-API-Key': secret } });
  expect(me.status()).toBe(200);

  await shown.getByRole('button', { name: '我已保存' }).click();
  const row = page.locator('tr.api-key-row').filter({ hasText: name });
  await expect(row).toContainText('有效');
  await expect(row).not.toContainText(secret);
  await shot(page, 'partner-2-keys');

  await row.getByRole('button', { name: `吊销密钥 ${name}` }).click();
  await page.locator('.ant-popconfirm').getByRole('button', { name: /吊\s*销/ }).click();
  await expect(page.getByText(`密钥“${name}”已吊销`)).toBeVisible();
  await expect(row).toContainText('已吊销');
  await shot(page, 'partner-3-revoked');

  const refused = await page.request.get('/api/v1/me', { headers: { 'X-API-Key': secret } });
  expect(refused.status()).toBe(401);
});

test('a partner admin subscribes an endpoint, sends a test event and sees it delivered', async ({ page }) => {
  const receiver = await startReceiver();
  try {
    await login(page, 'partner@donghai.demo');
    await page.getByRole('link', { name: '合作伙伴控制台' }).click();
    await page.getByRole('button', { name: '新建订阅' }).click();
    const dialog = page.getByRole('dialog', { name: '新建 Webhook 订阅' });
    await dialog.getByLabel('接收地址').fill(receiver.url);
    await dialog.getByRole('checkbox', { name: /运单订舱/ }).check();
    // not the default DCSA events: the demo's moving vehicles would post some while this test counts deliveries
    await dialog.getByRole('checkbox', { name: /运单事件/ }).uncheck();
    await dialog.getByLabel('备注').fill('e2e 接收端');
    await page.waitForTimeout(300); // the checkbox's tick animates in
    await shot(page, 'partner-4-webhook-create');
    await dialog.getByRole('button', { name: /创\s*建/ }).click();

    const shown = page.getByRole('dialog', { name: '签名密钥' });
    await expect(shown.getByText('签名密钥只显示这一次', { exact: false })).toBeVisible();
    const secret = await shown.getByTestId('webhook-secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    await expect(dialog).toBeHidden();
    await page.waitForTimeout(500); // the dialogs swap with a zoom: let it finish before the picture
    await shot(page, 'partner-5-webhook-secret-shown-once');
    await shown.getByRole('button', { name: '我已保存' }).click();

    const row = page.locator('tr.webhook-row').filter({ hasText: receiver.url });
    await expect(row).toContainText('启用');
    await expect(row).toContainText('运单订舱');
    await expect(page.locator('body')).not.toContainText(secret);

    await row.getByRole('button', { name: `向 ${receiver.url} 发送测试事件` }).click();
    await expect(page.getByText('测试事件已排队', { exact: false })).toBeVisible();
    // `yidan serve` sends it from its own delivery loop within a second or two, signed
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(1);
    const ping = receiver.received[0]!;
    expect(signatureOk(secret, ping)).toBe(true);
    const body = JSON.parse(ping.body) as { id: string; type: string };
    expect(body.type).toBe('ping');
    expect(ping.headers['webhook-id']).toBe(body.id);

    await row.getByRole('button', { name: `查看 ${receiver.url} 的投递记录` }).click();
    const drawer = page.getByRole('dialog', { name: /投递记录/ });
    const delivered = drawer.locator('tr.webhook-delivery-row').filter({ hasText: '测试事件' });
    await expect(delivered).toContainText('已送达');
    await expect(delivered).toContainText('测试事件');
    await expect(delivered).toContainText('200');
    await expect(page.getByText('测试事件已排队', { exact: false })).toBeHidden();
    await shot(page, 'partner-6-webhook-delivered');

    // sent again on request, with the same webhook-id so the receiver can tell it is a repeat
    await delivered.getByRole('button', { name: /重新投递 测试事件/ }).click();
    await expect(page.getByText('已重新排队投递')).toBeVisible();
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(body.id);
    expect(signatureOk(secret, receiver.received[1]!)).toBe(true);
    await expect(delivered).toContainText('已送达');
    await page.keyboard.press('Escape');
    await expect(drawer).toBeHidden();
    await expect(page.getByText('已重新排队投递')).toBeHidden();
    await shot(page, 'partner-7-webhooks');
  } finally {
    await receiver.close();
  }
});
