import type { ApiClient } from './client';
import type { Invoice, InvoicePage, Payment, PaymentConfig, Quote, ReconciliationReport, Refund } from './models';

const seg = encodeURIComponent;
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

export interface InvoiceFilter {
  status?: string | undefined;
  waybill?: string | undefined;
}

/** Invoices the caller may see (finance: its organisation's as seller; shippers: theirs to pay). */
export function fetchInvoices(api: ApiClient, filter: InvoiceFilter, cursor: string | null, signal?: AbortSignal): Promise<InvoicePage> {
  return api.request<InvoicePage>('/settlement/invoices', { query: { ...filter, limit: 50, cursor }, ...opt(signal) });
}

export function fetchPayments(api: ApiClient, invoiceId: string, signal?: AbortSignal): Promise<Payment[]> {
  return api.request<Payment[]>(`/settlement/invoices/${seg(invoiceId)}/payments`, opt(signal));
}

export function fetchRefunds(api: ApiClient, invoiceId: string, signal?: AbortSignal): Promise<Refund[]> {
  return api.request<Refund[]>(`/settlement/invoices/${seg(invoiceId)}/refunds`, opt(signal));
}

/** The publishable key and where to load Stripe.js from. */
export function fetchPaymentConfig(api: ApiClient, signal?: AbortSignal): Promise<PaymentConfig> {
  return api.request<PaymentConfig>('/settlement/config', opt(signal));
}

/** Pays the balance due with a card collected by Stripe.js (confirmed at once by the server). */
export function payInvoice(api: ApiClient, invoiceId: string, paymentMethod: string): Promise<Payment> {
  return api.request<Payment>(`/settlement/invoices/${seg(invoiceId)}/payments`, { method: 'POST', json: { method: 'card', payment_method: paymentMethod } });
}

export function issueInvoice(api: ApiClient, invoiceId: string): Promise<Invoice> {
  return api.request<Invoice>(`/settlement/invoices/${seg(invoiceId)}/issue`, { method: 'POST' });
}

/** Refunds (part of) a payment; finance users only. */
export function refundPayment(api: ApiClient, paymentId: string, amountMinor: number | null, reason: string): Promise<Refund> {
  return api.request<Refund>(`/settlement/payments/${seg(paymentId)}/refunds`, { method: 'POST', json: { amount_minor: amountMinor, reason } });
}

export function fetchInvoicePdf(api: ApiClient, invoiceId: string): Promise<Blob> {
  return api.requestBlob(`/settlement/invoices/${seg(invoiceId)}/document.pdf`, {}, 'application/pdf');
}

export interface ReportRange {
  since?: string | undefined;
  until?: string | undefined;
}

export function fetchReconciliation(api: ApiClient, range: ReportRange, signal?: AbortSignal): Promise<ReconciliationReport> {
  return api.request<ReconciliationReport>('/settlement/reconciliation/report', { query: { ...range, format: 'json' }, ...opt(signal) });
}

const EXPORT_TYPES = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/** The reconciliation report as a CSV or XLSX file. */
export function exportReconciliation(api: ApiClient, range: ReportRange, format: keyof typeof EXPORT_TYPES): Promise<Blob> {
  return api.requestBlob('/settlement/reconciliation/report', { query: { ...range, format } }, EXPORT_TYPES[format]);
}

/** Imports Stripe balance transactions and payouts (resumable) before a report. */
export function importFromStripe(api: ApiClient): Promise<unknown> {
  return api.request<unknown>('/settlement/reconciliation/imports', { method: 'POST' });
}

export const settlementKeys = {
  invoices: (filter: InvoiceFilter) => ['settlement', 'invoices', filter] as const,
  payments: (invoiceId: string) => ['settlement', 'invoice', invoiceId, 'payments'] as const,
  refunds: (invoiceId: string) => ['settlement', 'invoice', invoiceId, 'refunds'] as const,
  report: (range: ReportRange) => ['settlement', 'report', range] as const,
  config: ['settlement-config'] as const,
};

/** The waybill's quotes, newest first as the server sends them. */
export function fetchQuotes(api: ApiClient, number: string, signal?: AbortSignal): Promise<Quote[]> {
  return api.request<Quote[]>(`/settlement/waybills/${seg(number)}/quotes`, opt(signal));
}

/** Prices the waybill leg by leg; earlier offers are superseded. */
export function requestQuote(api: ApiClient, number: string): Promise<Quote> {
  return api.request<Quote>(`/settlement/waybills/${seg(number)}/quotes`, { method: 'POST' });
}

/** Accepts a quote: its prices are frozen for the invoice. */
export function acceptQuote(api: ApiClient, quoteId: string): Promise<Quote> {
  return api.request<Quote>(`/settlement/quotes/${seg(quoteId)}/accept`, { method: 'POST' });
}

export const chargeKeys = {
  quotes: (number: string) => ['settlement', 'quotes', number] as const,
  waybillInvoices: (number: string) => ['settlement', 'invoices', { waybill: number }] as const,
};
