import { useMutation, useQuery } from '@tanstack/react-query';
import type { i18n as I18n } from 'i18next';
import { Alert, Checkbox, Form, Input, Modal, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType, type WebhookEventTypeInfo, type WebhookSubscription } from '../api/models';
import { isApiError, type ApiError, type FieldError } from '../api/problem';
import { createWebhook, fetchWebhookEventTypes, updateWebhook, webhookKeys } from '../api/webhooks';
import { ProblemAlert } from '../components/ProblemAlert';
import { currentLanguage } from '../i18n';

interface FormValues {
  url: string;
  event_types: WebhookEventType[];
  description?: string;
}

const FIELDS: readonly (keyof FormValues)[] = ['url', 'event_types', 'description'];

/** The form field a server-side error names (`body.event_types[0]` → event_types), if it is one of ours. */
export function formField(path: string): keyof FormValues | null {
  const name = path.replace(/^body\./, '').split(/[.[]/)[0] as keyof FormValues;
  return FIELDS.includes(name) ? name : null;
}

/** A server-side field error in the user's language, by its code; one without a known code stays as it came. */
export function fieldErrorText(i18n: I18n, error: FieldError): string {
  const key = error.code ? `webhooks.fieldErrors.${error.code}` : null;
  return key && i18n.exists(key) ? i18n.t(key) : error.message;
}

/** Creates a subscription (then shows its secret) or edits one: URL, event types, description. */
export function WebhookFormModal({
  open,
  editing,
  onClose,
  onSaved,
}: {
  open: boolean;
  editing: WebhookSubscription | null;
  onClose: () => void;
  onSaved: (saved: WebhookSubscription, created: boolean) => void;
}) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const [form] = Form.useForm<FormValues>();
  const [error, setError] = useState<ApiError | null>(null);
  const catalogue = useQuery<WebhookEventTypeInfo[], ApiError>({
    queryKey: webhookKeys.eventTypes,
    queryFn: ({ signal }) => fetchWebhookEventTypes(api, signal),
    staleTime: Infinity,
    enabled: open,
  });
  const types: WebhookEventTypeInfo[] = Array.isArray(catalogue.data) ? catalogue.data : WEBHOOK_EVENT_TYPES.map((type) => ({ type, en: '', zh: '' }));

  useEffect(() => {
    if (!open) return;
    setError(null);
    form.setFieldsValue(
      editing
        ? { url: editing.url, event_types: editing.event_types, description: editing.description ?? '' }
        : { url: '', event_types: ['waybill.event'], description: '' },
    );
  }, [open, editing, form]);

  const mutation = useMutation<WebhookSubscription, ApiError, FormValues>({
    mutationFn: (values) => {
      const body = { url: values.url.trim(), event_types: values.event_types, description: values.description?.trim() || null };
      return editing ? updateWebhook(api, editing.id, body) : createWebhook(api, body);
    },
    onSuccess: (saved) => {
      setError(null);
      form.resetFields();
      onSaved(saved, editing === null);
    },
    onError: (failure) => {
      setError(failure);
      if (isApiError(failure)) {
        form.setFields(
          failure.errors.flatMap((fieldError) => {
            const name = formField(fieldError.field);
            if (!name) return [];
            return [{ name, errors: [fieldErrorText(i18n, fieldError)] }];
          }),
        );
      }
    },
  });

  return (
    <Modal
      open={open}
      title={editing ? t('webhooks.editTitle') : t('webhooks.createTitle')}
      okText={editing ? t('common.save') : t('partner.create')}
      cancelText={t('common.cancel')}
      onCancel={() => {
        setError(null);
        onClose();
      }}
      onOk={() => form.submit()}
      confirmLoading={mutation.isPending}
      destroyOnHidden
      width={640}
    >
      {error && !error.errors.some((fieldError) => formField(fieldError.field)) ? (
        <div style={{ marginBottom: 16 }}>
          {error.code === 'too_many_subscriptions' ? (
            <Alert type="error" showIcon role="alert" title={t('webhooks.tooManySubscriptions')} />
          ) : (
            <ProblemAlert error={error} />
          )}
        </div>
      ) : null}
      <Form<FormValues> form={form} layout="vertical" onFinish={(values) => mutation.mutate(values)}>
        <Form.Item
          name="url"
          label={t('webhooks.url')}
          rules={[
            { required: true, whitespace: true, message: t('webhooks.urlRequired') },
            { pattern: /^https?:\/\/\S+$/i, message: t('webhooks.urlInvalid') },
            { max: 2000 },
          ]}
        >
          <Input placeholder={t('webhooks.urlPlaceholder')} className="mono" inputMode="url" autoFocus />
        </Form.Item>
        <Form.Item
          name="event_types"
          label={t('webhooks.eventTypes')}
          rules={[{ required: true, type: 'array', min: 1, message: t('webhooks.eventTypesRequired') }]}
        >
          <Checkbox.Group style={{ width: '100%' }}>
            <Space orientation="vertical" size={6}>
              {types.map((info) => {
                const help = currentLanguage(i18n) === 'en' ? info.en : info.zh;
                return (
                  <Checkbox key={info.type} value={info.type}>
                    <span>{t(`webhooks.types.${info.type}`)}</span> <Typography.Text code>{info.type}</Typography.Text>
                    {help ? (
                      <Typography.Text type="secondary" style={{ display: 'block', fontSize: 12 }}>
                        {help}
                      </Typography.Text>
                    ) : null}
                  </Checkbox>
                );
              })}
            </Space>
          </Checkbox.Group>
        </Form.Item>
        <Form.Item name="description" label={t('webhooks.description')} rules={[{ max: 500 }]}>
          <Input placeholder={t('webhooks.descriptionPlaceholder')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
