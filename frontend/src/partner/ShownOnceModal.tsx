import { CopyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Input, Modal, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { copyText } from './clipboard';

export interface ShownOnceProps {
  /** The secret to show; null keeps the dialog closed. */
  secret: string | null;
  title: string;
  /** The warning that this is the only time it is shown. */
  warning: string;
  /** What the secret belongs to, above the field. */
  caption: string;
  /** The field's accessible name. */
  label: string;
  testId: string;
  /** How to use it, under the field. */
  help: ReactNode;
  onClose: () => void;
}

/** A secret (API key, signing secret) shown this once, selectable and with a copy button. */
export function ShownOnceModal({ secret, title, warning, caption, label, testId, help, onClose }: ShownOnceProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Modal
      open={secret !== null}
      title={title}
      onCancel={onClose}
      mask={{ closable: false }}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose}>
          {t('partner.done')}
        </Button>
      }
    >
      {secret !== null ? (
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <Alert type="warning" showIcon title={warning} />
          <div>
            <Typography.Text type="secondary">{caption}</Typography.Text>
            <Space.Compact style={{ width: '100%', marginTop: 4 }}>
              <Input readOnly value={secret} className="mono" aria-label={label} data-testid={testId} onFocus={(event) => event.target.select()} />
              <Button
                icon={<CopyOutlined />}
                onClick={() =>
                  void copyText(secret).then(
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
            {help}
          </Typography.Paragraph>
        </Space>
      ) : null}
    </Modal>
  );
}
