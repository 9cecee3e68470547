import dayjs from 'dayjs';
import timezone from 'dayjs/plugin/timezone';
import utc from 'dayjs/plugin/utc';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';

dayjs.extend(utc);
dayjs.extend(timezone);

export { dayjs };

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The zone this browser runs in, when it says. */
export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

/** True when the runtime knows the IANA zone. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `YYYY-MM-DD HH:mm` of an ISO instant in a zone; empty for a missing or unreadable value. */
export function formatDateTime(value: string | null | undefined, zone: string = DEFAULT_TIME_ZONE): string {
  if (!value) return '';
  const instant = dayjs(value);
  if (!instant.isValid()) return '';
  return instant.tz(zone).format('YYYY-MM-DD HH:mm');
}

/** The zone's offset at an instant, like `UTC+08:00`. */
export function formatOffset(value: string | null | undefined, zone: string = DEFAULT_TIME_ZONE): string {
  const instant = value ? dayjs(value) : dayjs();
  if (!instant.isValid()) return '';
  return `UTC${instant.tz(zone).format('Z')}`;
}
