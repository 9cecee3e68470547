import { describe, expect, it } from 'vitest';
import { clusterVehicles } from '../map/cluster';
import { applyFix, EMPTY_LIVE, parseLiveFix, stateFromTrack } from './live';
import { createSseParser } from './sse';

const fix = (over: Record<string, unknown> = {}) => ({
  waybill: 'YD1',
  leg_seq: 1,
  mode: 'TRUCK',
  device: '13800000002',
  vehicle: '浙B12345',
  fix_time: '2026-11-24T04:00:00.000Z',
  lat: 29.8,
  lon: 121.5,
  speed_kmh: 60,
  course_deg: 90,
  ...over,
});

describe('SSE parser', () => {
  it('reads events split across chunks, with comments, CRLF and multi-line data', () => {
    const parse = createSseParser();
    expect(parse(': keep-alive\n\nevent: posi')).toEqual([]);
    expect(parse('tion\r\ndata: {"a":\r\ndata: 1}\r\n\r\n')).toEqual([{ event: 'position', data: '{"a":\n1}', id: undefined }]);
    expect(parse('data: x\n\ndata:y\n\n')).toEqual([
      { event: 'message', data: 'x', id: undefined },
      { event: 'message', data: 'y', id: undefined },
    ]);
  });
});

describe('live positions', () => {
  it('reads REST and GraphQL spellings and refuses what has no position', () => {
    expect(parseLiveFix(fix())).toMatchObject({ legSeq: 1, vehicle: '浙B12345', speedKmh: 60 });
    expect(parseLiveFix({ waybillNumber: 'YD1', legSeq: 2, mode: 'RAIL', device: 'd', vehicle: null, fixTime: 't', lat: 1, lon: 2, speedKmh: null, courseDeg: null })).toMatchObject({ waybill: 'YD1', legSeq: 2 });
    expect(parseLiveFix({ lat: 1 })).toBeNull();
    expect(parseLiveFix(fix({ lat: 95 }))).toBeNull();
  });

  it('moves a vehicle on a newer fix, never back to an older one, and extends its leg line', () => {
    let state = applyFix(EMPTY_LIVE, parseLiveFix(fix())!);
    state = applyFix(state, parseLiveFix(fix({ fix_time: '2026-11-24T04:01:00.000Z', lat: 29.9 }))!);
    const older = applyFix(state, parseLiveFix(fix({ fix_time: '2026-11-24T03:59:00.000Z', lat: 10 }))!);
    expect(older).toBe(state);
    expect(state.vehicles['浙B12345']?.lat).toBe(29.9);
    expect(state.lines).toEqual([{ legSeq: 1, mode: 'TRUCK', points: [[29.8, 121.5], [29.9, 121.5]] }]);
  });

  it('starts from a track document: leg tracks become lines, the planned route is left out', () => {
    const state = stateFromTrack({
      features: [
        { type: 'Feature', geometry: { type: 'LineString', coordinates: [[121, 29], [121.5, 29.5]] }, properties: { kind: 'track', leg_seq: 1, mode: 'TRUCK' } },
        { type: 'Feature', geometry: { type: 'Point', coordinates: [120, 36] }, properties: { kind: 'track', leg_seq: 2, mode: 'VESSEL' } },
        { type: 'Feature', geometry: null, properties: { kind: 'track', leg_seq: 3, mode: 'RAIL' } },
        { type: 'Feature', geometry: { type: 'LineString', coordinates: [[121, 29], [108, 34]] }, properties: { kind: 'planned_route' } },
      ],
    });
    expect(state.lines).toEqual([
      { legSeq: 1, mode: 'TRUCK', points: [[29, 121], [29.5, 121.5]] },
      { legSeq: 2, mode: 'VESSEL', points: [[36, 120]] },
    ]);
    expect(stateFromTrack(null)).toBe(EMPTY_LIVE);
  });

  it('clusters vehicles close together at low zoom and shows them apart when zoomed in', () => {
    const vehicles = Array.from({ length: 30 }, (_, i) => parseLiveFix(fix({ vehicle: `V${i}`, lat: 29.8 + i * 0.001, lon: 121.5 }))!);
    const far = clusterVehicles(vehicles, 4);
    expect(far).toHaveLength(1);
    expect(far[0]).toMatchObject({ kind: 'cluster', count: 30 });
    const near = clusterVehicles(vehicles, 16);
    expect(near.every((point) => point.kind === 'vehicle')).toBe(true);
  });
});
