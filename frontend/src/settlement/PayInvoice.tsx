import { CreditCardOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Modal, Result, Space, Spin, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api/ApiContext';
import type { Invoice, Payment } from '../api/models';
import { isApiError } from '../api/problem';
import { fetchPaymentConfig, payInvoice, settlementKeys } from '../api/settlement';
import { formatMoney } from '../finance/money';
import { CardError, collectCard, loadStripeJs, type CardElement, type StripeClient } from './stripeJs';

const PAYABLE = ['issued', 'partially_paid'];

/** An invoice the signed-in organisation owes and can pay now. */
export function isPayable(invoice: Invoice, orgId: string | undefined): boolean {
  return invoice.kind === 'invoice' && PAYABLE.includes(invoice.status) && invoice.balance_due_minor > 0 && invoice.buyer_org_id === orgId;
}

type Outcome = { kind: 'paid'; payment: Payment } | { kind: 'declined'; reason: string } | { kind: 'pending'; payment: Payment };

function CardForm({ invoice, onClose }: { invoice: Invoice; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const config = useQuery({ queryKey: settlementKeys.config, queryFn: ({ signal }) => fetchPaymentConfig(api, signal), staleTime: Infinity });
  const mountRef = useRef<HTMLDivElement>(null);
  const [stripe, setStripe] = useState<{ client: StripeClient; card: CardElement } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [paying, setPaying] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const key = config.data?.publishable_key;
  const url = config.data?.stripe_js_url;
  useEffect(() => {
    if (!key || !url) return;
    let card: CardElement | null = null;
    let live = true;
    loadStripeJs(url)
      .then((factory) => {
        if (!live || !mountRef.current) return;
        const client = factory(key);
        card = client.elements().create('card', { hidePostalCode: true });
        card.mount(mountRef.current);
        setStripe({ client, card });
      })
      .catch((e: unknown) => live && setLoadError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
      card?.destroy();
    };
  }, [key, url]);

  const pay = async () => {
    if (!stripe) return;
    setPaying(true);
    try {
      const method = await collectCard(stripe.client, stripe.card);
      const payment = await payInvoice(api, invoice.id, method);
      if (payment.status === 'succeeded') setOutcome({ kind: 'paid', payment });
      else if (payment.status === 'failed' || payment.status === 'canceled')
        setOutcome({ kind: 'declined', reason: payment.failure_message || payment.failure_code || t('pay.declinedUnknown') });
      else setOutcome({ kind: 'pending', payment });
    } catch (e) {
      const reason = e instanceof CardError ? e.message : isApiError(e) ? e.detail || e.title : String(e);
      setOutcome({ kind: 'declined', reason });
    } finally {
      setPaying(false);
      void queryClient.invalidateQueries({ queryKey: ['settlement'] });
    }
  };

  const due = formatMoney(invoice.balance_due_minor, invoice.currency, i18n.language);
  if (outcome?.kind === 'paid')
    return (
      <Result
        status="success"
        title={t('pay.paid')}
        subTitle={t('pay.paidDetail', { amount: formatMoney(outcome.payment.amount_received_minor || outcome.payment.amount_minor, outcome.payment.currency, i18n.language), number: invoice.number })}
        extra={<Button type="primary" onClick={onClose}>{t('pay.close')}</Button>}
      />
    );
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Text>
        {t('pay.amount')}: <Typography.Text strong>{due}</Typography.Text> · <span className="mono">{invoice.number}</span>
      </Typography.Text>
      {config.data?.test_mode ? <Alert type="info" showIcon title={t('pay.testMode')} description={t('pay.testCards')} /> : null}
      {config.isError || (config.data && !key) ? <Alert type="error" showIcon title={t('pay.unavailable')} /> : null}
      {loadError ? <Alert type="error" showIcon title={t('pay.loadFailed')} description={loadError} /> : null}
      {key && !stripe && !loadError ? <Spin /> : null}
      <label className="card-field">
        <Typography.Text type="secondary">{t('pay.card')}</Typography.Text>
        <div ref={mountRef} className="stripe-card" data-testid="card-element" />
      </label>
      {outcome?.kind === 'declined' ? <Alert type="error" showIcon role="alert" title={t('pay.declined')} description={outcome.reason} /> : null}
      {outcome?.kind === 'pending' ? <Alert type="warning" showIcon title={t('pay.pending', { status: outcome.payment.status })} /> : null}
      <Button type="primary" icon={<CreditCardOutlined />} block disabled={!stripe} loading={paying} onClick={() => void pay()}>
        {t('pay.submit', { amount: due })}
      </Button>
    </Space>
  );
}

/**
 * Paying one invoice the shipper owes: a card collected by Stripe.js, the result, the invoice refreshed.
 * Held by the invoice list, not the row, so the result stays on screen when the paid row loses "Pay".
 */
export function PayInvoiceModal({ invoice, onClose }: { invoice: Invoice | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal open={invoice !== null} title={t('pay.title', { number: invoice?.number })} footer={null} destroyOnHidden onCancel={onClose}>
      {invoice ? <CardForm invoice={invoice} onClose={onClose} /> : null}
    </Modal>
  );
}
