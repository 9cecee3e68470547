import {
  DeleteOutlined,
  EditOutlined,
  HistoryOutlined,
  NotificationOutlined,
  PauseCircleOutlined,
  PlayCircleOutlined,
  PlusOutlined,
  SendOutlined,
  SyncOutlined,
} from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Badge, Button, Card, Popconfirm, Space, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import type { WebhookDelivery, WebhookSubscription, WebhookSubscriptionWithSecret } from '../api/models';
import type { ApiError } from '../api/problem';
import { deleteWebhook, fetchWebhooks, pingWebhook, rotateWebhookSecret, updateWebhook, webhookKeys } from '../api/webhooks';
import { ProblemAlert } from '../components/ProblemAlert';
import { DateTime } from '../time/DateTime';
import { WebhookDeliveriesDrawer } from './WebhookDeliveries';
import { WebhookFormModal } from './WebhookFormModal';
import { WebhookSecretModal } from './WebhookSecretModal';

/** Without its secret: what the list keeps of a subscription the server has just answered with. */
function listed(sub: WebhookSubscription | WebhookSubscriptionWithSecret): WebhookSubscription {
  const { secret: _secret, ...rest } = sub as WebhookSubscriptionWithSecret;
  return rest;
}

/** The partner console's webhook section: subscriptions, their secrets (shown once), tests and deliveries. */
export function WebhooksCard() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [form, setForm] = useState<{ editing: WebhookSubscription | null } | null>(null);
  const [secret, setSecret] = useState<WebhookSubscriptionWithSecret | null>(null);
  const [viewing, setViewing] = useState<WebhookSubscription | null>(null);

  const subscriptions = useQuery<WebhookSubscription[], ApiError>({ queryKey: webhookKeys.list, queryFn: ({ signal }) => fetchWebhooks(api, signal) });
  const rows = Array.isArray(subscriptions.data) ? subscriptions.data : [];

  // Answers are applied to the cached list directly: a list read at the same moment may not see the change yet.
  const put = async (sub: WebhookSubscription) => {
    await queryClient.cancelQueries({ queryKey: webhookKeys.list });
    queryClient.setQueryData<WebhookSubscription[]>(webhookKeys.list, (list) =>
      list?.some((item) => item.id === sub.id) ? list.map((item) => (item.id === sub.id ? sub : item)) : [sub, ...(list ?? [])],
    );
  };
  const onError = (error: ApiError) => void message.error(error.detail || error.title);

  const ping = useMutation<WebhookDelivery, ApiError, WebhookSubscription>({
    mutationFn: (sub) => pingWebhook(api, sub.id),
    onSuccess: (_delivery, sub) => {
      void message.success(t('webhooks.pinged'));
      void queryClient.invalidateQueries({ queryKey: ['webhooks', 'deliveries', sub.id] });
    },
    onError,
  });
  const toggle = useMutation<WebhookSubscription, ApiError, WebhookSubscription>({
    mutationFn: (sub) => updateWebhook(api, sub.id, { active: !sub.active }),
    onSuccess: async (sub) => {
      void message.success(sub.active ? t('webhooks.enabledMessage') : t('webhooks.disabledMessage'));
      await put(sub);
    },
    onError,
  });
  const rotate = useMutation<WebhookSubscriptionWithSecret, ApiError, WebhookSubscription>({
    mutationFn: (sub) => rotateWebhookSecret(api, sub.id),
    onSuccess: async (sub) => {
      setSecret(sub);
      await put(listed(sub));
    },
    onError,
  });
  const remove = useMutation<void, ApiError, WebhookSubscription>({
    mutationFn: (sub) => deleteWebhook(api, sub.id),
    onSuccess: async (_nothing, sub) => {
      void message.success(t('webhooks.deleted'));
      await queryClient.cancelQueries({ queryKey: webhookKeys.list });
      queryClient.setQueryData<WebhookSubscription[]>(webhookKeys.list, (list) => list?.filter((item) => item.id !== sub.id));
    },
    onError,
  });

  const columns: TableColumnsType<WebhookSubscription> = [
    {
      title: t('webhooks.url'),
      key: 'url',
      render: (_: unknown, sub) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text className="mono" style={{ wordBreak: 'break-all' }}>
            {sub.url}
          </Typography.Text>
          {sub.description ? <Typography.Text type="secondary">{sub.description}</Typography.Text> : null}
        </Space>
      ),
    },
    {
      title: t('webhooks.eventTypes'),
      dataIndex: 'event_types',
      key: 'events',
      render: (types: string[]) => (
        <Space size={[4, 4]} wrap>
          {types.map((type) => (
            <Tooltip key={type} title={<span className="mono">{type}</span>}>
              <Tag>{t(`webhooks.types.${type}`, { defaultValue: type })}</Tag>
            </Tooltip>
          ))}
        </Space>
      ),
    },
    {
      title: t('webhooks.state'),
      key: 'state',
      render: (_: unknown, sub) =>
        sub.active ? (
          <Badge status="success" text={t('webhooks.active')} style={{ whiteSpace: 'nowrap' }} />
        ) : sub.disabled_reason ? (
          // the stored reason is English only: the list says it in the user's language
          <Tooltip title={t('webhooks.autoDisabledHelp')}>
            <Badge status="error" text={t('webhooks.autoDisabled')} style={{ whiteSpace: 'nowrap' }} />
          </Tooltip>
        ) : (
          <Badge status="default" text={t('webhooks.disabled')} style={{ whiteSpace: 'nowrap' }} />
        ),
    },
    { title: t('webhooks.created'), dataIndex: 'created_at', key: 'created', width: 160, render: (value: string) => <DateTime value={value} /> },
    {
      title: t('webhooks.actions'),
      key: 'actions',
      width: 230,
      fixed: 'right',
      render: (_: unknown, sub) => (
        <Space orientation="vertical" size={4}>
          <Space size={4}>
            <Button
              size="small"
              icon={<SendOutlined />}
              disabled={!sub.active}
              loading={ping.isPending && ping.variables?.id === sub.id}
              aria-label={t('webhooks.pingNamed', { url: sub.url })}
              onClick={() => ping.mutate(sub)}
            >
              {t('webhooks.ping')}
            </Button>
            <Button size="small" icon={<HistoryOutlined />} aria-label={t('webhooks.deliveriesNamed', { url: sub.url })} onClick={() => setViewing(sub)}>
              {t('webhooks.deliveries')}
            </Button>
          </Space>
          <Space size={4}>
            <Tooltip title={t('webhooks.edit')}>
              <Button size="small" icon={<EditOutlined />} aria-label={t('webhooks.editNamed', { url: sub.url })} onClick={() => setForm({ editing: sub })} />
            </Tooltip>
            <Tooltip title={sub.active ? t('webhooks.disable') : t('webhooks.enable')}>
              <Button
                size="small"
                icon={sub.active ? <PauseCircleOutlined /> : <PlayCircleOutlined />}
                loading={toggle.isPending && toggle.variables?.id === sub.id}
                aria-label={t(sub.active ? 'webhooks.disableNamed' : 'webhooks.enableNamed', { url: sub.url })}
                onClick={() => toggle.mutate(sub)}
              />
            </Tooltip>
            <Popconfirm
              title={t('webhooks.rotateConfirm')}
              description={<div style={{ maxWidth: 320 }}>{t('webhooks.rotateHelp')}</div>}
              okText={t('webhooks.rotate')}
              cancelText={t('common.cancel')}
              onConfirm={() => rotate.mutateAsync(sub)}
            >
              <Tooltip title={t('webhooks.rotate')}>
                <Button size="small" icon={<SyncOutlined />} aria-label={t('webhooks.rotateNamed', { url: sub.url })} />
              </Tooltip>
            </Popconfirm>
            <Popconfirm
              title={t('webhooks.deleteConfirm')}
              description={<div style={{ maxWidth: 320 }}>{t('webhooks.deleteHelp')}</div>}
              okText={t('webhooks.delete')}
              okButtonProps={{ danger: true }}
              cancelText={t('common.cancel')}
              onConfirm={() => remove.mutateAsync(sub)}
            >
              <Tooltip title={t('webhooks.delete')}>
                <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('webhooks.deleteNamed', { url: sub.url })} />
              </Tooltip>
            </Popconfirm>
          </Space>
        </Space>
      ),
    },
  ];

  return (
    <Card
      title={
        <Space>
          <NotificationOutlined />
          {t('webhooks.title')}
        </Space>
      }
      extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setForm({ editing: null })}>
          {t('webhooks.create')}
        </Button>
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
          {t('webhooks.intro')}
        </Typography.Paragraph>
        {subscriptions.error ? <ProblemAlert error={subscriptions.error} onRetry={() => void subscriptions.refetch()} /> : null}
        <Table<WebhookSubscription>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={subscriptions.isPending}
          pagination={false}
          // auto: the URL takes what the other columns leave (a fixed column would make it fixed)
          tableLayout="auto"
          scroll={{ x: 960 }}
          rowClassName={(sub) => (sub.active ? 'webhook-row' : 'webhook-row webhook-row--disabled')}
          locale={{ emptyText: t('webhooks.none') }}
        />
      </Space>
      <WebhookFormModal
        open={form !== null}
        editing={form?.editing ?? null}
        onClose={() => setForm(null)}
        onSaved={(saved, created) => {
          setForm(null);
          void put(listed(saved));
          if (created) setSecret(saved as WebhookSubscriptionWithSecret);
          else void message.success(t('webhooks.saved'));
        }}
      />
      <WebhookSecretModal shown={secret} onClose={() => setSecret(null)} />
      <WebhookDeliveriesDrawer subscription={rows.find((sub) => sub.id === viewing?.id) ?? viewing} onClose={() => setViewing(null)} />
    </Card>
  );
}
