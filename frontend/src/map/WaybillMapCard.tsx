import { useQuery } from '@tanstack/react-query';
import { Badge, Card, Skeleton, Typography } from 'antd';
import { lazy, Suspense, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchGates, fetchTerminals, moreKeys } from '../api/endpoints';
import type { Gate, Leg, Terminal } from '../api/models';
import { DateTime } from '../time/DateTime';
import { useLiveTracking, type LiveStatus } from '../tracking/useLiveTracking';
import { usePlaceName } from '../waybills/places';
import type { MapLeg } from './WaybillMap';

// Leaflet and the Natural Earth shapes load with the first map, not with the app shell.
const WaybillMap = lazy(() => import('./WaybillMap'));

const STATUS_BADGE: Record<LiveStatus, 'success' | 'processing' | 'default' | 'warning'> = {
  live: 'success',
  connecting: 'processing',
  reconnecting: 'warning',
  loading: 'processing',
  unavailable: 'default',
};

/** The map card of a waybill page: planned route, terminals and gates, actual track and live vehicles. */
export function WaybillMapCard({ number, legs }: { number: string; legs: readonly Leg[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const placeName = usePlaceName();
  const terminals = useQuery({ queryKey: moreKeys.terminals, queryFn: ({ signal }) => fetchTerminals(api, undefined, signal), staleTime: 3_600_000 });
  const gates = useQuery({ queryKey: moreKeys.gates, queryFn: ({ signal }) => fetchGates(api, undefined, signal), staleTime: 3_600_000 });
  const { state, status, lastFixAt } = useLiveTracking(number);

  const mapLegs = useMemo<MapLeg[]>(
    () =>
      legs.map((leg) => ({
        seq: leg.seq,
        mode: leg.mode,
        from: { unlocode: leg.from_location.unlocode, label: placeName(leg.from_location), lat: leg.from_location.lat, lon: leg.from_location.lon },
        to: { unlocode: leg.to_location.unlocode, label: placeName(leg.to_location), lat: leg.to_location.lat, lon: leg.to_location.lon },
      })),
    [legs, placeName],
  );

  // Only the terminals at the journey's places, and their gates, are worth drawing.
  const { nearTerminals, nearGates } = useMemo(() => {
    const places = new Set(legs.flatMap((leg) => [leg.from_location.unlocode, leg.to_location.unlocode]));
    const nearTerminals: Terminal[] = Array.isArray(terminals.data) ? terminals.data.filter((terminal) => places.has(terminal.unlocode)) : [];
    const codes = new Set(nearTerminals.map((terminal) => terminal.code));
    const nearGates: Gate[] = Array.isArray(gates.data) ? gates.data.filter((gate) => codes.has(gate.terminal_code)) : [];
    return { nearTerminals, nearGates };
  }, [legs, terminals.data, gates.data]);

  return (
    <Card
      title={t('map.title')}
      className="map-card"
      extra={
        <span className="live-status" data-status={status}>
          <Badge status={STATUS_BADGE[status]} text={t(`map.status.${status}`)} />
          {lastFixAt ? (
            <Typography.Text type="secondary" className="live-status__time">
              {' · '}
              {t('map.lastFix')} <DateTime value={lastFixAt} />
            </Typography.Text>
          ) : null}
        </span>
      }
    >
      <Suspense fallback={<Skeleton.Node active style={{ width: '100%', height: 420 }} />}>
        <WaybillMap legs={mapLegs} terminals={nearTerminals} gates={nearGates} live={state} label={t('map.regionLabel', { number })} />
      </Suspense>
    </Card>
  );
}
