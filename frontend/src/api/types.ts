/**
 * Shapes of the REST contract under /api/v1 that the web app reads.
 * Kept by hand until the types are generated from openapi/openapi.json.
 */

export type Role =
  | 'shipper'
  | 'dispatcher'
  | 'gate_operator'
  | 'finance'
  | 'partner_admin'
  | 'port_operator'
  | 'regulator'
  | 'admin';

export const ROLES: readonly Role[] = [
  'shipper',
  'dispatcher',
  'gate_operator',
  'finance',
  'partner_admin',
  'port_operator',
  'regulator',
  'admin',
];

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface Organisation {
  id: string;
  name: string;
  kind: string;
}

export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  organisation: Organisation;
}

export type WaybillStatus = 'draft' | 'booked' | 'in_transit' | 'delivered' | 'closed' | 'cancelled';

export const WAYBILL_STATUSES: readonly WaybillStatus[] = [
  'draft',
  'booked',
  'in_transit',
  'delivered',
  'closed',
  'cancelled',
];

export type TransportMode = 'VESSEL' | 'RAIL' | 'TRUCK' | 'BARGE';

export interface PlaceRef {
  unlocode: string;
  name: string;
}

export interface Location extends PlaceRef {
  name_zh?: string | null;
  lat?: number | null;
  lon?: number | null;
}

export interface WaybillSummary {
  number: string;
  status: WaybillStatus;
  shipper_name: string;
  consignee_name: string;
  origin: PlaceRef;
  destination: PlaceRef;
  modes: TransportMode[];
  dangerous_goods: boolean;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type PartyRole = 'shipper' | 'consignee' | 'notify';

export interface Party {
  role: PartyRole;
  name: string;
  address: string | null;
  contact: string | null;
}

export interface CargoLine {
  seq: number;
  description: string;
  hs_code: string | null;
  packages: number | null;
  package_type: string | null;
  gross_weight_kg: number | null;
  volume_m3: number | null;
  marks: string | null;
  un_number: string | null;
  dg_class: string | null;
  packing_group: string | null;
}

export interface Equipment {
  container_number: string;
  size_type: string | null;
  seals: string[];
}

export interface Carrier {
  id: string;
  name: string;
}

export interface Vehicle {
  vessel_name?: string | null;
  imo?: string | null;
  mmsi?: string | null;
  voyage?: string | null;
  train_number?: string | null;
  truck_plate?: string | null;
}

export interface Leg {
  seq: number;
  mode: TransportMode;
  status: string;
  carrier: Carrier | null;
  vehicle: Vehicle | null;
  from_location: Location;
  to_location: Location;
  from_terminal: string | null;
  to_terminal: string | null;
  planned_departure: string | null;
  planned_arrival: string | null;
  estimated_departure: string | null;
  estimated_arrival: string | null;
  actual_departure: string | null;
  actual_arrival: string | null;
}

export type EventType = 'TRANSPORT' | 'EQUIPMENT' | 'SHIPMENT';
export type EventClassifier = 'PLN' | 'EST' | 'ACT';

export interface WaybillEvent {
  id: string;
  event_type: EventType;
  event_code: string;
  classifier: EventClassifier;
  event_time: string;
  recorded_at: string;
  leg_seq: number | null;
  location: PlaceRef | null;
  description: string | null;
}

export interface WaybillDetail {
  number: string;
  status: WaybillStatus;
  created_at: string;
  updated_at: string;
  parties: Party[];
  cargo_lines: CargoLine[];
  equipment: Equipment[];
  legs: Leg[];
  events: WaybillEvent[];
}

export interface PublicLeg {
  seq: number;
  mode: TransportMode;
  status: string;
  from_location: Location;
  to_location: Location;
  planned_arrival: string | null;
  estimated_arrival: string | null;
  actual_arrival: string | null;
}

export interface PublicEvent {
  event_code: string;
  classifier: EventClassifier;
  event_time: string;
  location: PlaceRef | null;
}

export interface PublicTracking {
  number: string;
  status: WaybillStatus;
  origin: PlaceRef;
  destination: PlaceRef;
  legs: PublicLeg[];
  events: PublicEvent[];
}
