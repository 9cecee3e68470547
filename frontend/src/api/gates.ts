import type { ApiClient } from './client';
import type {
  Appointment,
  AppointmentInput,
  ArrivalsReport,
  DenialsReport,
  DwellReport,
  GatePass,
  GateTransaction,
  Lane,
  LaneInput,
  RescheduleInput,
  ScanInput,
  Slot,
  SlotsInput,
} from './models';

const seg = encodeURIComponent;
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** A gate's appointments of a day (YYYY-MM-DD in the zone given). */
export function fetchGateAppointments(api: ApiClient, gate: string, day: string, tz: string, signal?: AbortSignal): Promise<Appointment[]> {
  return api.request<Appointment[]>(`/gates/${seg(gate)}/appointments`, { query: { day, tz }, ...opt(signal) });
}

/** Appointments the caller may see (a gate operator: its terminals'). */
export function fetchAppointments(api: ApiClient, query: { gate?: string; day?: string; tz?: string }, signal?: AbortSignal): Promise<Appointment[]> {
  return api.request<Appointment[]>('/gates/appointments', { query: { ...query, limit: 200 }, ...opt(signal) });
}

/** A gate's slots of a day with capacity and bookings. */
export function fetchSlots(api: ApiClient, gate: string, day: string, tz: string, signal?: AbortSignal): Promise<Slot[]> {
  return api.request<Slot[]>(`/gates/${seg(gate)}/slots`, { query: { day, tz }, ...opt(signal) });
}

/** A gate's slots that start within [from, to) (ISO instants). */
export function fetchSlotsBetween(api: ApiClient, gate: string, from: string, to: string, signal?: AbortSignal): Promise<Slot[]> {
  return api.request<Slot[]>(`/gates/${seg(gate)}/slots`, { query: { from, to }, ...opt(signal) });
}

/** Publishes slots for a window cut into slot_minutes pieces; slots already starting at the same time are kept. */
export function publishSlots(api: ApiClient, gate: string, input: SlotsInput): Promise<Slot[]> {
  return api.request<Slot[]>(`/gates/${seg(gate)}/slots`, { method: 'POST', json: input });
}

/** Sets one slot's capacity; the API refuses to go below what is booked (409 capacity_below_booked). */
export function changeSlotCapacity(api: ApiClient, slotId: string, capacity: number): Promise<Slot> {
  return api.request<Slot>(`/gates/slots/${seg(slotId)}`, { method: 'PATCH', json: { capacity } });
}

/** Creates or changes lanes of a gate; lanes not listed are left as they are. */
export function publishLanes(api: ApiClient, gate: string, lanes: LaneInput[]): Promise<Lane[]> {
  return api.request<Lane[]>(`/gates/${seg(gate)}/lanes`, { method: 'PUT', json: { lanes } });
}

/** A gate's lanes and their directions. */
export function fetchLanes(api: ApiClient, gate: string, signal?: AbortSignal): Promise<Lane[]> {
  return api.request<Lane[]>(`/gates/${seg(gate)}/lanes`, opt(signal));
}

/** Revokes a pass; it fails at the lane from now on. */
export function revokePass(api: ApiClient, passId: string, reason: string): Promise<GatePass> {
  return api.request<GatePass>(`/gates/passes/${seg(passId)}/revoke`, { method: 'POST', json: { reason } });
}

/** Issues a fresh pass for an appointment (the old one is revoked). */
export function reissuePass(api: ApiClient, appointmentId: string, reason: string): Promise<Appointment> {
  return api.request<Appointment>(`/gates/appointments/${seg(appointmentId)}/pass`, { method: 'POST', json: { reason } });
}

/** The pass as a printable PDF. */
export function fetchPassPdf(api: ApiClient, passId: string): Promise<Blob> {
  return api.requestBlob(`/gates/passes/${seg(passId)}/pass.pdf`, {}, 'application/pdf');
}

/** The pass's QR code as SVG. */
export function fetchPassQr(api: ApiClient, passId: string): Promise<Blob> {
  return api.requestBlob(`/gates/passes/${seg(passId)}/qr.svg`, {}, 'image/svg+xml');
}

/** A lane scan: the gate's answer (admit, deny, manual inspection) with its reasons. */
export function scanPass(api: ApiClient, gate: string, input: ScanInput): Promise<GateTransaction> {
  return api.request<GateTransaction>(`/gates/${seg(gate)}/scans`, { method: 'POST', json: input });
}

export const gateKeys = {
  appointments: (gate: string, day: string) => ['gates', gate, 'appointments', day] as const,
  mine: (day: string) => ['gates', 'mine', day] as const,
  slots: (gate: string, day: string) => ['gates', gate, 'slots', day] as const,
  slotsBetween: (gate: string, from: string, to: string) => ['gates', gate, 'slots', 'between', from, to] as const,
  lanes: (gate: string) => ['gates', gate, 'lanes'] as const,
};

export interface ReportPeriod {
  day: string;
  tz: string;
  from: string;
  to: string;
}

/** Arrivals against slots of a day: booked, arrived early / on time / late, no-shows. */
export function fetchArrivals(api: ApiClient, gate: string, period: ReportPeriod, signal?: AbortSignal): Promise<ArrivalsReport> {
  return api.request<ArrivalsReport>(`/gates/${seg(gate)}/reports/arrivals`, { query: { day: period.day, tz: period.tz }, ...opt(signal) });
}

/** Dwell time between gate-in and gate-out over a period. */
export function fetchDwell(api: ApiClient, gate: string, period: ReportPeriod, signal?: AbortSignal): Promise<DwellReport> {
  return api.request<DwellReport>(`/gates/${seg(gate)}/reports/dwell`, { query: { from: period.from, to: period.to }, ...opt(signal) });
}

/** Scans and denials by reason over a period. */
export function fetchDenials(api: ApiClient, gate: string, period: ReportPeriod, signal?: AbortSignal): Promise<DenialsReport> {
  return api.request<DenialsReport>(`/gates/${seg(gate)}/reports/denials`, { query: { from: period.from, to: period.to }, ...opt(signal) });
}

/** A report as CSV. */
export function fetchReportCsv(api: ApiClient, gate: string, report: 'arrivals' | 'dwell' | 'denials', period: ReportPeriod): Promise<Blob> {
  return api.requestBlob(`/gates/${seg(gate)}/reports/${report}.csv`, { query: { ...period } }, 'text/csv');
}

/** A gate operator's decision on a denied or inspected scan, with the reason (audited). */
export function overrideScan(api: ApiClient, transactionId: string, decision: 'admit' | 'deny', reason: string): Promise<GateTransaction> {
  return api.request<GateTransaction>(`/gates/transactions/${seg(transactionId)}/override`, { method: 'POST', json: { decision, reason } });
}

/** Books a truck into a slot for a TRUCK leg's pickup or drop-off; the pass is issued at once. */
export function bookAppointment(api: ApiClient, input: AppointmentInput): Promise<Appointment> {
  return api.request<Appointment>('/gates/appointments', { method: 'POST', json: input });
}

/** Moves an appointment to another slot (or truck or driver): the old pass is revoked and a new one issued. */
export function rescheduleAppointment(api: ApiClient, appointmentId: string, input: RescheduleInput): Promise<Appointment> {
  return api.request<Appointment>(`/gates/appointments/${seg(appointmentId)}/reschedule`, { method: 'POST', json: input });
}

/** Cancels an appointment: the place returns to the slot and the pass is revoked. */
export function cancelAppointment(api: ApiClient, appointmentId: string, reason: string): Promise<Appointment> {
  return api.request<Appointment>(`/gates/appointments/${seg(appointmentId)}/cancel`, { method: 'POST', json: { reason } });
}
