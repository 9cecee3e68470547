import { CloudUploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Col, DatePicker, Form, InputNumber, Row, Select, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchSlotsBetween, gateKeys, publishSlots } from '../api/gates';
import type { Gate, Slot } from '../api/models';
import { isApiError, networkError, type ApiError } from '../api/problem';
import { cleanMessage } from '../booking/fieldErrors';
import { ProblemAlert } from '../components/ProblemAlert';
import { GateSelect } from './GateSelect';
import { dayjs } from '../time/dayjs';

export interface PublishValues {
  dates?: [Dayjs, Dayjs] | null;
  from_hour: number;
  to_hour: number;
  slot_minutes: number;
  capacity?: number | null;
}

/** One day's window as the API takes it, and the starts of the slots it is cut into. */
export interface PlannedDay {
  day: string;
  starts_at: string;
  ends_at: string;
  starts: number[];
}

export const MAX_DAYS = 31;
const SLOT_MINUTES = [30, 60, 120] as const;
const hh = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

/** The local instant of an hour (0–24) of a day in a zone. */
function at(day: string, hour: number, timeZone: string): Dayjs {
  return hour >= 24 ? dayjs.tz(`${dayjs(day).add(1, 'day').format('YYYY-MM-DD')} 00:00`, timeZone) : dayjs.tz(`${day} ${hh(hour)}`, timeZone);
}

/**
 * The windows to publish: from one day to another (YYYY-MM-DD), each day from one hour to another in the
 * zone, cut into pieces of `minutes` (the last one shorter when the hours do not divide), as the API cuts them.
 */
export function planSlots(from: string, to: string, fromHour: number, toHour: number, minutes: number, timeZone: string): PlannedDay[] {
  if (toHour <= fromHour || minutes <= 0) return [];
  const days: PlannedDay[] = [];
  for (let day = dayjs(from); !day.isAfter(dayjs(to), 'day') && days.length <= MAX_DAYS; day = day.add(1, 'day')) {
    const text = day.format('YYYY-MM-DD');
    const start = at(text, fromHour, timeZone);
    const end = at(text, toHour, timeZone);
    const starts: number[] = [];
    for (let cursor = start; cursor.isBefore(end); cursor = cursor.add(minutes, 'minute')) starts.push(cursor.valueOf());
    days.push({ day: text, starts_at: start.toISOString(), ends_at: end.toISOString(), starts });
  }
  return days;
}

/** The form field a server error about the publish request belongs on. */
export function publishField(field: string, message: string): keyof PublishValues {
  const name = field.replace(/^body\.?/, '');
  if (name === 'capacity' || name === 'slot_minutes') return name;
  if (name === 'ends_at' || /\bends_at\b/.test(message)) return 'to_hour';
  if (name === 'starts_at') return 'from_hour';
  return 'dates';
}

/** A publish that stopped at a day: the API's answer, and how many days went through before it. */
class Failure extends Error {
  constructor(
    readonly error: ApiError,
    /** Days published before the one that failed. */
    readonly done: number,
    readonly day: string,
  ) {
    super(error.message);
  }
}

interface Outcome {
  fresh: number;
  kept: number;
  firstDay: string;
}

/** Publishes hourly (or other) slots with a capacity for a gate over a range of days; shows beforehand what it will make. */
export function PublishSlotsCard({
  gate,
  gates,
  onGateChange,
  timeZone,
  onPublished,
}: {
  gate: string | undefined;
  gates: Gate[];
  onGateChange: (gate: string) => void;
  timeZone: string;
  onPublished: (firstDay: Dayjs) => void;
}) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm<PublishValues>();
  const [failure, setFailure] = useState<Failure | null>(null);
  const values = Form.useWatch([], form) as PublishValues | undefined;
  const today = dayjs().tz(timeZone).format('YYYY-MM-DD');

  const dates = values?.dates;
  const plan =
    dates && dates[0] && dates[1] && values.from_hour !== undefined && values.to_hour !== undefined && values.slot_minutes
      ? planSlots(dates[0].format('YYYY-MM-DD'), dates[1].format('YYYY-MM-DD'), values.from_hour, values.to_hour, values.slot_minutes, timeZone)
      : [];
  const tooLong = plan.length > MAX_DAYS;
  const first = plan[0];
  const last = plan[plan.length - 1];
  const existing = useQuery<Slot[], ApiError>({
    queryKey: gateKeys.slotsBetween(gate ?? '', first?.starts_at ?? '', last?.ends_at ?? ''),
    queryFn: ({ signal }) => fetchSlotsBetween(api, gate!, first!.starts_at, last!.ends_at, signal),
    enabled: Boolean(gate && first && last && !tooLong),
  });
  const planned = plan.flatMap((day) => day.starts);
  const already = new Set((Array.isArray(existing.data) ? existing.data : []).map((slot) => dayjs(slot.starts_at).valueOf()));
  const kept = planned.filter((start) => already.has(start)).length;
  const capacity = typeof values?.capacity === 'number' ? values.capacity : null;

  const publish = useMutation<Outcome, Failure, { gate: string; plan: PlannedDay[]; slot_minutes: number; capacity: number; kept: number }>({
    mutationFn: async (input) => {
      let done = 0;
      for (const day of input.plan) {
        try {
          await publishSlots(api, input.gate, { starts_at: day.starts_at, ends_at: day.ends_at, slot_minutes: input.slot_minutes, capacity: input.capacity });
        } catch (error) {
          throw new Failure(isApiError(error) ? error : networkError(error), done, day.day);
        }
        done += 1;
      }
      const total = input.plan.reduce((sum, day) => sum + day.starts.length, 0);
      return { fresh: total - input.kept, kept: input.kept, firstDay: input.plan[0]!.day };
    },
    onSuccess: (outcome, input) => {
      setFailure(null);
      // ready for the next batch: hours, length and capacity stay as they were
      form.setFieldValue('dates', null);
      void message.success(t('gateSetup.published', { gate: input.gate, fresh: outcome.fresh, kept: outcome.kept }));
      void queryClient.invalidateQueries({ queryKey: ['gates'] });
      onPublished(dayjs.tz(outcome.firstDay, timeZone));
    },
    onError: (failed) => {
      setFailure(failed);
      if (failed.done > 0) void queryClient.invalidateQueries({ queryKey: ['gates'] });
      const byField = new Map<keyof PublishValues, string[]>();
      for (const fieldError of failed.error.errors) {
        const name = publishField(fieldError.field, fieldError.message);
        byField.set(name, [...(byField.get(name) ?? []), cleanMessage(fieldError.message)]);
      }
      form.setFields([...byField].map(([name, errors]) => ({ name, errors })));
    },
  });

  const hours = Array.from({ length: 25 }, (_, hour) => ({ value: hour, label: hh(hour) }));

  return (
    <Card title={t('gateSetup.publishTitle')} className="publish-slots">
      {failure && (failure.error.errors.length === 0 || failure.done > 0) ? (
        <div style={{ marginBottom: 16 }}>
          {failure.done > 0 ? (
            <Alert type="warning" showIcon role="alert" title={t('gateSetup.partlyPublished', { done: failure.done, day: failure.day })} style={{ marginBottom: 8 }} />
          ) : null}
          {failure.error.errors.length === 0 ? <ProblemAlert error={failure.error} /> : null}
        </div>
      ) : null}
      <Form<PublishValues>
        form={form}
        name="publish"
        layout="vertical"
        initialValues={{ from_hour: 8, to_hour: 18, slot_minutes: 60 }}
        onFinish={(submitted) => {
          if (!gate || plan.length === 0 || typeof submitted.capacity !== 'number') return;
          publish.mutate({ gate, plan, slot_minutes: submitted.slot_minutes, capacity: submitted.capacity, kept });
        }}
      >
        <Row gutter={16}>
          <Col xs={24} md={12} lg={8}>
            <Form.Item label={t('gate.gate')} htmlFor="publish_gate" required>
              <GateSelect id="publish_gate" gate={gate} gates={gates} onChange={onGateChange} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12} lg={8}>
            <Form.Item
              name="dates"
              label={t('gateSetup.dates')}
              rules={[
                { required: true, message: t('gateSetup.datesRequired') },
                {
                  validator: async (_, value?: [Dayjs, Dayjs] | null) => {
                    if (value?.[0] && value[1] && value[1].diff(value[0], 'day') + 1 > MAX_DAYS) throw new Error(t('gateSetup.datesTooLong'));
                  },
                },
              ]}
            >
              <DatePicker.RangePicker
                style={{ width: '100%' }}
                // Enter confirms a typed date; it does not publish
                onKeyDown={(event) => {
                  if (event.key === 'Enter') event.preventDefault();
                }}
                disabledDate={(date) => date.format('YYYY-MM-DD') < today}
                allowClear={false}
              />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={4}>
            <Form.Item name="from_hour" label={t('gateSetup.fromHour')} rules={[{ required: true }]}>
              <Select options={hours.slice(0, 24)} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={4}>
            <Form.Item
              name="to_hour"
              label={t('gateSetup.toHour')}
              dependencies={['from_hour']}
              rules={[
                { required: true },
                ({ getFieldValue }) => ({
                  validator: async (_, value?: number) => {
                    if (value !== undefined && value <= (getFieldValue('from_hour') as number)) throw new Error(t('gateSetup.hoursInvalid'));
                  },
                }),
              ]}
            >
              <Select options={hours.slice(1)} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={4}>
            <Form.Item name="slot_minutes" label={t('gateSetup.slotMinutes')} rules={[{ required: true }]}>
              <Select options={SLOT_MINUTES.map((minutes) => ({ value: minutes, label: t('gateSetup.minutes', { count: minutes }) }))} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6} lg={4}>
            <Form.Item name="capacity" label={t('gateSetup.capacity')} rules={[{ required: true, message: t('gateSetup.capacityRequired') }]}>
              <InputNumber min={1} max={1000} precision={0} style={{ width: '100%' }} inputMode="numeric" />
            </Form.Item>
          </Col>
        </Row>
        <div className="publish-slots__preview" role="status" aria-live="polite">
          {planned.length > 0 && capacity !== null && !tooLong ? (
            <Typography.Paragraph style={{ margin: 0 }}>
              <strong>
                {t('gateSetup.preview', {
                  total: planned.length,
                  days: plan.length,
                  perDay: first!.starts.length,
                  from: hh(values!.from_hour),
                  to: hh(values!.to_hour),
                  capacity,
                  places: planned.length * capacity,
                })}
              </strong>{' '}
              {kept > 0 ? t('gateSetup.previewKept', { kept, fresh: planned.length - kept }) : null} {t('gateSetup.previewZone', { zone: timeZone })}
            </Typography.Paragraph>
          ) : (
            <Typography.Text type="secondary">{tooLong ? t('gateSetup.datesTooLong') : t('gateSetup.previewNone')}</Typography.Text>
          )}
        </div>
        <Button type="primary" htmlType="submit" icon={<CloudUploadOutlined />} loading={publish.isPending} disabled={!gate} style={{ marginTop: 16 }}>
          {t('gateSetup.publish')}
        </Button>
      </Form>
    </Card>
  );
}
