import type { Feature, Geometry, LineString, MultiLineString, Point, Position } from 'geojson';

/** A live position of a vehicle carrying a leg of a waybill (issue 3's push message). */
export interface LiveFix {
  waybill: string;
  legSeq: number;
  mode: string;
  device: string;
  vehicle: string | null;
  fixTime: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  courseDeg: number | null;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * A push message in either spelling (REST/SSE snake_case or GraphQL camelCase) as a LiveFix; null
 * for anything without a position and a time.
 */
export function parseLiveFix(value: unknown): LiveFix | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const lat = num(r.lat);
  const lon = num(r.lon);
  const fixTime = str(r.fix_time) ?? str(r.fixTime);
  const device = str(r.device) ?? str(r.vehicle);
  if (lat === null || lon === null || !fixTime || !device) return null;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
  return {
    waybill: str(r.waybill) ?? str(r.waybillNumber) ?? '',
    legSeq: num(r.leg_seq) ?? num(r.legSeq) ?? 0,
    mode: str(r.mode) ?? 'TRUCK',
    device,
    vehicle: str(r.vehicle),
    fixTime,
    lat,
    lon,
    speedKmh: num(r.speed_kmh) ?? num(r.speedKmh),
    courseDeg: num(r.course_deg) ?? num(r.courseDeg),
  };
}

/** The key a vehicle's marker is kept by: its vehicle reference, else its device. */
export const vehicleKey = (fix: Pick<LiveFix, 'vehicle' | 'device'>): string => fix.vehicle ?? fix.device;

/** A leg's actual path as [lat, lon] points, in time order. */
export interface TrackLine {
  legSeq: number;
  mode: string;
  points: [number, number][];
}

export interface LiveState {
  /** The newest fix of each vehicle. */
  vehicles: Record<string, LiveFix>;
  /** The actual track per leg, extended as fixes arrive. */
  lines: TrackLine[];
}

export const EMPTY_LIVE: LiveState = { vehicles: {}, lines: [] };

const toLatLon = (position: Position): [number, number] => [position[1] ?? 0, position[0] ?? 0];

function linesOf(geometry: Geometry | null): Position[][] {
  if (!geometry) return [];
  if (geometry.type === 'LineString') return [(geometry as LineString).coordinates];
  if (geometry.type === 'MultiLineString') return (geometry as MultiLineString).coordinates;
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap((g) => linesOf(g));
  return [];
}

/**
 * The state a track document (GET …/track) starts: each leg's `track` feature becomes a line (a Point
 * when the leg has one fix), the `planned_route` feature is left to the legs, and Point features that
 * carry a device and a fix time become vehicles' latest positions. Unknown features are skipped.
 */
export function stateFromTrack(track: { features?: readonly unknown[] } | null | undefined): LiveState {
  if (!track || !Array.isArray(track.features)) return EMPTY_LIVE;
  const lines: TrackLine[] = [];
  const vehicles: Record<string, LiveFix> = {};
  for (const feature of track.features as Feature[]) {
    const props = (feature.properties ?? {}) as Record<string, unknown>;
    if (props.kind === 'planned_route') continue;
    const legSeq = num(props.leg_seq) ?? num(props.legSeq) ?? 0;
    const mode = str(props.mode) ?? 'TRUCK';
    for (const coordinates of linesOf(feature.geometry)) {
      if (coordinates.length > 0) lines.push({ legSeq, mode, points: coordinates.map(toLatLon) });
    }
    if (feature.geometry?.type === 'Point') {
      const [lon, lat] = (feature.geometry as Point).coordinates;
      const fix = parseLiveFix({ ...props, lat, lon, fix_time: props.fix_time ?? props.fixTime ?? props.time });
      if (fix) {
        const key = vehicleKey(fix);
        const known = vehicles[key];
        if (!known || known.fixTime <= fix.fixTime) vehicles[key] = fix;
      } else if (props.kind === 'track' && typeof lat === 'number' && typeof lon === 'number') {
        lines.push({ legSeq, mode, points: [[lat, lon]] });
      }
    }
  }
  return { vehicles, lines };
}

/**
 * Applies a live fix: the vehicle's marker moves (never back to an older fix) and the fix extends its
 * leg's line. Returns the same state when nothing changed, so React skips the render.
 */
export function applyFix(state: LiveState, fix: LiveFix): LiveState {
  const key = vehicleKey(fix);
  const known = state.vehicles[key];
  if (known && Date.parse(known.fixTime) >= Date.parse(fix.fixTime)) return state;
  const point: [number, number] = [fix.lat, fix.lon];
  let last = -1;
  state.lines.forEach((line, index) => {
    if (line.legSeq === fix.legSeq) last = index;
  });
  const lines =
    last < 0
      ? [...state.lines, { legSeq: fix.legSeq, mode: fix.mode, points: [point] }]
      : state.lines.map((line, index) => (index === last ? { ...line, points: [...line.points, point] } : line));
  return { vehicles: { ...state.vehicles, [key]: fix }, lines };
}
