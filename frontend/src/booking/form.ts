import type { Dayjs } from 'dayjs';
import type { CargoLineInput, EquipmentInput, LegInput, TransportMode, VehicleInput, WaybillInput } from '../api/models';
import { dayjs } from '../time/dayjs';
import { compactContainerNumber } from './iso6346';

export interface PartyForm {
  name?: string;
  address?: string;
  contact?: string;
}

export interface LegForm {
  mode?: TransportMode;
  carrier_id?: string;
  from_unlocode?: string;
  from_terminal?: string;
  to_unlocode?: string;
  to_terminal?: string;
  planned_departure?: Dayjs | null;
  planned_arrival?: Dayjs | null;
  vehicle?: VehicleInput;
}

export interface CargoLineForm {
  description?: string;
  hs_code?: string;
  packages?: number | null;
  package_type?: string;
  gross_weight_kg?: number | null;
  volume_m3?: number | null;
  marks?: string;
  dangerous?: boolean;
  un_number?: string;
  dg_class?: string;
  packing_group?: string;
}

export interface EquipmentForm {
  container_number?: string;
  size_type?: string;
  seals?: string[];
}

export interface BookingForm {
  reference?: string;
  consignee?: PartyForm;
  notify?: PartyForm;
  legs?: LegForm[];
  cargo_lines?: CargoLineForm[];
  equipment?: EquipmentForm[];
  remarks?: string;
}

/** Which vehicle fields each mode has (the server refuses a plate on a ship or an IMO on a train). */
export const VEHICLE_FIELDS: Record<TransportMode, (keyof VehicleInput)[]> = {
  VESSEL: ['vessel_name', 'voyage', 'imo', 'mmsi'],
  BARGE: ['vessel_name', 'voyage', 'mmsi'],
  RAIL: ['train_number'],
  TRUCK: ['truck_plate'],
};

/** UN dangerous-goods classes and divisions. */
export const DG_CLASSES = ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '2.1', '2.2', '2.3', '3', '4.1', '4.2', '4.3', '5.1', '5.2', '6.1', '6.2', '7', '8', '9'];
export const PACKING_GROUPS = ['I', 'II', 'III'];

/** Mainland plates: province, letter, then 5 (or 6 for new-energy) letters and digits. */
export const CN_PLATE = /^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警]$/;

const text = (value: string | undefined | null): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/** An instant picked as wall-clock time in the user's zone, as ISO 8601 UTC. */
export function wallTimeToIso(value: Dayjs, timeZone: string): string {
  return dayjs.tz(value.format('YYYY-MM-DDTHH:mm:ss'), timeZone).toISOString();
}

function party(form: PartyForm | undefined): WaybillInput['consignee'] | undefined {
  const name = text(form?.name);
  if (!name) return undefined;
  const out: WaybillInput['consignee'] = { name };
  const address = text(form?.address);
  const contact = text(form?.contact);
  if (address) out.address = address;
  if (contact) out.contact = contact;
  return out;
}

function vehicle(mode: TransportMode | undefined, form: VehicleInput | undefined): VehicleInput | undefined {
  if (!mode || !form) return undefined;
  const out: VehicleInput = {};
  for (const key of VEHICLE_FIELDS[mode]) {
    const value = text(form[key] ?? undefined);
    if (value) out[key] = key === 'truck_plate' ? value.toUpperCase().replace(/[\s·.-]/g, '') : value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The API's WaybillIn from the wizard's values (fields left empty are left out). */
export function toWaybillInput(form: BookingForm, timeZone: string, book: boolean): WaybillInput {
  const legs: LegInput[] = (form.legs ?? []).map((leg) => {
    const out = {
      mode: leg.mode,
      carrier_id: leg.carrier_id,
      from_unlocode: leg.from_unlocode,
      to_unlocode: leg.to_unlocode,
      planned_departure: leg.planned_departure ? wallTimeToIso(leg.planned_departure, timeZone) : undefined,
      planned_arrival: leg.planned_arrival ? wallTimeToIso(leg.planned_arrival, timeZone) : undefined,
    } as LegInput;
    const fromTerminal = text(leg.from_terminal);
    const toTerminal = text(leg.to_terminal);
    if (fromTerminal) out.from_terminal = fromTerminal;
    if (toTerminal) out.to_terminal = toTerminal;
    const v = vehicle(leg.mode, leg.vehicle);
    if (v) out.vehicle = v;
    return out;
  });
  const cargo_lines: CargoLineInput[] = (form.cargo_lines ?? []).map((line) => {
    const out = {
      description: text(line.description) ?? '',
      packages: line.packages ?? undefined,
      gross_weight_kg: line.gross_weight_kg ?? undefined,
    } as CargoLineInput;
    const packageType = text(line.package_type);
    if (packageType) out.package_type = packageType.toUpperCase();
    const hs = text(line.hs_code);
    if (hs) out.hs_code = hs;
    if (line.volume_m3 != null) out.volume_m3 = line.volume_m3;
    const marks = text(line.marks);
    if (marks) out.marks = marks;
    if (line.dangerous) {
      const un = text(line.un_number);
      if (un) out.un_number = un.replace(/^UN/i, '');
      if (line.dg_class) out.dg_class = line.dg_class;
      if (line.packing_group) out.packing_group = line.packing_group;
    }
    return out;
  });
  const equipment: EquipmentInput[] = (form.equipment ?? [])
    .filter((item) => text(item.container_number))
    .map((item) => {
      const out: EquipmentInput = { container_number: compactContainerNumber(item.container_number ?? '') };
      const sizeType = text(item.size_type);
      if (sizeType) out.size_type = sizeType.toUpperCase();
      const seals = (item.seals ?? []).map((seal) => seal.trim()).filter(Boolean);
      if (seals.length > 0) out.seals = seals;
      return out;
    });

  const input: WaybillInput = { consignee: party(form.consignee) ?? { name: '' }, cargo_lines, legs, book };
  if (equipment.length > 0) input.equipment = equipment;
  const notify = party(form.notify);
  if (notify) input.notify = notify;
  const reference = text(form.reference);
  if (reference) input.reference = reference;
  const remarks = text(form.remarks);
  if (remarks) input.remarks = remarks;
  return input;
}

/** A new leg continuing from the one before it: it starts where that one ends, when it ends. */
export function nextLeg(previous: LegForm | undefined): LegForm {
  const leg: LegForm = { vehicle: {} };
  if (previous?.to_unlocode) leg.from_unlocode = previous.to_unlocode;
  if (previous?.planned_arrival) {
    leg.planned_departure = previous.planned_arrival.add(6, 'hour');
    leg.planned_arrival = previous.planned_arrival.add(2, 'day');
  }
  return leg;
}

/** Each step's fields, to validate a step before moving on and to find the step of a server error. */
export const STEP_FIELDS: readonly (readonly string[])[] = [
  ['reference', 'consignee', 'notify'],
  ['legs'],
  ['cargo_lines'],
  ['equipment'],
  ['remarks'],
];

/** The step a form path belongs to (its first segment), 0 when unknown. */
export function stepOfPath(path: readonly (string | number)[]): number {
  const head = String(path[0] ?? '');
  const index = STEP_FIELDS.findIndex((fields) => fields.includes(head));
  return index < 0 ? 0 : index;
}
