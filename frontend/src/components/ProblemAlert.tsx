import { Alert, Button } from 'antd';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../api/problem';

/** A failed request as an alert: the problem's detail (or title), with a retry when one is given. */
export function ProblemAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  let title = t('common.errorTitle');
  let description: string | undefined;
  if (isApiError(error)) {
    if (error.code === 'network_error') description = t('common.networkError');
    else {
      title = error.title || title;
      description = error.detail || undefined;
    }
  } else if (error instanceof Error) {
    description = error.message;
  }
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={title}
      description={description}
      action={
        onRetry ? (
          <Button size="small" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : undefined
      }
    />
  );
}
