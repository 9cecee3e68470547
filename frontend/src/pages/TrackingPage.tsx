import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Descriptions, Empty, Layout, Skeleton, Space, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiContext';
import { fetchPublicTracking, queryKeys } from '../api/endpoints';
import type { ApiError } from '../api/problem';
import type { PublicTracking } from '../api/models';
import { ProblemAlert } from '../components/ProblemAlert';
import { LanguageSwitch } from '../i18n/LanguageSwitch';
import { ProductMark } from '../layout/ProductMark';
import { DateTime } from '../time/DateTime';
import { ClassifierTag } from '../waybills/ClassifierTag';
import { EventTimeline } from '../waybills/EventTimeline';
import { LegSteps } from '../waybills/LegSteps';
import { bestTime } from '../waybills/legs';
import { usePlaceName } from '../waybills/places';
import { StatusTag } from '../waybills/StatusTag';

// The map (Leaflet, Natural Earth) loads after the journey is shown, often on a phone.
const WaybillMap = lazy(() => import('../map/WaybillMap'));

function TrackingView({ tracking }: { tracking: PublicTracking }) {
  const { t } = useTranslation();
  const placeName = usePlaceName();
  const lastLeg = [...tracking.legs].sort((a, b) => b.seq - a.seq)[0];
  const arrival = lastLeg ? bestTime(lastLeg.actual_arrival, lastLeg.estimated_arrival, lastLeg.planned_arrival) : null;
  const arrivalLabel = arrival ? { ACT: t('track.ata'), EST: t('track.eta'), PLN: t('track.pta') }[arrival.classifier] : null;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card>
        <Space size="middle" align="center" wrap>
          <Typography.Title level={3} style={{ margin: 0 }} className="mono">
            {tracking.number}
          </Typography.Title>
          <StatusTag status={tracking.status} />
        </Space>
        <Descriptions
          size="small"
          column={{ xs: 1, sm: 3 }}
          style={{ marginTop: 12 }}
          items={[
            { key: 'origin', label: t('track.origin'), children: placeName(tracking.origin) },
            { key: 'destination', label: t('track.destination'), children: placeName(tracking.destination) },
            ...(arrival && arrivalLabel
              ? [
                  {
                    key: 'arrival',
                    label: arrivalLabel,
                    children: (
                      <Space size={4}>
                        <DateTime value={arrival.value} />
                        <ClassifierTag classifier={arrival.classifier} />
                      </Space>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Card>
      <Card title={t('track.progress')}>
        {tracking.legs.length > 0 ? (
          <LegSteps legs={tracking.legs} />
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.noLegs')} />
        )}
      </Card>
      {tracking.legs.length > 0 ? (
        <Card title={t('map.title')}>
          <Suspense fallback={<Skeleton.Node active style={{ width: '100%', height: 320 }} />}>
            <WaybillMap
              height={320}
              label={t('map.regionLabel', { number: tracking.number })}
              legs={tracking.legs.map((leg) => ({
                seq: leg.seq,
                mode: leg.mode,
                from: { unlocode: leg.from_location.unlocode, label: placeName(leg.from_location), lat: leg.from_location.lat, lon: leg.from_location.lon },
                to: { unlocode: leg.to_location.unlocode, label: placeName(leg.to_location), lat: leg.to_location.lat, lon: leg.to_location.lon },
              }))}
            />
          </Suspense>
        </Card>
      ) : null}
      <Card title={t('track.history')}>
        {tracking.events.length > 0 ? (
          <EventTimeline
            events={tracking.events.map((event, index) => ({
              key: `${index}-${event.event_code}-${event.event_time}`,
              event_code: event.event_code,
              classifier: event.classifier,
              event_time: event.event_time,
              location: event.location,
            }))}
          />
        ) : (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('detail.noEvents')} />
        )}
      </Card>
    </Space>
  );
}

/** Public tracking reached from the e-waybill's QR code: `/track/{number}?k={key}`, no sign-in. */
export function TrackingPage() {
  const { t } = useTranslation();
  const api = useApi();
  const { number = '' } = useParams();
  const [searchParams] = useSearchParams();
  const key = searchParams.get('k') ?? '';

  const query = useQuery<PublicTracking, ApiError>({
    queryKey: queryKeys.publicTracking(number, key),
    queryFn: ({ signal }) => fetchPublicTracking(api, number, key, signal),
    enabled: number !== '' && key !== '',
    refetchInterval: 60_000,
  });

  let body;
  if (!key) body = <Alert type="warning" showIcon title={t('track.missingKey')} />;
  else if (query.error?.status === 404 || query.error?.status === 403) body = <Alert type="warning" showIcon title={t('track.notFound')} />;
  else if (query.error) body = <ProblemAlert error={query.error} onRetry={() => void query.refetch()} />;
  else if (query.data) body = <TrackingView tracking={query.data} />;
  else
    body = (
      <Card>
        <Skeleton active paragraph={{ rows: 6 }} />
      </Card>
    );

  return (
    <Layout className="app-shell">
      <Layout.Header className="app-header">
        <Link to="/" className="app-header__brand">
          <ProductMark />
          <Typography.Text strong className="app-header__name">
            {t('app.name')}
          </Typography.Text>
        </Link>
        <div className="app-header__actions">
          <LanguageSwitch size="small" />
          <Link to="/login">{t('track.signIn')}</Link>
        </div>
      </Layout.Header>
      <Layout.Content className="app-content app-content--narrow">
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <div>
            <Typography.Title level={2} style={{ margin: 0 }}>
              {t('track.title')}
            </Typography.Title>
            <Typography.Text type="secondary">{t('track.subtitle', { number })}</Typography.Text>
          </div>
          {body}
        </Space>
      </Layout.Content>
    </Layout>
  );
}
