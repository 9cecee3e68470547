import { CheckOutlined, ClockCircleOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { Avatar, Dropdown, Space, Typography, type MenuProps } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Me } from '../api/models';
import { DEFAULT_TIME_ZONE, browserTimeZone } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';

/** Avatar with the user's name; opens organisation, role, time zone and sign-out. */
export function UserMenu({ user, onLogout }: { user: Me; onLogout: () => void }) {
  const { t } = useTranslation();
  const { timeZone, setTimeZone } = useTimeZone();

  const local = browserTimeZone();
  const zones: { zone: string; label: string }[] = [{ zone: DEFAULT_TIME_ZONE, label: DEFAULT_TIME_ZONE }];
  if (local && local !== DEFAULT_TIME_ZONE) zones.push({ zone: local, label: t('user.timeZoneLocal', { zone: local }) });
  if (local !== 'UTC') zones.push({ zone: 'UTC', label: 'UTC' });

  const items: MenuProps['items'] = [
    {
      key: 'profile',
      type: 'group',
      label: (
        <div className="user-menu__profile">
          <Typography.Text strong>{user.name}</Typography.Text>
          <Typography.Text type="secondary">{user.email}</Typography.Text>
        </div>
      ),
    },
    {
      key: 'organisation',
      disabled: true,
      label: `${t('user.organisation')}: ${user.organisation.name}`,
    },
    {
      key: 'role',
      disabled: true,
      label: `${t('user.role')}: ${t(`roles.${user.role}`, { defaultValue: user.role })}`,
    },
    { type: 'divider' },
    {
      key: 'tz',
      icon: <ClockCircleOutlined />,
      label: `${t('user.timeZone')}: ${timeZone}`,
      children: zones.map(({ zone, label }) => ({
        key: `tz:${zone}`,
        label,
        icon: zone === timeZone ? <CheckOutlined /> : <span className="menu-icon-spacer" />,
        onClick: () => setTimeZone(zone),
      })),
    },
    { type: 'divider' },
    { key: 'logout', icon: <LogoutOutlined />, label: t('auth.logout'), danger: true, onClick: onLogout },
  ];

  return (
    <Dropdown menu={{ items }} trigger={['click']} placement="bottomRight">
      <button type="button" className="user-menu__trigger" aria-label={user.name}>
        <Space size={8}>
          <Avatar size="small" icon={<UserOutlined />} />
          <span className="user-menu__text">
            <span className="user-menu__name">{user.name}</span>
            <span className="user-menu__org">
              {user.organisation.name} · {t(`roles.${user.role}`, { defaultValue: user.role })}
            </span>
          </span>
        </Space>
      </button>
    </Dropdown>
  );
}
