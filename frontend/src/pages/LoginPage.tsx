import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation } from 'react-router';
import { isApiError, type ApiError } from '../api/problem';
import { useAuth } from '../auth/AuthContext';
import type { LoginRedirectState } from '../auth/RequireAuth';
import { LanguageSwitch } from '../i18n/LanguageSwitch';
import { ProductMark } from '../layout/ProductMark';

interface LoginValues {
  email: string;
  password: string;
}

/** Only same-app paths are followed after sign-in, never another origin. */
function safeRedirect(from: unknown): string {
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') && from !== '/login'
    ? from
    : '/waybills';
}

export function LoginPage() {
  const { t } = useTranslation();
  const auth = useAuth();
  const location = useLocation();
  const [form] = Form.useForm<LoginValues>();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  if (auth.isSignedIn) {
    return <Navigate to={safeRedirect((location.state as LoginRedirectState | null)?.from)} replace />;
  }

  const onFinish = async ({ email, password }: LoginValues) => {
    setSubmitting(true);
    setError(null);
    try {
      await auth.login(email.trim(), password);
    } catch (caught) {
      const failure = caught instanceof Error ? caught : new Error(String(caught));
      setError(failure);
      if (isApiError(failure) && failure.errors.length > 0) {
        // The API names the form field `username`; here it is the email.
        form.setFields(
          failure.errors
            .map((fieldError) => ({
              name: fieldError.field.endsWith('password') ? 'password' : fieldError.field.endsWith('username') ? 'email' : null,
              errors: [fieldError.message],
            }))
            .filter((field): field is { name: 'email' | 'password'; errors: string[] } => field.name !== null),
        );
      }
    } finally {
      setSubmitting(false);
    }
  };

  const errorText = error
    ? isApiError(error)
      ? error.code === 'network_error'
        ? t('common.networkError')
        : error.detail || error.title
      : error.message
    : null;

  return (
    <div className="login-page">
      <div className="login-page__lang">
        <LanguageSwitch size="small" />
      </div>
      <Card className="login-card">
        <div className="login-card__brand">
          <ProductMark size={40} />
          <div>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t('app.name')}
            </Typography.Title>
            <Typography.Text type="secondary">{t('app.tagline')}</Typography.Text>
          </div>
        </div>
        <Typography.Title level={4}>{t('auth.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('auth.subtitle')}</Typography.Paragraph>
        {auth.sessionExpired && !error ? (
          <Alert type="info" showIcon title={t('auth.sessionExpired')} style={{ marginBottom: 16 }} />
        ) : null}
        {errorText ? (
          <Alert type="error" showIcon role="alert" title={t('auth.failed')} description={errorText} style={{ marginBottom: 16 }} />
        ) : null}
        <Form<LoginValues> form={form} layout="vertical" requiredMark={false} onFinish={onFinish} disabled={submitting}>
          <Form.Item
            label={t('auth.email')}
            name="email"
            rules={[
              { required: true, message: t('auth.emailRequired') },
              { type: 'email', message: t('auth.emailInvalid') },
            ]}
          >
            <Input prefix={<MailOutlined />} placeholder={t('auth.emailPlaceholder')} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label={t('auth.password')} name="password" rules={[{ required: true, message: t('auth.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block size="large" loading={submitting}>
            {t('auth.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
