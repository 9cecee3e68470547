import { useQuery } from '@tanstack/react-query';
import { Select, Spin } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { moreKeys, searchLocations } from '../api/endpoints';
import type { Location } from '../api/models';

/** A place as shown in a picker: Chinese name first in Chinese, the code always. */
export function locationLabel(location: Pick<Location, 'unlocode' | 'name' | 'name_zh'>, language: string): string {
  const zh = language.startsWith('zh');
  const primary = zh && location.name_zh ? location.name_zh : location.name;
  const secondary = zh ? location.name : location.name_zh;
  return `${primary}${secondary && secondary !== primary ? ` ${secondary}` : ''} (${location.unlocode})`;
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export interface LocationSelectProps {
  id?: string;
  value?: string;
  onChange?: (value: string | undefined) => void;
  /** Called with the chosen place so the caller can show its name elsewhere (review step). */
  onPicked?: (location: Location) => void;
  placeholder?: string;
  'aria-label'?: string;
  status?: '' | 'error' | 'warning';
}

/** A UN/LOCODE place searched on the server by code or English or Chinese name. */
export function LocationSelect({ id, value, onChange, onPicked, placeholder, status, ...rest }: LocationSelectProps) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 200);
  const results = useQuery({
    queryKey: moreKeys.locations(q),
    queryFn: ({ signal }) => searchLocations(api, q, signal),
    staleTime: 10 * 60_000,
  });
  // The chosen place may not be among the current results (auto-filled from the previous leg).
  const chosen = useQuery({
    queryKey: moreKeys.locations(value ?? ''),
    queryFn: ({ signal }) => searchLocations(api, value ?? '', signal),
    enabled: Boolean(value),
    staleTime: 10 * 60_000,
  });

  const byCode = useMemo(() => {
    const map = new Map<string, Location>();
    for (const location of [...(chosen.data ?? []), ...(results.data ?? [])]) map.set(location.unlocode, location);
    return map;
  }, [results.data, chosen.data]);

  useEffect(() => {
    const location = value ? byCode.get(value) : undefined;
    if (location) onPicked?.(location);
  }, [value, byCode, onPicked]);

  const options = (results.data ?? []).map((location) => ({ value: location.unlocode, label: locationLabel(location, i18n.language) }));
  if (value && !options.some((option) => option.value === value)) {
    const location = byCode.get(value);
    options.unshift({ value, label: location ? locationLabel(location, i18n.language) : value });
  }

  return (
    <Select<string>
      id={id}
      aria-label={rest['aria-label']}
      value={value}
      onChange={(next) => onChange?.(next)}
      options={options}
      placeholder={placeholder ?? t('booking.placeSearch')}
      showSearch={{ filterOption: false, onSearch: setSearch, searchValue: search }}
      onOpenChange={(open) => {
        if (!open) setSearch('');
      }}
      notFoundContent={results.isFetching ? <Spin size="small" /> : t('booking.noPlaces')}
      allowClear
      status={status}
      style={{ width: '100%' }}
      popupMatchSelectWidth={false}
    />
  );
}
