import { WarningFilled } from '@ant-design/icons';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Card, Input, Select, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/ApiContext';
import { fetchWaybills, queryKeys } from '../api/endpoints';
import type { ApiError } from '../api/problem';
import { WAYBILL_STATUSES, type WaybillStatus, type WaybillSummary } from '../api/models';
import { ProblemAlert } from '../components/ProblemAlert';
import { DateTime } from '../time/DateTime';
import { ModeIcons } from '../waybills/modes';
import { usePlaceName } from '../waybills/places';
import { StatusTag } from '../waybills/StatusTag';

const PAGE_SIZE = 25;

const isStatus = (value: string | null): value is WaybillStatus =>
  value !== null && (WAYBILL_STATUSES as readonly string[]).includes(value);

/** The waybills the user may see, filtered by status and text, a page at a time. */
export function WaybillListPage() {
  const { t } = useTranslation();
  const api = useApi();
  const placeName = usePlaceName();
  // Filters live in the URL, so a filtered list can be bookmarked, shared and survives a reload.
  const [searchParams, setSearchParams] = useSearchParams();
  const rawStatus = searchParams.get('status');
  const status = isStatus(rawStatus) ? rawStatus : undefined;
  const q = searchParams.get('q')?.trim() || undefined;

  const filters = { status, q, limit: PAGE_SIZE };
  const query = useInfiniteQuery({
    queryKey: queryKeys.waybills(filters),
    queryFn: ({ pageParam, signal }) => fetchWaybills(api, { ...filters, cursor: pageParam }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor ?? undefined,
  });
  const error = query.error as ApiError | null;

  const rows = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);

  const setFilter = (key: 'status' | 'q', value: string | undefined) => {
    setSearchParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  };

  const columns: TableColumnsType<WaybillSummary> = [
    {
      title: t('waybills.columns.number'),
      dataIndex: 'number',
      key: 'number',
      fixed: 'left',
      render: (number: string, row) => (
        <Space size={6}>
          <Link to={`/waybills/${encodeURIComponent(number)}`} className="mono">
            {number}
          </Link>
          {row.dangerous_goods ? (
            <Tag color="red" icon={<WarningFilled />} className="dg-tag">
              {t('waybills.dg')}
            </Tag>
          ) : null}
        </Space>
      ),
    },
    {
      title: t('waybills.columns.status'),
      dataIndex: 'status',
      key: 'status',
      render: (value: string) => <StatusTag status={value} />,
    },
    { title: t('waybills.columns.shipper'), dataIndex: 'shipper_name', key: 'shipper', ellipsis: true },
    { title: t('waybills.columns.consignee'), dataIndex: 'consignee_name', key: 'consignee', ellipsis: true },
    {
      title: t('waybills.columns.route'),
      key: 'route',
      render: (_: unknown, row) => (
        <span>
          {placeName(row.origin)} → {placeName(row.destination)}
        </span>
      ),
    },
    {
      title: t('waybills.columns.modes'),
      dataIndex: 'modes',
      key: 'modes',
      render: (modes: string[]) => <ModeIcons modes={modes} />,
    },
    {
      title: t('waybills.columns.updated'),
      dataIndex: 'updated_at',
      key: 'updated',
      render: (value: string) => <DateTime value={value} />,
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('waybills.title')}
      </Typography.Title>
      <Card>
        <Space wrap size="middle" style={{ marginBottom: 16 }}>
          <Select<WaybillStatus>
            aria-label={t('waybills.statusFilter')}
            placeholder={t('waybills.allStatuses')}
            allowClear
            style={{ minWidth: 160 }}
            value={status}
            onChange={(value) => setFilter('status', value)}
            options={WAYBILL_STATUSES.map((value) => ({ value, label: t(`status.${value}`) }))}
          />
          <Input.Search
            key={q ?? ''}
            aria-label={t('waybills.searchPlaceholder')}
            placeholder={t('waybills.searchPlaceholder')}
            defaultValue={q}
            allowClear
            enterButton
            style={{ width: 360, maxWidth: '100%' }}
            onSearch={(value) => setFilter('q', value.trim() || undefined)}
          />
        </Space>
        {error ? <ProblemAlert error={error} onRetry={() => void query.refetch()} /> : null}
        {!error || rows.length > 0 ? (
          <Table<WaybillSummary>
            rowKey="number"
            columns={columns}
            dataSource={rows}
            loading={query.isPending}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: t('waybills.empty') }}
          />
        ) : null}
        {rows.length > 0 ? (
          <div className="list-footer">
            <Typography.Text type="secondary">{t('waybills.count', { count: rows.length })}</Typography.Text>
            {query.hasNextPage ? (
              <Button onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>
                {t('waybills.loadMore')}
              </Button>
            ) : (
              <Typography.Text type="secondary">{t('waybills.noMore')}</Typography.Text>
            )}
          </div>
        ) : null}
      </Card>
    </Space>
  );
}
