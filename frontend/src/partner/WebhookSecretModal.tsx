import { CopyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Input, Modal, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { WebhookSubscriptionWithSecret } from '../api/models';
import { copyText } from './clipboard';

/** The signing secret of a new or rotated subscription, shown this once with a copy button. */
export function WebhookSecretModal({ shown, onClose }: { shown: WebhookSubscriptionWithSecret | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Modal
      open={shown !== null}
      title={t('webhooks.secretTitle')}
      onCancel={onClose}
      mask={{ closable: false }}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose}>
          {t('partner.done')}
        </Button>
      }
    >
      {shown ? (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <Alert type="warning" showIcon title={t('webhooks.secretOnce')} />
          <div>
            <Typography.Text type="secondary">{t('webhooks.secretFor', { url: shown.url })}</Typography.Text>
            <Space.Compact style={{ width: '100%', marginTop: 4 }}>
              <Input
                readOnly
                value={shown.secret}
                className="mono"
                aria-label={t('webhooks.secretLabel')}
                data-testid="webhook-secret"
                onFocus={(event) => event.target.select()}
              />
              <Button
                icon={<CopyOutlined />}
                onClick={() =>
                  void copyText(shown.secret).then(
                    () => void message.success(t('partner.copied')),
                    () => void message.error(t('partner.copyFailed')),
                  )
                }
              >
                {t('partner.copy')}
              </Button>
            </Space.Compact>
          </div>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t('webhooks.secretHelp')}
          </Typography.Paragraph>
        </Space>
      ) : null}
    </Modal>
  );
}
