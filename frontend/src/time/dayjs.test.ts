import { describe, expect, it } from 'vitest';
import { DEFAULT_TIME_ZONE, formatDateTime, formatOffset, isValidTimeZone } from './dayjs';

describe('dates in the user time zone', () => {
  it('shows UTC instants in China Standard Time by default', () => {
    expect(DEFAULT_TIME_ZONE).toBe('Asia/Shanghai');
    expect(formatDateTime('2025-03-01T16:30:00Z')).toBe('2025-03-02 00:30');
    expect(formatOffset('2025-03-01T16:30:00Z')).toBe('UTC+08:00');
  });

  it('honours an explicit offset in the value and another zone', () => {
    expect(formatDateTime('2025-03-01T08:00:00+08:00', 'UTC')).toBe('2025-03-01 00:00');
    expect(formatDateTime('2025-07-01T12:00:00Z', 'Europe/Berlin')).toBe('2025-07-01 14:00');
  });

  it('shows nothing for missing or unreadable values', () => {
    expect(formatDateTime(null)).toBe('');
    expect(formatDateTime('not a date')).toBe('');
  });

  it('knows real zones from made-up ones', () => {
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
