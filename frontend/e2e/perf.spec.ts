import { expect, test } from '@playwright/test';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ARTIFACTS, login } from './helpers';

const DIST = resolve(import.meta.dirname, '..', 'dist');

/** Gzipped bytes of the built files: all of them, and those the sign-in page loads first. */
function bundleSizes() {
  const assets = readdirSync(join(DIST, 'assets'));
  const gz = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length;
  const all = assets.reduce((sum, name) => sum + gz(join(DIST, 'assets', name)), 0) + gz(join(DIST, 'index.html'));
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((match) => match[1]!);
  const first = initial.reduce((sum, name) => sum + gz(join(DIST, 'assets', name)), 0) + gz(join(DIST, 'index.html'));
  return { allGzipKiB: +(all / 1024).toFixed(1), initialGzipKiB: +(first / 1024).toFixed(1), initialFiles: initial.length };
}

test('first load on localhost with a cold cache, and the bundle size', async ({ browser, baseURL }) => {
  const timings: Record<string, number> = {};
  for (const [name, path, signIn] of [
    ['login', '/login', false],
    ['waybillList', '/waybills', true],
  ] as const) {
    const context = await browser.newContext({ baseURL: baseURL! });
    const page = await context.newPage();
    if (signIn) {
      await login(page, 'shipper@haida.demo');
      // a new context has an empty cache: keep the session, lose everything cached
      const state = await context.storageState();
      await context.close();
      const cold = await browser.newContext({ baseURL: baseURL!, storageState: state });
      const coldPage = await cold.newPage();
      await coldPage.goto(path, { waitUntil: 'load' });
      timings[name] = await coldPage.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return Math.round(nav.loadEventEnd - nav.startTime);
      });
      await expect(coldPage.getByRole('table')).toBeVisible();
      await cold.close();
      continue;
    }
    await page.goto(path, { waitUntil: 'load' });
    timings[name] = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return Math.round(nav.loadEventEnd - nav.startTime);
    });
    await context.close();
  }
  const result = { firstLoadMs: timings, bundle: bundleSizes() };
  writeFileSync(join(ARTIFACTS, 'metrics.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`metrics: ${JSON.stringify(result)}`);
  expect(timings.login).toBeGreaterThan(0);
});
