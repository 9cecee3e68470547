import type { i18n as I18n } from 'i18next';
import { currentLanguage } from '../i18n';

/** A text in both languages of the app. */
export interface Bilingual {
  en: string;
  zh: string;
}

/** The text in the instance's current language. */
export function inLanguage(i18n: I18n, text: Bilingual): string {
  return currentLanguage(i18n) === 'en' ? text.en : text.zh;
}

// The webhook service answers its URL checks in English only; these are the ones it makes (partners/service.py).
const URL_MESSAGES: readonly (readonly [RegExp, Bilingual])[] = [
  [
    /^must use https:\/\//,
    { en: 'Use an https:// address (plain http:// only to 127.0.0.1 or localhost)', zh: '请使用 https:// 地址（http:// 仅限 127.0.0.1 或 localhost）' },
  ],
  [/^(must be an absolute https:\/\/ URL|not a valid URL)/, { en: 'Enter a full URL starting with https://', zh: '请填写以 https:// 开头的完整地址' }],
  [
    /^must not carry a user name or password/,
    { en: 'Leave the user name and password out of the URL; verify the signature instead', zh: '地址中不能包含用户名或密码，请改为校验签名' },
  ],
  [/^must not have a #fragment/, { en: 'Leave the #fragment out of the URL', zh: '地址中不能包含 # 片段' }],
];

/** A server message about the endpoint URL in the user's language; one it does not know stays as it came. */
export function urlErrorText(i18n: I18n, message: string): string {
  const known = URL_MESSAGES.find(([pattern]) => pattern.test(message));
  return known ? inLanguage(i18n, known[1]) : message;
}

/** What the list says of a subscription Yidan disabled itself (the only writer of disabled_reason). */
export const AUTO_DISABLED: Bilingual = { en: 'Auto-disabled', zh: '已自动停用' };

/** Why: the reason the server stores is English only. */
export const AUTO_DISABLED_HELP: Bilingual = {
  en: 'Several deliveries in a row failed after every retry. Fix the endpoint, then enable the subscription again.',
  zh: '连续多次投递在全部重试后仍未成功。请修复接收端，然后重新启用此订阅。',
};

/** The answer to one subscription too many (code too_many_subscriptions). */
export const TOO_MANY_SUBSCRIPTIONS: Bilingual = {
  en: 'Your organisation has as many webhook subscriptions as it may have; delete one first.',
  zh: '本组织的 Webhook 订阅数已达上限，请先删除一个订阅。',
};
