import { useTranslation } from 'react-i18next';
import type { WebhookSubscriptionWithSecret } from '../api/models';
import { ShownOnceModal } from './ShownOnceModal';

/** The signing secret of a new or rotated subscription, shown this once with a copy button. */
export function WebhookSecretModal({ shown, onClose }: { shown: WebhookSubscriptionWithSecret | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <ShownOnceModal
      secret={shown?.secret ?? null}
      title={t('webhooks.secretTitle')}
      warning={t('webhooks.secretOnce')}
      caption={shown ? t('webhooks.secretFor', { url: shown.url }) : ''}
      label={t('webhooks.secretLabel')}
      testId="webhook-secret"
      help={t('webhooks.secretHelp')}
      onClose={onClose}
    />
  );
}
