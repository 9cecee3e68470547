import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from './dayjs';

export const TIME_ZONE_STORAGE_KEY = 'yidan.timeZone';

interface TimeZoneState {
  timeZone: string;
  setTimeZone: (zone: string) => void;
}

const TimeZoneContext = createContext<TimeZoneState>({
  timeZone: DEFAULT_TIME_ZONE,
  setTimeZone: () => undefined,
});

function initialTimeZone(): string {
  try {
    const stored = window.localStorage.getItem(TIME_ZONE_STORAGE_KEY);
    if (stored && isValidTimeZone(stored)) return stored;
  } catch {
    // storage unavailable: fall through to the default
  }
  return DEFAULT_TIME_ZONE;
}

/** Holds the zone dates are shown in: Asia/Shanghai unless the user picked another. */
export function TimeZoneProvider({ children }: { children: ReactNode }) {
  const [timeZone, setState] = useState(initialTimeZone);
  const setTimeZone = useCallback((zone: string) => {
    if (!isValidTimeZone(zone)) return;
    setState(zone);
    try {
      window.localStorage.setItem(TIME_ZONE_STORAGE_KEY, zone);
    } catch {
      // not remembered, still applied
    }
  }, []);
  const value = useMemo(() => ({ timeZone, setTimeZone }), [timeZone, setTimeZone]);
  return <TimeZoneContext.Provider value={value}>{children}</TimeZoneContext.Provider>;
}

export function useTimeZone(): TimeZoneState {
  return useContext(TimeZoneContext);
}
