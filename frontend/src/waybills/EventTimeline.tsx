import { CheckCircleFilled, ClockCircleOutlined } from '@ant-design/icons';
import { Space, Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { EventClassifier, PlaceRef } from '../api/models';
import { DateTime } from '../time/DateTime';
import { formatDateTime } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { ClassifierTag } from './ClassifierTag';
import { usePlaceName } from './places';

export interface TimelineEvent {
  key: string;
  event_code: string;
  classifier: EventClassifier;
  event_time: string;
  location: PlaceRef | null;
  event_type?: string;
  leg_seq?: number | null;
  description?: string | null;
  recorded_at?: string;
}

const TIMELINE_COLORS: Record<EventClassifier, string> = { ACT: 'green', EST: 'blue', PLN: 'gray' };

function classifierIcon(classifier: EventClassifier) {
  if (classifier === 'ACT') return <CheckCircleFilled className="event-dot event-dot--ACT" />;
  if (classifier === 'EST') return <ClockCircleOutlined className="event-dot event-dot--EST" />;
  return undefined; // planned: the plain hollow dot
}

/** Events in time order; actual, estimated and planned differ in icon, colour and tag. */
export function EventTimeline({ events }: { events: readonly TimelineEvent[] }) {
  const { t } = useTranslation();
  const placeName = usePlaceName();
  const { timeZone } = useTimeZone();
  const ordered = [...events].sort((a, b) => Date.parse(a.event_time) - Date.parse(b.event_time));

  return (
    <Timeline
      className="event-timeline"
      items={ordered.map((event) => ({
        key: event.key,
        color: TIMELINE_COLORS[event.classifier] ?? 'gray',
        icon: classifierIcon(event.classifier),
        className: `event event--${event.classifier}`,
        content: (
          <Space orientation="vertical" size={0}>
            <Space size={6} wrap>
              <Typography.Text strong={event.classifier === 'ACT'} type={event.classifier === 'PLN' ? 'secondary' : undefined}>
                {t(`events.codes.${event.event_code}`, { defaultValue: event.event_code })}
              </Typography.Text>
              <Typography.Text type="secondary" className="mono">
                {event.event_code}
              </Typography.Text>
              <ClassifierTag classifier={event.classifier} />
            </Space>
            <Typography.Text type={event.classifier === 'ACT' ? undefined : 'secondary'}>
              <DateTime value={event.event_time} />
              {event.location ? ` · ${placeName(event.location)}` : ''}
              {event.leg_seq != null ? ` · ${t('events.leg', { seq: event.leg_seq })}` : ''}
            </Typography.Text>
            {event.description ? <Typography.Text type="secondary">{event.description}</Typography.Text> : null}
            {event.recorded_at && event.classifier === 'ACT' ? (
              <Typography.Text type="secondary" className="event-recorded">
                {t('events.recordedAt', { time: formatDateTime(event.recorded_at, timeZone) })}
              </Typography.Text>
            ) : null}
          </Space>
        ),
      }))}
    />
  );
}
