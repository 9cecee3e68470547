import { CloudDownloadOutlined, FileExcelOutlined, FilePdfOutlined, FileTextOutlined, RollbackOutlined, SyncOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
  type TableColumnsType,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useApi } from '../api/ApiContext';
import type { Invoice, Payment, ReconciliationRow, Refund } from '../api/models';
import type { ApiError } from '../api/problem';
import {
  exportReconciliation,
  fetchInvoicePdf,
  fetchInvoices,
  fetchPayments,
  fetchReconciliation,
  fetchRefunds,
  importFromStripe,
  issueInvoice,
  refundPayment,
  settlementKeys,
  type ReportRange,
} from '../api/settlement';
import { ProblemAlert } from '../components/ProblemAlert';
import { BarChart } from '../finance/BarChart';
import { formatMoney, sumBy, toMinor } from '../finance/money';
import { DateTime } from '../time/DateTime';
import { dayjs } from '../time/dayjs';
import { useTimeZone } from '../time/TimeZoneContext';
import { openBlobInNewTab } from '../waybills/downloadBlob';

const INVOICE_STATUSES = ['draft', 'issued', 'partially_paid', 'paid', 'void'];
const STATUS_COLOURS: Record<string, string> = { draft: 'default', issued: 'blue', partially_paid: 'gold', paid: 'green', void: 'default' };
const CATEGORY_COLOURS: Record<string, string> = { matched: 'green', mismatch: 'red', unmatched_stripe: 'orange', unmatched_ours: 'volcano' };

function download(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

function useMoney() {
  const { i18n } = useTranslation();
  return (minor: number | null | undefined, currency: string) => formatMoney(minor, currency, i18n.language);
}

function RefundModal({ payment, onClose }: { payment: Payment | null; onClose: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const money = useMoney();
  const [form] = Form.useForm<{ amount?: number | null; reason: string }>();
  const refundable = payment ? payment.amount_received_minor - payment.amount_refunded_minor : 0;
  const mutation = useMutation<Refund, ApiError, { amount?: number | null; reason: string }>({
    mutationFn: (values) => refundPayment(api, payment!.id, toMinor(values.amount, payment!.currency), values.reason.trim()),
    onSuccess: () => {
      void message.success(t('finance.refunded'));
      void queryClient.invalidateQueries({ queryKey: ['settlement'] });
      form.resetFields();
      onClose();
    },
  });
  return (
    <Modal
      open={payment !== null}
      title={t('finance.refundTitle')}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('finance.refund')}
      okButtonProps={{ danger: true }}
      cancelText={t('common.cancel')}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      {mutation.error ? <ProblemAlert error={mutation.error} /> : null}
      {payment ? (
        <Form form={form} layout="vertical" onFinish={(values) => mutation.mutate(values)}>
          <Typography.Paragraph>{t('finance.refundable', { amount: money(refundable, payment.currency) })}</Typography.Paragraph>
          <Form.Item name="amount" label={t('finance.refundAmount')} extra={t('finance.refundAmountHelp')}>
            <InputNumber min={0.01} max={refundable / 100} step={0.01} precision={2} style={{ width: '100%' }} addonAfter={payment.currency} />
          </Form.Item>
          <Form.Item name="reason" label={t('gate.reason')} rules={[{ required: true, whitespace: true, message: t('booking.required') }]}>
            <Input.TextArea autoSize={{ minRows: 2 }} />
          </Form.Item>
        </Form>
      ) : null}
    </Modal>
  );
}

function InvoicePayments({ invoice, onRefund }: { invoice: Invoice; onRefund: (payment: Payment) => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const money = useMoney();
  const payments = useQuery<Payment[], ApiError>({ queryKey: settlementKeys.payments(invoice.id), queryFn: ({ signal }) => fetchPayments(api, invoice.id, signal) });
  const refunds = useQuery<Refund[], ApiError>({ queryKey: settlementKeys.refunds(invoice.id), queryFn: ({ signal }) => fetchRefunds(api, invoice.id, signal) });
  const columns: TableColumnsType<Payment> = [
    { title: t('finance.attempt'), dataIndex: 'attempt', key: 'attempt', width: 60 },
    { title: t('finance.method'), dataIndex: 'method', key: 'method', render: (value: string) => t(`finance.methods.${value}`, { defaultValue: value }) },
    { title: t('finance.amount'), key: 'amount', align: 'right', render: (_: unknown, p) => money(p.amount_minor, p.currency) },
    { title: t('finance.received'), key: 'received', align: 'right', render: (_: unknown, p) => money(p.amount_received_minor, p.currency) },
    { title: t('finance.fee'), key: 'fee', align: 'right', render: (_: unknown, p) => money(p.fee_minor, p.currency) },
    { title: t('finance.refundedCol'), key: 'refunded', align: 'right', render: (_: unknown, p) => money(p.amount_refunded_minor, p.currency) },
    {
      title: t('finance.status'),
      dataIndex: 'status',
      key: 'status',
      render: (value: string, p) => (
        <Space orientation="vertical" size={0}>
          <Tag color={value === 'succeeded' ? 'green' : value === 'failed' ? 'red' : 'default'}>{t(`finance.paymentStatuses.${value}`, { defaultValue: value })}</Tag>
          {p.failure_message ? <Typography.Text type="danger">{p.failure_message}</Typography.Text> : null}
        </Space>
      ),
    },
    { title: t('finance.when'), key: 'when', render: (_: unknown, p) => <DateTime value={p.succeeded_at ?? p.created_at} /> },
    {
      title: t('finance.actions'),
      key: 'actions',
      render: (_: unknown, p) =>
        p.status === 'succeeded' && p.amount_received_minor > p.amount_refunded_minor ? (
          <Button size="small" danger icon={<RollbackOutlined />} onClick={() => onRefund(p)}>
            {t('finance.refund')}
          </Button>
        ) : null,
    },
  ];
  return (
    <Space orientation="vertical" size="small" style={{ width: '100%' }}>
      {payments.error ? <ProblemAlert error={payments.error} /> : null}
      <Table<Payment>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={Array.isArray(payments.data) ? payments.data : []}
        loading={payments.isPending}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('finance.noPayments') }}
      />
      {Array.isArray(refunds.data) && refunds.data.length > 0 ? (
        <Typography.Text type="secondary">
          {t('finance.refundsList')}:{' '}
          {refunds.data.map((refund) => `${money(refund.amount_minor, refund.currency)} (${t(`finance.paymentStatuses.${refund.status}`, { defaultValue: refund.status })}${refund.reason ? ` · ${refund.reason}` : ''})`).join('; ')}
        </Typography.Text>
      ) : null}
    </Space>
  );
}

function InvoicesTab() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const money = useMoney();
  const { timeZone } = useTimeZone();
  const [status, setStatus] = useState<string | undefined>();
  const [waybill, setWaybill] = useState<string | undefined>();
  const [refundFor, setRefundFor] = useState<Payment | null>(null);
  const filter = { status, waybill };
  const invoices = useInfiniteQuery({
    queryKey: settlementKeys.invoices(filter),
    queryFn: ({ pageParam, signal }) => fetchInvoices(api, filter, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  const rows = useMemo(() => invoices.data?.pages.flatMap((page) => (Array.isArray(page.items) ? page.items : [])) ?? [], [invoices.data]);
  const issue = useMutation<Invoice, ApiError, Invoice>({
    mutationFn: (invoice) => issueInvoice(api, invoice.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['settlement'] }),
    onError: (error) => void message.error(error.detail || error.title),
  });

  // Charts: what is still owed per status, and receipts per day from the payments of the invoices shown.
  const paidInvoices = rows.filter((invoice) => invoice.amount_paid_minor > 0).slice(0, 40);
  const paymentLists = useQueries({
    queries: paidInvoices.map((invoice) => ({
      queryKey: settlementKeys.payments(invoice.id),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchPayments(api, invoice.id, signal),
      staleTime: 60_000,
    })),
  });
  const currency = rows[0]?.currency ?? 'CNY';
  const receipts = sumBy(
    paymentLists
      .flatMap((result) => (Array.isArray(result.data) ? result.data : []))
      .filter((payment) => payment.status === 'succeeded' && payment.currency === currency),
    (payment) => (payment.succeeded_at ? dayjs(payment.succeeded_at).tz(timeZone).format('MM-DD') : null),
    (payment) => payment.amount_received_minor - payment.amount_refunded_minor,
  ).sort((a, b) => a.key.localeCompare(b.key));
  const outstanding = sumBy(
    rows.filter((invoice) => invoice.currency === currency && invoice.balance_due_minor > 0),
    (invoice) => invoice.status,
    (invoice) => invoice.balance_due_minor,
  );

  const columns: TableColumnsType<Invoice> = [
    {
      title: t('finance.number'),
      key: 'number',
      render: (_: unknown, invoice) => (
        <Space size={4}>
          <span className="mono">{invoice.number ?? t('finance.draftNumber')}</span>
          {invoice.kind === 'credit_note' ? <Tag>{t('finance.creditNote')}</Tag> : null}
        </Space>
      ),
    },
    {
      title: t('gate.waybill'),
      dataIndex: 'waybill_number',
      key: 'waybill',
      render: (value: string) => (
        <Link to={`/waybills/${encodeURIComponent(value)}`} className="mono">
          {value}
        </Link>
      ),
    },
    {
      title: t('finance.status'),
      dataIndex: 'status',
      key: 'status',
      render: (value: string) => <Tag color={STATUS_COLOURS[value] ?? 'default'}>{t(`finance.statuses.${value}`, { defaultValue: value })}</Tag>,
    },
    { title: t('finance.total'), key: 'total', align: 'right', render: (_: unknown, i) => money(i.total_minor, i.currency) },
    { title: t('finance.paid'), key: 'paid', align: 'right', render: (_: unknown, i) => money(i.amount_paid_minor - i.amount_refunded_minor, i.currency) },
    {
      title: t('finance.balanceDue'),
      key: 'due',
      align: 'right',
      render: (_: unknown, i) => <Typography.Text strong={i.balance_due_minor > 0}>{money(i.balance_due_minor, i.currency)}</Typography.Text>,
    },
    { title: t('finance.issuedAt'), key: 'issued', render: (_: unknown, i) => <DateTime value={i.issued_at} /> },
    { title: t('finance.dueAt'), key: 'dueAt', render: (_: unknown, i) => <DateTime value={i.due_at} /> },
    {
      title: t('finance.actions'),
      key: 'actions',
      render: (_: unknown, invoice) => (
        <Space size={4}>
          {invoice.status === 'draft' ? (
            <Button size="small" type="primary" loading={issue.isPending && issue.variables?.id === invoice.id} onClick={() => issue.mutate(invoice)}>
              {t('finance.issue')}
            </Button>
          ) : null}
          <Button
            size="small"
            icon={<FilePdfOutlined />}
            aria-label={`${t('finance.pdf')} ${invoice.number ?? ''}`}
            onClick={() =>
              void openBlobInNewTab(() => fetchInvoicePdf(api, invoice.id), `${invoice.number ?? invoice.id}.pdf`).catch((error: unknown) =>
                void message.error(error instanceof Error ? error.message : String(error)),
              )
            }
          />
        </Space>
      ),
    },
  ];

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('finance.dailyReceipts', { currency })}>
            <BarChart title={t('finance.dailyReceipts', { currency })} bars={receipts.map((r) => ({ label: r.key, value: r.total, text: money(r.total, currency) }))} colour="#389e0d" />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('finance.outstanding', { currency })}>
            <BarChart
              title={t('finance.outstanding', { currency })}
              bars={outstanding.map((o) => ({ label: t(`finance.statuses.${o.key}`, { defaultValue: o.key }), value: o.total, text: money(o.total, currency) }))}
              colour="#d46b08"
            />
          </Card>
        </Col>
      </Row>
      <Card>
        <Space wrap style={{ marginBottom: 12 }}>
          <Select
            aria-label={t('finance.status')}
            placeholder={t('finance.allStatuses')}
            allowClear
            value={status}
            onChange={setStatus}
            style={{ minWidth: 160 }}
            options={INVOICE_STATUSES.map((value) => ({ value, label: t(`finance.statuses.${value}`) }))}
          />
          <Input.Search
            aria-label={t('finance.waybillFilter')}
            placeholder={t('finance.waybillFilter')}
            allowClear
            onSearch={(value) => setWaybill(value.trim() || undefined)}
            style={{ width: 260 }}
          />
        </Space>
        {invoices.error ? <ProblemAlert error={invoices.error} onRetry={() => void invoices.refetch()} /> : null}
        <Table<Invoice>
          rowKey="id"
          size="small"
          columns={columns}
          dataSource={rows}
          loading={invoices.isPending}
          pagination={false}
          scroll={{ x: 'max-content' }}
          expandable={{ expandedRowRender: (invoice) => <InvoicePayments invoice={invoice} onRefund={setRefundFor} /> }}
          locale={{ emptyText: t('finance.noInvoices') }}
          key={i18n.language}
        />
        {invoices.hasNextPage ? (
          <Button style={{ marginTop: 12 }} onClick={() => void invoices.fetchNextPage()} loading={invoices.isFetchingNextPage}>
            {t('waybills.loadMore')}
          </Button>
        ) : null}
      </Card>
      <RefundModal payment={refundFor} onClose={() => setRefundFor(null)} />
    </Space>
  );
}

function ReconciliationTab() {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const money = useMoney();
  const [range, setRange] = useState<[Dayjs | null, Dayjs | null] | null>(null);
  const [category, setCategory] = useState<string | undefined>();
  const [exporting, setExporting] = useState<'csv' | 'xlsx' | null>(null);
  const query: ReportRange = {
    since: range?.[0]?.startOf('day').toISOString(),
    until: range?.[1]?.endOf('day').toISOString(),
  };
  const report = useQuery({ queryKey: settlementKeys.report(query), queryFn: ({ signal }) => fetchReconciliation(api, query, signal) });
  const importing = useMutation<unknown, ApiError>({
    mutationFn: () => importFromStripe(api),
    onSuccess: () => {
      void message.success(t('finance.imported'));
      void queryClient.invalidateQueries({ queryKey: ['settlement', 'report'] });
    },
    onError: (error) => void message.error(error.detail || error.title),
  });
  const onExport = async (format: 'csv' | 'xlsx') => {
    setExporting(format);
    try {
      download(await exportReconciliation(api, query, format), `reconciliation-${dayjs().format('YYYYMMDD-HHmm')}.${format}`);
    } catch (error) {
      void message.error(error instanceof Error ? error.message : String(error));
    } finally {
      setExporting(null);
    }
  };
  const data = report.data;
  const rows = (Array.isArray(data?.rows) ? data.rows : []).filter((row) => !category || row.category === category);
  const counts = (data?.counts ?? {}) as Record<string, number>;
  const columns: TableColumnsType<ReconciliationRow> = [
    {
      title: t('finance.category'),
      dataIndex: 'category',
      key: 'category',
      render: (value: string) => <Tag color={CATEGORY_COLOURS[value] ?? 'default'}>{t(`finance.categories.${value}`, { defaultValue: value })}</Tag>,
    },
    { title: t('finance.kind'), dataIndex: 'kind', key: 'kind' },
    { title: t('finance.number'), dataIndex: 'invoice_number', key: 'invoice', render: (value: string | null) => <span className="mono">{value ?? '—'}</span> },
    { title: t('finance.stripeId'), dataIndex: 'stripe_id', key: 'stripe', render: (value: string | null) => <span className="mono">{value ?? '—'}</span> },
    { title: t('finance.ours'), key: 'ours', align: 'right', render: (_: unknown, r) => money(r.our_amount_minor, r.currency) },
    { title: t('finance.stripe'), key: 'theirs', align: 'right', render: (_: unknown, r) => money(r.stripe_amount_minor, r.currency) },
    { title: t('finance.fee'), key: 'fee', align: 'right', render: (_: unknown, r) => money(r.fee_minor, r.currency) },
    { title: t('finance.payout'), dataIndex: 'payout_id', key: 'payout', render: (value: string | null) => <span className="mono">{value ?? '—'}</span> },
    { title: t('finance.note'), dataIndex: 'note', key: 'note' },
  ];
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Card>
        <Space wrap>
          <DatePicker.RangePicker value={range} onChange={(value) => setRange(value)} aria-label={t('finance.range')} allowEmpty={[true, true]} />
          <Select
            aria-label={t('finance.category')}
            placeholder={t('finance.allCategories')}
            allowClear
            value={category}
            onChange={setCategory}
            style={{ minWidth: 180 }}
            options={Object.keys(CATEGORY_COLOURS).map((value) => ({ value, label: t(`finance.categories.${value}`) }))}
          />
          <Button icon={<SyncOutlined />} loading={importing.isPending} onClick={() => importing.mutate()}>
            {t('finance.import')}
          </Button>
          <Button icon={<FileTextOutlined />} loading={exporting === 'csv'} onClick={() => void onExport('csv')}>
            {t('finance.exportCsv')}
          </Button>
          <Button icon={<FileExcelOutlined />} loading={exporting === 'xlsx'} onClick={() => void onExport('xlsx')}>
            {t('finance.exportXlsx')}
          </Button>
        </Space>
      </Card>
      {report.error ? <ProblemAlert error={report.error} onRetry={() => void report.refetch()} /> : null}
      <Row gutter={[16, 16]}>
        {['matched', 'mismatch', 'unmatched_stripe', 'unmatched_ours', 'payouts'].map((key) => (
          <Col key={key} xs={12} md={8} xl={4}>
            <Card size="small">
              <Statistic title={t(`finance.categories.${key}`)} value={counts[key] ?? 0} loading={report.isPending} />
            </Card>
          </Col>
        ))}
      </Row>
      {Array.isArray(data?.totals) && data.totals.length > 0 ? (
        <Card size="small" title={t('finance.totals')}>
          <Space wrap size="large">
            {data.totals.map((total) => (
              <Space key={total.currency} size="large">
                <Statistic title={`${t('finance.gross')} (${total.currency})`} value={money(total.gross_minor, total.currency)} />
                <Statistic title={`${t('finance.fee')} (${total.currency})`} value={money(total.fees_minor, total.currency)} />
                <Statistic title={`${t('finance.net')} (${total.currency})`} value={money(total.net_minor, total.currency)} />
              </Space>
            ))}
          </Space>
        </Card>
      ) : null}
      <Card title={t('finance.rows', { count: rows.length })} extra={data ? <Typography.Text type="secondary"><DateTime value={data.generated_at} /></Typography.Text> : null}>
        <Table<ReconciliationRow>
          rowKey={(row, index) => `${row.stripe_id ?? row.payment_id ?? ''}-${index}`}
          size="small"
          columns={columns}
          dataSource={rows}
          loading={report.isPending}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('finance.noRows') }}
        />
      </Card>
      {Array.isArray(data?.payouts) && data.payouts.length > 0 ? (
        <Card title={t('finance.payouts')}>
          <Table
            rowKey="payout_id"
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={data.payouts}
            columns={[
              { title: t('finance.payout'), dataIndex: 'payout_id', key: 'id', render: (value: string) => <span className="mono">{value}</span> },
              { title: t('finance.status'), dataIndex: 'status', key: 'status' },
              { title: t('finance.amount'), key: 'amount', align: 'right', render: (_: unknown, p) => money(p.amount_minor, p.currency) },
              { title: t('finance.transactions'), dataIndex: 'transactions', key: 'tx', align: 'right' },
              { title: t('finance.difference'), key: 'diff', align: 'right', render: (_: unknown, p) => money(p.difference_minor, p.currency) },
              { title: t('finance.arrival'), key: 'arrival', render: (_: unknown, p) => <DateTime value={p.arrival_date} /> },
            ]}
          />
        </Card>
      ) : null}
    </Space>
  );
}

/** The finance desk: invoices with their payments and refunds, and the reconciliation report. */
export function FinanceDeskPage() {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3} style={{ margin: 0 }}>
        {t('finance.title')}
      </Typography.Title>
      <Tabs
        items={[
          { key: 'invoices', label: t('finance.invoicesTab'), children: <InvoicesTab /> },
          {
            key: 'reconciliation',
            label: (
              <span>
                <CloudDownloadOutlined /> {t('finance.reconciliationTab')}
              </span>
            ),
            children: <ReconciliationTab />,
          },
        ]}
      />
    </Space>
  );
}
