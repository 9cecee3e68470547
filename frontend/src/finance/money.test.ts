import { describe, expect, it } from 'vitest';
import { formatMoney, sumBy, toMinor } from './money';

describe('money', () => {
  it('formats minor units in the language', () => {
    expect(formatMoney(1888880, 'CNY', 'zh-CN')).toBe('¥18,888.80');
    expect(formatMoney(1888880, 'CNY', 'en')).toMatch(/18,888\.80/);
    expect(formatMoney(500, 'JPY', 'en')).toMatch(/500/);
    expect(formatMoney(null, 'CNY', 'en')).toBe('—');
  });

  it('turns typed amounts into minor units', () => {
    expect(toMinor(12.5, 'CNY')).toBe(1250);
    expect(toMinor(null, 'CNY')).toBeNull();
  });

  it('sums per key in first-seen order', () => {
    expect(sumBy([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }], (x) => x.k, (x) => x.v)).toEqual([
      { key: 'a', total: 4 },
      { key: 'b', total: 2 },
    ]);
  });
});
