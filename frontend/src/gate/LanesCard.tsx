import { DeleteOutlined, PlusOutlined, SaveOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Empty, Form, Input, Select, Space, Switch, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { fetchLanes, gateKeys, publishLanes } from '../api/gates';
import type { Lane, LaneDirection } from '../api/models';
import type { ApiError } from '../api/problem';
import { placeFieldErrors, type NamePath } from '../booking/fieldErrors';
import { ProblemAlert } from '../components/ProblemAlert';

interface LaneRow {
  code: string;
  direction: LaneDirection;
  is_open: boolean;
}

interface LanesValues {
  lanes: LaneRow[];
}

const DIRECTIONS: readonly LaneDirection[] = ['in', 'out', 'both'];
const LANE_CODE = /^[0-9A-Za-z-]{1,10}$/;
const ROW_FIELDS = new Set(['code', 'direction', 'is_open']);

/** True for the form paths a lane row has: ['lanes', 2, 'code'] and the like. */
function isLaneField(path: NamePath, rows: number): boolean {
  return path.length === 3 && path[0] === 'lanes' && typeof path[1] === 'number' && path[1] < rows && ROW_FIELDS.has(String(path[2]));
}

/** The lanes of a gate as its terminal publishes them: add lanes, change direction, open or close them. */
export function LanesCard({ gate }: { gate: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [form] = Form.useForm<LanesValues>();
  const [general, setGeneral] = useState<string[]>([]);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const lanes = useQuery<Lane[], ApiError>({
    queryKey: gateKeys.lanes(gate),
    queryFn: ({ signal }) => fetchLanes(api, gate, signal),
  });
  const data = lanes.data;
  // lane 2 before lane 10
  const published = useMemo(() => (Array.isArray(data) ? [...data].sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true })) : []), [data]);

  // the rows follow what the gate has published whenever that is (re)loaded
  useEffect(() => {
    setGeneral([]);
    setFailure(null);
    form.setFieldsValue({ lanes: published.map(({ code, direction, is_open }) => ({ code, direction, is_open })) });
  }, [published, form]);

  const save = useMutation<Lane[], ApiError, LaneRow[]>({
    mutationFn: (rows) => publishLanes(api, gate, rows.map((row) => ({ code: row.code.trim().toUpperCase(), direction: row.direction, is_open: row.is_open }))),
    onSuccess: (saved) => {
      setGeneral([]);
      setFailure(null);
      queryClient.setQueryData(gateKeys.lanes(gate), saved);
      void message.success(t('gateSetup.lanesSaved', { gate }));
    },
    onError: (error, rows) => {
      const placed = placeFieldErrors(error.errors, (path) => isLaneField(path, rows.length));
      form.setFields(placed.fields.map((field) => ({ name: field.name as never, errors: field.errors })));
      setGeneral(placed.general);
      setFailure(placed.fields.length === 0 && placed.general.length === 0 ? error : null);
    },
  });

  const directionOptions = DIRECTIONS.map((value) => ({ value, label: t(`lane.directions.${value}`) }));

  return (
    <Card title={t('gateSetup.lanesTitle')} className="lanes-card">
      <Typography.Paragraph type="secondary">{t('gateSetup.lanesHelp')}</Typography.Paragraph>
      {lanes.error ? <ProblemAlert error={lanes.error} onRetry={() => void lanes.refetch()} /> : null}
      {failure ? <ProblemAlert error={failure} /> : null}
      {general.length > 0 ? <Alert type="error" showIcon role="alert" title={general.join(' · ')} style={{ marginBottom: 16 }} /> : null}
      <Form<LanesValues> form={form} name="lanes" onFinish={(values) => save.mutate(values.lanes ?? [])}>
        <Form.List name="lanes">
          {(fields, { add, remove }) => (
            <>
              {fields.length === 0 && !lanes.isPending ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('gateSetup.noLanes')} /> : null}
              {fields.length > 0 ? (
                <div className="lane-row lane-row--head" aria-hidden>
                  <span>{t('gateSetup.laneCode')}</span>
                  <span>{t('gateSetup.laneDirection')}</span>
                  <span>{t('gateSetup.laneOpen')}</span>
                  <span />
                </div>
              ) : null}
              <ul className="lane-rows">
                {fields.map((field, index) => {
                  const row = t('gateSetup.laneRow', { n: index + 1 });
                  const isPublished = index < published.length;
                  return (
                    <li key={field.key} className="lane-row">
                      <Form.Item
                        name={[field.name, 'code']}
                        rules={[
                          { required: true, whitespace: true, message: t('gateSetup.laneCodeInvalid') },
                          { pattern: LANE_CODE, message: t('gateSetup.laneCodeInvalid') },
                          ({ getFieldValue }) => ({
                            validator: async (_, value?: string) => {
                              const code = value?.trim().toUpperCase();
                              const all = ((getFieldValue('lanes') as LaneRow[] | undefined) ?? []).map((lane) => lane?.code?.trim().toUpperCase());
                              if (code && all.filter((other) => other === code).length > 1) throw new Error(t('gateSetup.laneCodeDuplicate'));
                            },
                          }),
                        ]}
                      >
                        <Input className="mono" maxLength={10} disabled={isPublished} aria-label={`${t('gateSetup.laneCode')} · ${row}`} />
                      </Form.Item>
                      <Form.Item name={[field.name, 'direction']} rules={[{ required: true }]}>
                        <Select options={directionOptions} aria-label={`${t('gateSetup.laneDirection')} · ${row}`} />
                      </Form.Item>
                      <Form.Item name={[field.name, 'is_open']} valuePropName="checked">
                        <Switch aria-label={`${t('gateSetup.laneOpen')} · ${row}`} />
                      </Form.Item>
                      {isPublished ? (
                        <span />
                      ) : (
                        <Button type="text" icon={<DeleteOutlined />} aria-label={t('gateSetup.removeLane', { n: index + 1 })} onClick={() => remove(field.name)} />
                      )}
                    </li>
                  );
                })}
              </ul>
              <Space wrap>
                <Button icon={<PlusOutlined />} onClick={() => add({ code: '', direction: 'both', is_open: true })}>
                  {t('gateSetup.addLane')}
                </Button>
                <Button type="primary" htmlType="submit" icon={<SaveOutlined />} loading={save.isPending} disabled={fields.length === 0}>
                  {t('gateSetup.saveLanes')}
                </Button>
              </Space>
            </>
          )}
        </Form.List>
      </Form>
    </Card>
  );
}
