/** Minor units of a currency as the user's locale writes money (¥1,888.80, CN¥1,888.80 …). */
export function formatMoney(minor: number | null | undefined, currency: string, language: string): string {
  if (minor === null || minor === undefined) return '—';
  const format = new Intl.NumberFormat(language.startsWith('zh') ? 'zh-CN' : 'en-GB', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** Major units typed by a person (e.g. "12.5") as minor units, or null when unreadable. */
export function toMinor(major: number | null | undefined, currency: string): number | null {
  if (major === null || major === undefined || !Number.isFinite(major)) return null;
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return Math.round(major * 10 ** digits);
}

/** Sums amounts per key (a day, a status), keys in order of first appearance. */
export function sumBy<T>(items: readonly T[], key: (item: T) => string | null, amount: (item: T) => number): { key: string; total: number }[] {
  const totals = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    totals.set(k, (totals.get(k) ?? 0) + amount(item));
  }
  return [...totals.entries()].map(([k, total]) => ({ key: k, total }));
}
