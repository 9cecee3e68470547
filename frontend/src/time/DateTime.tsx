import { formatDateTime, formatOffset } from './dayjs';
import { useTimeZone } from './TimeZoneContext';

/** An instant in the user's time zone; the zone and offset show on hover. */
export function DateTime({ value, fallback = '—' }: { value: string | null | undefined; fallback?: string }) {
  const { timeZone } = useTimeZone();
  const text = formatDateTime(value, timeZone);
  if (!text || !value) return <>{fallback}</>;
  return (
    <time dateTime={value} title={`${timeZone} (${formatOffset(value, timeZone)})`}>
      {text}
    </time>
  );
}
