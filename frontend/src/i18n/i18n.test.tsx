import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Empty } from 'antd';
import { describe, expect, it } from 'vitest';
import { renderWithApp } from '../test/render';
import en from './en.json';
import { LanguageSwitch } from './LanguageSwitch';
import { createI18n, LANGUAGE_STORAGE_KEY, normaliseLanguage, storedLanguage } from './index';
import zhCN from './zh-CN.json';

function keysOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => keysOf(child, prefix ? `${prefix}.${key}` : key));
}

describe('i18n', () => {
  it('defaults to Chinese', () => {
    expect(storedLanguage()).toBe('zh-CN');
    expect(createI18n().language).toBe('zh-CN');
  });

  it('has the same keys in both languages', () => {
    expect(keysOf(en).sort()).toEqual(keysOf(zhCN).sort());
  });

  it('maps language tags onto the supported ones', () => {
    expect(normaliseLanguage('zh')).toBe('zh-CN');
    expect(normaliseLanguage('zh-Hans-CN')).toBe('zh-CN');
    expect(normaliseLanguage('en-GB')).toBe('en');
    expect(normaliseLanguage('fr')).toBeNull();
    window.localStorage.setItem(LANGUAGE_STORAGE_KEY, 'fr');
    expect(storedLanguage()).toBe('zh-CN');
  });

  it('switches language from the header control, remembers it and moves antd along', async () => {
    const user = userEvent.setup();
    renderWithApp(
      <>
        <LanguageSwitch />
        <Empty />
      </>,
    );
    expect(screen.getByText('暂无数据', { selector: '.ant-empty-description' })).toBeInTheDocument();

    await user.click(screen.getByText('English'));

    await waitFor(() => expect(screen.getByText('No data', { selector: '.ant-empty-description' })).toBeInTheDocument());
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    // The next visit starts in the remembered language.
    expect(storedLanguage()).toBe('en');
    expect(createI18n().t('auth.submit')).toBe('Sign in');

    await user.click(screen.getByText('中文'));
    await waitFor(() => expect(screen.getByText('暂无数据', { selector: '.ant-empty-description' })).toBeInTheDocument());
    expect(window.localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('zh-CN');
  });
});
