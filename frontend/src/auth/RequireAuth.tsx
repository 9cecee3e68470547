import { Button, Result, Spin } from 'antd';
import { useTranslation } from 'react-i18next';
import type { ReactNode } from 'react';
import { Navigate, Outlet, useLocation } from 'react-router';
import type { Role } from '../api/models';
import { NotFoundPage } from '../pages/NotFoundPage';
import { useAuth } from './AuthContext';

export interface LoginRedirectState {
  from?: string;
}

/** Renders the nested routes for a signed-in user with a loaded profile, else sends them to /login. */
export function RequireAuth() {
  const { t } = useTranslation();
  const auth = useAuth();
  const location = useLocation();

  if (!auth.isSignedIn) {
    const state: LoginRedirectState = { from: `${location.pathname}${location.search}${location.hash}` };
    return <Navigate to="/login" replace state={state} />;
  }
  if (auth.isLoadingUser) {
    return (
      <div className="page-centre">
        <Spin size="large" description={t('common.loading')}>
          <div style={{ padding: 48 }} />
        </Spin>
      </div>
    );
  }
  if (auth.userError || !auth.user) {
    return (
      <div className="page-centre">
        <Result
          status="warning"
          title={t('common.errorTitle')}
          subTitle={auth.userError?.detail || auth.userError?.title}
          extra={[
            <Button key="retry" type="primary" onClick={auth.reloadUser}>
              {t('common.retry')}
            </Button>,
            <Button key="logout" onClick={auth.logout}>
              {t('auth.logout')}
            </Button>,
          ]}
        />
      </div>
    );
  }
  return <Outlet />;
}

/** Renders its page for the given roles only; others get the not-found page, as for a page that is not there. */
export function RequireRole({ roles, children }: { roles: readonly Role[]; children: ReactNode }) {
  const { user } = useAuth();
  if (!user || !roles.includes(user.role)) return <NotFoundPage />;
  return <>{children}</>;
}
