import type { WaybillStatus } from '../api/models';

/** antd Tag colour of each waybill status; the lifecycle reads left to right, grey → blue → green. */
export const STATUS_COLORS: Record<WaybillStatus, string> = {
  draft: 'default',
  booked: 'blue',
  in_transit: 'processing',
  delivered: 'success',
  closed: 'purple',
  cancelled: 'error',
};

/** The Tag colour of a status; one the app does not know yet is shown neutral. */
export function statusColor(status: string): string {
  return (STATUS_COLORS as Record<string, string | undefined>)[status] ?? 'default';
}
