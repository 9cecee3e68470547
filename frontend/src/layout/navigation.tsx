import { AccountBookOutlined, ApiOutlined, CalendarOutlined, FileAddOutlined, FileTextOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import type { ReactNode } from 'react';
import type { Role } from '../api/models';

export interface NavItem {
  key: string;
  path: string;
  /** i18n key of the label. */
  labelKey: string;
  icon: ReactNode;
  /** Roles that see the item; 'all' for every signed-in user. */
  roles: 'all' | readonly Role[];
}

/** Every page the side navigation can lead to; an item is listed only once its page exists. */
export const NAV_ITEMS: readonly NavItem[] = [
  { key: 'waybills', path: '/waybills', labelKey: 'nav.waybills', icon: <FileTextOutlined />, roles: 'all' },
  { key: 'book', path: '/waybills/new', labelKey: 'nav.book', icon: <FileAddOutlined />, roles: ['shipper', 'admin'] },
  { key: 'appointments', path: '/appointments', labelKey: 'nav.appointments', icon: <CalendarOutlined />, roles: ['dispatcher', 'admin'] },
  { key: 'gate', path: '/gate', labelKey: 'nav.gate', icon: <SafetyCertificateOutlined />, roles: ['gate_operator', 'port_operator', 'admin'] },
  { key: 'finance', path: '/finance', labelKey: 'nav.finance', icon: <AccountBookOutlined />, roles: ['finance', 'admin'] },
  { key: 'partner', path: '/partner', labelKey: 'nav.partner', icon: <ApiOutlined />, roles: ['partner_admin', 'admin'] },
];

/** The items a role sees, in order. */
export function navItemsFor(role: Role, items: readonly NavItem[] = NAV_ITEMS): NavItem[] {
  return items.filter((item) => item.roles === 'all' || item.roles.includes(role));
}

/** The item whose section a path is in (longest matching prefix). */
export function activeNavKey(pathname: string, items: readonly NavItem[] = NAV_ITEMS): string | undefined {
  return [...items]
    .filter((item) => pathname === item.path || pathname.startsWith(`${item.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0]?.key;
}
