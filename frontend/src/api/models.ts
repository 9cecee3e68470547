/**
 * Names for the shapes of the REST contract under /api/v1. Every type here comes from schema.d.ts,
 * which `npm run gen:api` generates from openapi/openapi.json; nothing is written by hand.
 */
import type { components, operations, paths } from './schema';

type Schemas = components['schemas'];

export type { components, operations, paths };

export type Role = Schemas['Role'];
export type OrgKind = Schemas['OrgKind'];
export type Scope = Schemas['Scope'];
export type TokenResponse = Schemas['TokenOut'];
export type Organisation = Schemas['OrganisationOut'];
export type Me = Schemas['MeOut'];

export type WaybillStatus = Schemas['WaybillStatus'];
export type TransportMode = Schemas['Mode'];
export type LegStatus = Schemas['LegStatus'];
export type EventType = Schemas['EventType'];
export type EventClassifier = Schemas['Classifier'];

export type PlaceRef = Schemas['PlaceOut'];
export type Location = Schemas['LocationOut'];
export type Terminal = Schemas['TerminalOut'];
export type Gate = Schemas['GateOut'];
export type TrackCollection = Schemas['TrackCollection'];
export type TrackFeature = Schemas['TrackFeature'];

export type WaybillSummary = Schemas['WaybillSummaryOut'];
export type WaybillPage = Schemas['WaybillPageOut'];
export type WaybillDetail = Schemas['WaybillOut'];
export type Party = Schemas['PartyOut'];
export type PartyRole = Party['role'];
export type CargoLine = Schemas['CargoLineOut'];
export type Equipment = Schemas['EquipmentOut'];
export type Carrier = Schemas['CarrierOut'];
export type Vehicle = Schemas['LegOut']['vehicle'];
export type Leg = Schemas['LegOut'];
export type WaybillEvent = Schemas['EventOut'];
export type PublicTracking = Schemas['PublicTrackingOut'];
export type PublicLeg = Schemas['PublicLegOut'];
export type PublicEvent = Schemas['PublicEventOut'];

export type WaybillInput = Schemas['WaybillIn'];
export type LegInput = Schemas['LegIn'];
export type CargoLineInput = Schemas['CargoLineIn'];
export type EquipmentInput = Schemas['EquipmentIn'];
export type PartyInput = Schemas['PartyIn'];
export type VehicleInput = NonNullable<Schemas['LegIn']['vehicle']>;

export type ApiKey = Schemas['ApiKeyOut'];
export type ApiKeyCreated = Schemas['ApiKeyCreatedOut'];
export type ApiKeyInput = Schemas['ApiKeyIn'];

/** The query parameters of an operation (GET /waybills …). */
export type QueryOf<Op extends keyof operations> = operations[Op] extends { parameters: { query?: infer Q } }
  ? NonNullable<Q>
  : never;

/** Every value of a string union, listed once and checked against the union both ways. */
const all =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([T] extends [L[number]] ? unknown : 'missing a value')): readonly T[] =>
    list;

export const ROLES = all<Role>()([
  'shipper',
  'dispatcher',
  'gate_operator',
  'finance',
  'partner_admin',
  'port_operator',
  'regulator',
  'admin',
] as const);

export const WAYBILL_STATUSES = all<WaybillStatus>()([
  'draft',
  'booked',
  'in_transit',
  'delivered',
  'closed',
  'cancelled',
] as const);

export const TRANSPORT_MODES = all<TransportMode>()(['VESSEL', 'RAIL', 'TRUCK', 'BARGE'] as const);

export const API_KEY_SCOPES = all<Scope>()(['waybills:read', 'waybills:write', 'events:write', 'tracking:write'] as const);

// ---- gates (issue 4) ----
export type Appointment = Schemas['AppointmentOut'];
export type AppointmentStatus = Schemas['AppointmentStatus'];
export type GatePass = Schemas['PassOut'];
export type Slot = Schemas['SlotOut'];
export type Lane = Schemas['LaneOut'];
export type LaneDirection = Schemas['LaneDirection'];
export type LaneInput = Schemas['LaneIn'];
export type SlotsInput = Schemas['SlotsIn'];
export type RescheduleInput = Schemas['RescheduleIn'];
export type ScanInput = Schemas['ScanIn'];
export type GateTransaction = Schemas['TransactionOut'];
export type ScanReason = Schemas['ReasonOut'];
export type ScanResult = Schemas['ScanResult'];

// ---- settlement (issue 5) ----
export type Invoice = Schemas['InvoiceOut'];
export type InvoicePage = Schemas['InvoicePageOut'];
export type Payment = Schemas['PaymentOut'];
export type PaymentConfig = Schemas['PaymentConfigOut'];
export type Refund = Schemas['RefundOut'];
export type ReconciliationReport = Schemas['ReconciliationReportOut'];
export type ReconciliationRow = Schemas['ReconciliationRowOut'];
export type PayoutSummary = Schemas['PayoutSummaryOut'];
export type Quote = Schemas['QuoteOut'];
export type ChargeLine = Schemas['QuoteOut']['lines'][number];
export type ArrivalsReport = Schemas['ArrivalsOut'];
export type DwellReport = Schemas['DwellOut'];
export type DenialsReport = Schemas['DenialsOut'];
export type AppointmentInput = Schemas['AppointmentIn'];

// ---- partner webhooks ----
export type WebhookEventType = Schemas['WebhookEventType'];
export type WebhookEventTypeInfo = Schemas['WebhookEventTypeOut'];
export type WebhookSubscription = Schemas['WebhookSubscriptionOut'];
export type WebhookSubscriptionWithSecret = Schemas['WebhookSubscriptionSecretOut'];
export type WebhookSubscriptionInput = Schemas['WebhookSubscriptionIn'];
export type WebhookSubscriptionPatch = Schemas['WebhookSubscriptionPatch'];
export type WebhookDelivery = Schemas['WebhookDeliveryOut'];
export type WebhookDeliveryPage = Schemas['WebhookDeliveryPageOut'];
export type WebhookDeliveryStatus = Schemas['WebhookDeliveryStatus'];

export const WEBHOOK_EVENT_TYPES = all<WebhookEventType>()([
  'waybill.booked',
  'waybill.status_changed',
  'waybill.event',
  'gate.transaction',
  'invoice.issued',
  'payment.succeeded',
  'payment.refunded',
] as const);

export const WEBHOOK_DELIVERY_STATUSES = all<WebhookDeliveryStatus>()(['pending', 'delivered', 'failed', 'dead'] as const);
