import { Layout, Menu, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { LanguageSwitch } from '../i18n/LanguageSwitch';
import { activeNavKey, navItemsFor } from './navigation';
import { ProductMark } from './ProductMark';
import { UserMenu } from './UserMenu';

/** Header, role-aware side navigation and the page. Rendered only inside RequireAuth. */
export function AppLayout() {
  const { t } = useTranslation();
  const { user, logout } = useAuth();
  const location = useLocation();
  const [collapsed, setCollapsed] = useState(false);

  if (!user) return null;
  const items = navItemsFor(user.role);
  const selected = activeNavKey(location.pathname, items);

  return (
    <Layout className="app-shell">
      <Layout.Header className="app-header">
        <Link to="/" className="app-header__brand">
          <ProductMark />
          <Typography.Text strong className="app-header__name">
            {t('app.name')}
          </Typography.Text>
        </Link>
        <div className="app-header__actions">
          <LanguageSwitch size="small" />
          <UserMenu user={user} onLogout={logout} />
        </div>
      </Layout.Header>
      <Layout>
        <Layout.Sider
          theme="light"
          width={208}
          collapsible
          collapsed={collapsed}
          onCollapse={setCollapsed}
          breakpoint="lg"
          className="app-sider"
        >
          <Menu
            mode="inline"
            selectedKeys={selected ? [selected] : []}
            items={items.map((item) => ({
              key: item.key,
              icon: item.icon,
              label: <Link to={item.path}>{t(item.labelKey)}</Link>,
            }))}
          />
        </Layout.Sider>
        <Layout.Content className="app-content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
