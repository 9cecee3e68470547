import { ApiOutlined, KeyOutlined, PlusOutlined, StopOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Badge,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  Modal,
  Popconfirm,
  Row,
  Space,
  Table,
  Tag,
  Typography,
  type TableColumnsType,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { createApiKey, fetchApiKeys, moreKeys, revokeApiKey } from '../api/endpoints';
import { API_KEY_SCOPES, type ApiKey, type ApiKeyCreated, type Scope } from '../api/models';
import { isApiError, type ApiError } from '../api/problem';
import { ProblemAlert } from '../components/ProblemAlert';
import { ShownOnceModal } from '../partner/ShownOnceModal';
import { WebhooksCard } from '../partner/WebhooksCard';
import { DateTime } from '../time/DateTime';

interface CreateValues {
  name: string;
  scopes: Scope[];
}

function NewKeyModal({ created, onClose }: { created: ApiKeyCreated | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <ShownOnceModal
      secret={created?.key ?? null}
      title={t('partner.newKeyTitle')}
      warning={t('partner.showOnce')}
      caption={created ? t('partner.keyFor', { name: created.name }) : ''}
      label={t('partner.secret')}
      testId="new-api-key"
      help={
        <>
          {t('partner.howToUse')} <Typography.Text code>X-API-Key: {created?.prefix}…</Typography.Text>
        </>
      }
      onClose={onClose}
    />
  );
}

function CreateKeyModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (key: ApiKeyCreated) => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [form] = Form.useForm<CreateValues>();
  const [error, setError] = useState<ApiError | null>(null);
  const mutation = useMutation<ApiKeyCreated, ApiError, CreateValues>({
    mutationFn: (values) => createApiKey(api, { name: values.name.trim(), scopes: values.scopes }),
    onSuccess: (key) => {
      form.resetFields();
      setError(null);
      onCreated(key);
    },
    onError: (failure) => {
      setError(failure);
      if (isApiError(failure)) {
        form.setFields(
          failure.errors
            .map((fieldError) => ({ name: fieldError.field.split('.').pop() as keyof CreateValues, errors: [fieldError.message] }))
            .filter((field) => field.name === 'name' || field.name === 'scopes'),
        );
      }
    },
  });
  return (
    <Modal
      open={open}
      title={t('partner.createTitle')}
      okText={t('partner.create')}
      cancelText={t('common.cancel')}
      onCancel={() => {
        setError(null);
        onClose();
      }}
      onOk={() => form.submit()}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      {error && error.errors.length === 0 ? <ProblemAlert error={error} /> : null}
      <Form<CreateValues> form={form} layout="vertical" initialValues={{ scopes: ['waybills:read'] }} onFinish={(values) => mutation.mutate(values)}>
        <Form.Item name="name" label={t('partner.keyName')} rules={[{ required: true, whitespace: true, message: t('booking.required') }, { max: 120 }]}>
          <Input placeholder={t('partner.keyNamePlaceholder')} autoFocus />
        </Form.Item>
        <Form.Item name="scopes" label={t('partner.scopes')} rules={[{ required: true, type: 'array', min: 1, message: t('partner.scopesRequired') }]}>
          <Checkbox.Group>
            <Space orientation="vertical">
              {API_KEY_SCOPES.map((scope) => (
                <Checkbox key={scope} value={scope}>
                  <Typography.Text code>{scope}</Typography.Text> {t(`partner.scope.${scope}`)}
                </Checkbox>
              ))}
            </Space>
          </Checkbox.Group>
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Partner console: the organisation's API keys (create, shown once, revoke), webhooks and the API links. */
export function PartnerConsolePage() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  const keys = useQuery<ApiKey[], ApiError>({ queryKey: moreKeys.apiKeys, queryFn: ({ signal }) => fetchApiKeys(api, signal) });
  const revoke = useMutation<ApiKey | undefined, ApiError, ApiKey>({
    mutationFn: (key) => revokeApiKey(api, key.id),
    onSuccess: async (revoked, key) => {
      void message.success(t('partner.revoked', { name: key.name }));
      // The answer is the revoked key: show it at once. No refetch right now: a list read at the same
      // moment may not see the change yet and would put the key back to active.
      const stamp = revoked?.revoked_at ?? new Date().toISOString();
      await queryClient.cancelQueries({ queryKey: moreKeys.apiKeys });
      queryClient.setQueryData<ApiKey[]>(moreKeys.apiKeys, (list) =>
        list?.map((item) => (item.id === key.id ? { ...item, ...(revoked ?? {}), revoked_at: stamp } : item)),
      );
    },
    onError: (error) => void message.error(error.detail || error.title),
  });

  const columns: TableColumnsType<ApiKey> = [
    { title: t('partner.keyName'), dataIndex: 'name', key: 'name' },
    { title: t('partner.prefix'), dataIndex: 'prefix', key: 'prefix', render: (prefix: string) => <span className="mono">{prefix}…</span> },
    {
      title: t('partner.scopes'),
      dataIndex: 'scopes',
      key: 'scopes',
      render: (scopes: string[]) => (
        <Space size={[4, 4]} wrap>
          {scopes.map((scope) => (
            <Tag key={scope}>{scope}</Tag>
          ))}
        </Space>
      ),
    },
    { title: t('partner.created'), dataIndex: 'created_at', key: 'created', render: (value: string) => <DateTime value={value} /> },
    {
      title: t('partner.lastUsed'),
      dataIndex: 'last_used_at',
      key: 'used',
      render: (value: string | null) => <DateTime value={value} fallback={t('partner.never')} />,
    },
    {
      title: t('partner.state'),
      key: 'state',
      render: (_: unknown, key) =>
        key.revoked_at ? (
          <Space size={4}>
            <Badge status="default" text={t('partner.stateRevoked')} />
            <Typography.Text type="secondary">
              <DateTime value={key.revoked_at} />
            </Typography.Text>
          </Space>
        ) : (
          <Badge status="success" text={t('partner.stateActive')} />
        ),
    },
    {
      title: t('partner.actions'),
      key: 'actions',
      render: (_: unknown, key) =>
        key.revoked_at ? null : (
          <Popconfirm
            title={t('partner.revokeConfirm', { name: key.name })}
            description={t('partner.revokeHelp')}
            okText={t('partner.revoke')}
            okButtonProps={{ danger: true }}
            cancelText={t('common.cancel')}
            onConfirm={() => revoke.mutateAsync(key)}
          >
            <Button danger size="small" icon={<StopOutlined />} aria-label={t('partner.revokeNamed', { name: key.name })}>
              {t('partner.revoke')}
            </Button>
          </Popconfirm>
        ),
    },
  ];

  const rows = Array.isArray(keys.data) ? [...keys.data].sort((a, b) => Number(Boolean(a.revoked_at)) - Number(Boolean(b.revoked_at)) || b.created_at.localeCompare(a.created_at)) : [];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('partner.title')}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={12}>
          <Card title={t('partner.graphqlTitle')} size="small">
            <Typography.Paragraph>{t('partner.graphqlText')}</Typography.Paragraph>
            <Button href="/graphql" target="_blank" rel="noopener" icon={<ApiOutlined />}>
              {t('partner.openGraphiql')}
            </Button>
          </Card>
        </Col>
        <Col xs={24} md={12}>
          <Card title={t('partner.restTitle')} size="small">
            <Typography.Paragraph>{t('partner.restText')}</Typography.Paragraph>
            <Space wrap>
              <Button href="/docs" target="_blank" rel="noopener">
                {t('partner.openDocs')}
              </Button>
              <Button href="/openapi.json" target="_blank" rel="noopener">
                openapi.json
              </Button>
            </Space>
          </Card>
        </Col>
      </Row>
      <Card
        title={
          <Space>
            <KeyOutlined />
            {t('partner.keysTitle')}
          </Space>
        }
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('partner.createKey')}
          </Button>
        }
      >
        {keys.error ? <ProblemAlert error={keys.error} onRetry={() => void keys.refetch()} /> : null}
        <Table<ApiKey>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={rows}
          loading={keys.isPending}
          pagination={false}
          scroll={{ x: 'max-content' }}
          rowClassName={(key) => (key.revoked_at ? 'api-key-row api-key-row--revoked' : 'api-key-row')}
          locale={{ emptyText: t('partner.noKeys') }}
        />
      </Card>
      <CreateKeyModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setCreated(key);
          // The new key joins the list from the answer itself, without its secret (see revoke).
          const { key: _secret, ...listed } = key;
          void queryClient.cancelQueries({ queryKey: moreKeys.apiKeys }).then(() =>
            queryClient.setQueryData<ApiKey[]>(moreKeys.apiKeys, (list) => [...(list ?? []).filter((item) => item.id !== listed.id), listed]),
          );
        }}
      />
      <NewKeyModal created={created} onClose={() => setCreated(null)} />
      <WebhooksCard />
    </Space>
  );
}
