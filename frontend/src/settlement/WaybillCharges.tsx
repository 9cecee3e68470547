import { CheckOutlined, CreditCardOutlined, DollarOutlined, FilePdfOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import { useAuth } from '../auth/AuthContext';
import type { ChargeLine, Invoice, Quote, WaybillStatus } from '../api/models';
import { isApiError, type ApiError } from '../api/problem';
import { acceptQuote, chargeKeys, fetchInvoicePdf, fetchInvoices, fetchQuotes, requestQuote } from '../api/settlement';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatMoney } from '../finance/money';
import { DateTime } from '../time/DateTime';
import { openBlobInNewTab } from '../waybills/downloadBlob';
import { isPayable, PayInvoiceModal } from './PayInvoice';

const QUOTABLE: readonly WaybillStatus[] = ['draft', 'booked'];

function ChargeLines({ lines, currency }: { lines: readonly ChargeLine[]; currency: string }) {
  const { t, i18n } = useTranslation();
  const zh = i18n.language.startsWith('zh');
  const money = (minor: number) => formatMoney(minor, currency, i18n.language);
  const columns: TableColumnsType<ChargeLine> = [
    { title: t('charges.leg'), dataIndex: 'leg_seq', key: 'leg', width: 64, render: (seq: number | null) => seq ?? '—' },
    { title: t('charges.item'), key: 'item', render: (_: unknown, line) => (zh && line.description_zh ? line.description_zh : line.description) },
    {
      title: t('charges.quantity'),
      key: 'qty',
      align: 'right',
      render: (_: unknown, line) =>
        line.unit === 'percent' ? `${Number(line.quantity)}%` : `${Number(line.quantity)} ${t(`charges.units.${line.unit}`, { defaultValue: line.unit })}`,
    },
    { title: t('charges.unitPrice'), key: 'unit', align: 'right', render: (_: unknown, line) => money(line.unit_amount_minor) },
    { title: t('charges.net'), key: 'net', align: 'right', render: (_: unknown, line) => money(line.net_minor) },
    { title: t('charges.vat'), key: 'vat', align: 'right', render: (_: unknown, line) => `${line.vat_rate_bp / 100}%` },
    { title: t('charges.tax'), key: 'tax', align: 'right', render: (_: unknown, line) => money(line.tax_minor) },
  ];
  return <Table<ChargeLine> rowKey="seq" size="small" columns={columns} dataSource={[...lines]} pagination={false} scroll={{ x: 'max-content' }} />;
}

/**
 * A waybill's money: the quote leg by leg (ask, accept) while it is a draft or booked, and its
 * invoices with what is still due. Hidden on a server without the settlement API.
 */
export function WaybillCharges({ number, status, canQuote }: { number: string; status: WaybillStatus; canQuote: boolean }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  // an odd /me answer must not take the charges card down with it
  const orgId = useAuth().user?.organisation?.id;
  const [paying, setPaying] = useState<Invoice | null>(null);
  const queryClient = useQueryClient();
  const { message } = App.useApp();
  const quotes = useQuery<Quote[], ApiError>({ queryKey: chargeKeys.quotes(number), queryFn: ({ signal }) => fetchQuotes(api, number, signal), retry: false });
  const invoices = useQuery({
    queryKey: chargeKeys.waybillInvoices(number),
    queryFn: ({ signal }) => fetchInvoices(api, { waybill: number }, null, signal),
    retry: false,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['settlement'] });
  const ask = useMutation<Quote, ApiError>({ mutationFn: () => requestQuote(api, number), onSuccess: refresh });
  const accept = useMutation<Quote, ApiError, Quote>({
    mutationFn: (quote) => acceptQuote(api, quote.id),
    onSuccess: () => {
      void message.success(t('charges.accepted'));
      refresh();
    },
    onError: (error) => void message.error(error.detail || error.title),
  });

  const current = (Array.isArray(quotes.data) ? quotes.data : []).find((quote) => quote.status !== 'superseded');
  const missing = (error: unknown) => isApiError(error) && (error.status === 404 || error.status === 403);
  if (missing(quotes.error) && missing(invoices.error)) return null;

  const money = (minor: number | null | undefined, currency: string) => formatMoney(minor, currency, i18n.language);
  const invoiceRows: Invoice[] = Array.isArray(invoices.data?.items) ? invoices.data.items : [];

  return (
    <Card
      title={
        <Space>
          <DollarOutlined />
          {t('charges.title')}
        </Space>
      }
      extra={
        canQuote && QUOTABLE.includes(status) && current?.status !== 'accepted' ? (
          <Button onClick={() => ask.mutate()} loading={ask.isPending}>
            {current ? t('charges.requote') : t('charges.getQuote')}
          </Button>
        ) : null
      }
    >
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        {ask.error ? <ProblemAlert error={ask.error} /> : null}
        {current ? (
          <div className="quote" data-status={current.status}>
            <Space wrap size="middle" style={{ marginBottom: 8 }}>
              <Typography.Text strong>{t('charges.quote')}</Typography.Text>
              <Tag color={current.status === 'accepted' ? 'green' : current.status === 'offered' ? 'blue' : 'default'}>
                {t(`charges.quoteStatuses.${current.status}`, { defaultValue: current.status })}
              </Tag>
              <Typography.Text>
                {t('charges.total')}: <Typography.Text strong>{money(current.total_minor, current.currency)}</Typography.Text>{' '}
                <Typography.Text type="secondary">
                  ({t('charges.taxIncluded', { tax: money(current.tax_minor, current.currency) })})
                </Typography.Text>
              </Typography.Text>
              {current.status === 'offered' ? (
                <Typography.Text type="secondary">
                  {t('charges.validUntil')} <DateTime value={current.valid_until} />
                </Typography.Text>
              ) : null}
              {canQuote && current.status === 'offered' ? (
                <Button type="primary" icon={<CheckOutlined />} onClick={() => accept.mutate(current)} loading={accept.isPending}>
                  {t('charges.accept')}
                </Button>
              ) : null}
            </Space>
            <ChargeLines lines={current.lines} currency={current.currency} />
          </div>
        ) : quotes.isSuccess ? (
          <Typography.Text type="secondary">{t('charges.noQuote')}</Typography.Text>
        ) : null}
        {invoiceRows.length > 0 ? (
          <Table<Invoice>
            rowKey="id"
            size="small"
            pagination={false}
            scroll={{ x: 'max-content' }}
            dataSource={invoiceRows}
            columns={[
              { title: t('finance.number'), key: 'number', render: (_: unknown, i) => <span className="mono">{i.number ?? t('finance.draftNumber')}</span> },
              { title: t('finance.status'), dataIndex: 'status', key: 'status', render: (s: string) => <Tag>{t(`finance.statuses.${s}`, { defaultValue: s })}</Tag> },
              { title: t('finance.total'), key: 'total', align: 'right', render: (_: unknown, i) => money(i.total_minor, i.currency) },
              { title: t('finance.balanceDue'), key: 'due', align: 'right', render: (_: unknown, i) => <Typography.Text strong={i.balance_due_minor > 0}>{money(i.balance_due_minor, i.currency)}</Typography.Text> },
              { title: t('finance.dueAt'), key: 'dueAt', render: (_: unknown, i) => <DateTime value={i.due_at} /> },
              {
                title: t('finance.actions'),
                key: 'pdf',
                render: (_: unknown, i) => (
                  <Space size="small">
                    <Button
                      size="small"
                      icon={<FilePdfOutlined />}
                      aria-label={`${t('finance.pdf')} ${i.number ?? ''}`}
                      onClick={() => void openBlobInNewTab(() => fetchInvoicePdf(api, i.id), `${i.number ?? i.id}.pdf`).catch(() => void message.error(t('detail.pdfFailed')))}
                    />
                    {isPayable(i, orgId) ? (
                      <Button size="small" type="primary" icon={<CreditCardOutlined />} onClick={() => setPaying(i)}>
                        {t('pay.action')}
                      </Button>
                    ) : null}
                  </Space>
                ),
              },
            ]}
          />
        ) : null}
      </Space>
      <PayInvoiceModal invoice={paying} onClose={() => setPaying(null)} />
    </Card>
  );
}
