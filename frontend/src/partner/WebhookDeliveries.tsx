import { ReloadOutlined, SendOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Descriptions, Drawer, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { WEBHOOK_DELIVERY_STATUSES, type WebhookDelivery, type WebhookDeliveryStatus, type WebhookSubscription } from '../api/models';
import type { ApiError } from '../api/problem';
import { fetchWebhookDeliveries, redeliverWebhook, webhookKeys } from '../api/webhooks';
import { ProblemAlert } from '../components/ProblemAlert';
import { DateTime } from '../time/DateTime';
import { formatDateTime } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';

const STATUS_COLOURS: Record<WebhookDeliveryStatus, string> = {
  pending: 'processing',
  delivered: 'success',
  failed: 'warning',
  dead: 'error',
};

// the fixed columns plus room for the error; narrower drawers scroll sideways, the actions stay in view
const TABLE_MIN_WIDTH = 1140;

/** A delivery's status as a coloured tag. */
export function DeliveryStatusTag({ status }: { status: WebhookDeliveryStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATUS_COLOURS[status]} data-status={status}>
      {t(`webhooks.statuses.${status}`)}
    </Tag>
  );
}

function DeliveryDetail({ delivery }: { delivery: WebhookDelivery }) {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="small" style={{ width: '100%' }}>
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t('webhooks.eventId')}>
          <Typography.Text className="mono" copyable>
            {delivery.event_id}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('webhooks.duration')}>
          {delivery.last_duration_ms === null ? t('common.empty') : t('webhooks.durationMs', { ms: delivery.last_duration_ms })}
        </Descriptions.Item>
        <Descriptions.Item label={t('webhooks.nextAttempt')}>
          <DateTime value={delivery.next_attempt_at} />
        </Descriptions.Item>
      </Descriptions>
      <Typography.Text type="secondary">{t('webhooks.payload')}</Typography.Text>
      <pre className="mono webhook-payload" style={{ margin: 0, maxHeight: 320, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        {JSON.stringify(delivery.payload, null, 2)}
      </pre>
    </Space>
  );
}

/** The deliveries of one subscription, newest first, refreshed while open, with redelivery. */
export function WebhookDeliveriesDrawer({ subscription, onClose }: { subscription: WebhookSubscription | null; onClose: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const { timeZone } = useTimeZone();
  const [status, setStatus] = useState<WebhookDeliveryStatus | undefined>();
  // the drawer keeps showing what it showed while it slides away
  const [last, setLast] = useState<WebhookSubscription | null>(subscription);
  if (subscription !== null && subscription !== last) setLast(subscription);
  const shown = subscription ?? last;
  const id = shown?.id ?? '';
  const deliveries = useInfiniteQuery({
    queryKey: webhookKeys.deliveries(id, status),
    queryFn: ({ pageParam, signal }) => fetchWebhookDeliveries(api, id, status, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: shown !== null,
    // deliveries move on within seconds (the worker polls every second or two)
    refetchInterval: subscription !== null ? 2_000 : false,
    staleTime: 0,
  });
  const rows = useMemo(() => deliveries.data?.pages.flatMap((page) => (Array.isArray(page.items) ? page.items : [])) ?? [], [deliveries.data]);
  const redeliver = useMutation<WebhookDelivery, ApiError, WebhookDelivery>({
    mutationFn: (delivery) => redeliverWebhook(api, id, delivery.id),
    onSuccess: () => {
      void message.success(t('webhooks.redelivered'));
      void queryClient.invalidateQueries({ queryKey: ['webhooks', 'deliveries', id] });
    },
    onError: (error) => void message.error(error.detail || error.title),
  });

  const label = (type: string) => t(`webhooks.types.${type}`, { defaultValue: type });
  const columns: TableColumnsType<WebhookDelivery> = [
    { title: t('webhooks.time'), dataIndex: 'created_at', key: 'time', width: 144, render: (value: string) => <DateTime value={value} /> },
    {
      title: t('webhooks.event'),
      dataIndex: 'event_type',
      key: 'event',
      width: 184,
      render: (type: string) => (
        <Space orientation="vertical" size={0}>
          <span>{label(type)}</span>
          <Typography.Text type="secondary" className="mono" style={{ fontSize: 12 }}>
            {type}
          </Typography.Text>
        </Space>
      ),
    },
    { title: t('webhooks.state'), dataIndex: 'status', key: 'status', width: 96, render: (value: WebhookDeliveryStatus) => <DeliveryStatusTag status={value} /> },
    { title: t('webhooks.attempts'), dataIndex: 'attempts', key: 'attempts', width: 92, align: 'right' },
    {
      title: t('webhooks.httpStatus'),
      dataIndex: 'last_status_code',
      key: 'http',
      width: 108,
      align: 'right',
      render: (code: number | null) =>
        code === null ? (
          t('common.empty')
        ) : (
          <Typography.Text className="mono" type={code >= 200 && code < 300 ? 'success' : 'danger'}>
            {code}
          </Typography.Text>
        ),
    },
    {
      title: t('webhooks.error'),
      dataIndex: 'last_error',
      key: 'error',
      ellipsis: true,
      render: (error: string | null) =>
        error ? (
          <Typography.Text type="danger" ellipsis={{ tooltip: error }}>
            {error}
          </Typography.Text>
        ) : (
          t('common.empty')
        ),
    },
    {
      title: t('webhooks.nextAttempt'),
      dataIndex: 'next_attempt_at',
      key: 'next',
      width: 144,
      render: (value: string | null, delivery) => (delivery.status === 'delivered' || delivery.status === 'dead' ? t('common.empty') : <DateTime value={value} />),
    },
    {
      title: t('webhooks.actions'),
      key: 'actions',
      width: 128,
      fixed: 'right',
      render: (_: unknown, delivery) => (
        <Button
          size="small"
          icon={<SendOutlined />}
          disabled={delivery.status === 'pending' || !shown?.active}
          loading={redeliver.isPending && redeliver.variables?.id === delivery.id}
          aria-label={t('webhooks.redeliverNamed', { event: label(delivery.event_type), time: formatDateTime(delivery.created_at, timeZone) })}
          onClick={() => redeliver.mutate(delivery)}
        >
          {t('webhooks.redeliver')}
        </Button>
      ),
    },
  ];

  return (
    <Drawer
      open={subscription !== null}
      onClose={() => {
        setStatus(undefined);
        onClose();
      }}
      title={
        shown ? (
          <Typography.Text ellipsis={{ tooltip: shown.url }} style={{ display: 'block', fontWeight: 'inherit' }}>
            {t('webhooks.deliveriesFor', { url: shown.url })}
          </Typography.Text>
        ) : null
      }
      size={Math.min(1200, typeof window === 'undefined' ? 1200 : window.innerWidth - 32)}
      destroyOnHidden
      extra={
        <Space>
          <Select<WebhookDeliveryStatus | 'all'>
            aria-label={t('webhooks.statusFilter')}
            value={status ?? 'all'}
            style={{ width: 140 }}
            onChange={(value) => setStatus(value === 'all' ? undefined : value)}
            options={[
              { value: 'all', label: t('webhooks.allStatuses') },
              ...WEBHOOK_DELIVERY_STATUSES.map((value) => ({ value, label: t(`webhooks.statuses.${value}`) })),
            ]}
          />
          <Button icon={<ReloadOutlined />} onClick={() => void deliveries.refetch()} aria-label={t('webhooks.refresh')}>
            {t('webhooks.refresh')}
          </Button>
        </Space>
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        {deliveries.error ? <ProblemAlert error={deliveries.error} onRetry={() => void deliveries.refetch()} /> : null}
        <Table<WebhookDelivery>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={rows}
          loading={deliveries.isPending && shown !== null}
          pagination={false}
          // fixed layout: an opened payload must not widen the columns
          tableLayout="fixed"
          scroll={{ x: TABLE_MIN_WIDTH }}
          rowClassName="webhook-delivery-row"
          expandable={{ expandedRowRender: (delivery) => <DeliveryDetail delivery={delivery} /> }}
          locale={{ emptyText: t('webhooks.noDeliveries') }}
        />
        {deliveries.hasNextPage ? (
          <Button block onClick={() => void deliveries.fetchNextPage()} loading={deliveries.isFetchingNextPage}>
            {t('webhooks.loadMore')}
          </Button>
        ) : null}
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('webhooks.retryPolicy')}
        </Typography.Paragraph>
      </Space>
    </Drawer>
  );
}
