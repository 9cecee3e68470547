import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import zhCN from './zh-CN.json';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-CN';
export const LANGUAGE_STORAGE_KEY = 'yidan.language';

export const resources = {
  'zh-CN': { translation: zhCN },
  en: { translation: en },
} as const;

/** The supported language a tag stands for (`zh`, `zh-cn` → zh-CN; `en-GB` → en), or null. */
export function normaliseLanguage(tag: string | null | undefined): Language | null {
  if (!tag) return null;
  const lower = tag.toLowerCase();
  if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  if (lower === 'en' || lower.startsWith('en-')) return 'en';
  return null;
}

function safeStorage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null; // storage can be disabled (privacy modes); the app still works, unremembered
  }
}

/** The language chosen last time, else zh-CN. */
export function storedLanguage(): Language {
  return normaliseLanguage(safeStorage()?.getItem(LANGUAGE_STORAGE_KEY)) ?? DEFAULT_LANGUAGE;
}

/** Makes an initialised i18next instance that remembers every language change in localStorage. */
export function createI18n(language: Language = storedLanguage()): I18n {
  const instance = i18next.createInstance();
  instance.on('languageChanged', (lng) => {
    const normalised = normaliseLanguage(lng);
    if (!normalised) return;
    safeStorage()?.setItem(LANGUAGE_STORAGE_KEY, normalised);
    if (typeof document !== 'undefined') document.documentElement.lang = normalised;
  });
  void instance.use(initReactI18next).init({
    resources,
    lng: language,
    fallbackLng: DEFAULT_LANGUAGE,
    supportedLngs: [...LANGUAGES],
    load: 'currentOnly',
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes already
    returnNull: false,
  });
  return instance;
}

/** The current language of an instance as one of ours. */
export function currentLanguage(instance: I18n): Language {
  return normaliseLanguage(instance.resolvedLanguage ?? instance.language) ?? DEFAULT_LANGUAGE;
}
