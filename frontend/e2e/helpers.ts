import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const PASSWORD = 'Yidan-demo-2026';
export const ARTIFACTS = resolve(import.meta.dirname, '..', '..', 'tests', 'artifacts', 'e2e');

/** Saves a full-page screenshot to tests/artifacts/e2e/<name>.png. */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** Signs in through the login form and waits for the app shell. */
export async function login(page: Page, email: string): Promise<void> {
  await page.goto('/login');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(PASSWORD);
  await page.locator('form button[type="submit"]').click();
  await expect(page.locator('.app-shell .app-header')).toBeVisible();
  await expect(page).toHaveURL(/\/waybills/);
}

/** Signs out by forgetting the session in this browser context. */
export async function logout(page: Page): Promise<void> {
  await page.evaluate(() => {
    localStorage.removeItem('yidan.accessToken');
    localStorage.removeItem('yidan.refreshToken');
  });
}

/** The open dropdown of antd Select / AutoComplete (rendered in a portal). */
export function openDropdown(page: Page): Locator {
  return page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)').last();
}

/** Opens an antd Select by its input id and picks the option whose text contains `option`. */
export async function pick(page: Page, id: string, option: string | RegExp, search?: string): Promise<void> {
  const input = page.locator(`#${id}`);
  await input.click();
  if (search !== undefined) await input.fill(search);
  const item = openDropdown(page).locator('.ant-select-item-option').filter({ hasText: option }).first();
  await item.click();
  await expect(openDropdown(page)).toBeHidden({ timeout: 5_000 }).catch(() => undefined);
}
