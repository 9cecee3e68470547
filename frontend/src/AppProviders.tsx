import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider, theme as antdTheme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import type { i18n as I18n } from 'i18next';
import { useEffect, useState, type ReactNode } from 'react';
import { I18nextProvider, useTranslation } from 'react-i18next';
import { ApiProvider } from './api/ApiContext';
import type { ApiClient } from './api/client';
import { AuthProvider } from './auth/AuthContext';
import { currentLanguage, type Language } from './i18n';
import { dayjs } from './time/dayjs';
import { TimeZoneProvider } from './time/TimeZoneContext';

const ANTD_LOCALES = { 'zh-CN': zhCN, en: enUS } as const;
const DAYJS_LOCALES: Record<Language, string> = { 'zh-CN': 'zh-cn', en: 'en' };

/** antd's locale (and dayjs's, which its pickers use) follows the i18next language. */
function LocalisedConfig({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  const language = currentLanguage(i18n);
  useEffect(() => {
    dayjs.locale(DAYJS_LOCALES[language]);
    document.documentElement.lang = language;
  }, [language]);
  return (
    <ConfigProvider
      locale={ANTD_LOCALES[language]}
      theme={{
        algorithm: antdTheme.defaultAlgorithm,
        token: { colorPrimary: '#1464c8', borderRadius: 6 },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

export interface AppProvidersProps {
  i18n: I18n;
  queryClient: QueryClient;
  api?: ApiClient;
  children: ReactNode;
}

/** Everything a page needs around it: i18n, antd, data, API client, time zone and session. */
export function AppProviders({ i18n, queryClient, api, children }: AppProvidersProps) {
  // Re-render on language change even where no component below asks for translations.
  const [, setLanguage] = useState(i18n.language);
  useEffect(() => {
    const onChange = (lng: string) => setLanguage(lng);
    i18n.on('languageChanged', onChange);
    return () => i18n.off('languageChanged', onChange);
  }, [i18n]);

  return (
    <I18nextProvider i18n={i18n}>
      <QueryClientProvider client={queryClient}>
        <ApiProvider {...(api ? { client: api } : {})}>
          <TimeZoneProvider>
            <LocalisedConfig>
              <AuthProvider>{children}</AuthProvider>
            </LocalisedConfig>
          </TimeZoneProvider>
        </ApiProvider>
      </QueryClientProvider>
    </I18nextProvider>
  );
}
