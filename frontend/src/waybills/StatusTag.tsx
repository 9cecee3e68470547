import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { statusColor } from './status';

/** A waybill status as a coloured, translated tag. */
export function StatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={statusColor(status)} data-status={status}>
      {t(`status.${status}`, { defaultValue: status })}
    </Tag>
  );
}
