import { describe, expect, it } from 'vitest';
import { apiFieldToPath, placeFieldErrors, type NamePath } from './fieldErrors';

const FIELDS = new Set(['legs.#.from_unlocode', 'legs.#.planned_arrival', 'legs.#.vehicle.truck_plate', 'cargo_lines.#.dg_class', 'consignee.name']);
const hasField = (path: NamePath) => FIELDS.has(path.map((p) => (typeof p === 'number' ? '#' : p)).join('.'));

describe('API field errors on the form', () => {
  it('reads every spelling of a field path', () => {
    expect(apiFieldToPath('body.legs[1].from_unlocode')).toEqual(['legs', 1, 'from_unlocode']);
    expect(apiFieldToPath('legs[1].from_unlocode')).toEqual(['legs', 1, 'from_unlocode']);
    expect(apiFieldToPath('body.legs.1.from_unlocode')).toEqual(['legs', 1, 'from_unlocode']);
    expect(apiFieldToPath('body.consignee.name')).toEqual(['consignee', 'name']);
  });

  it('places field errors, object errors by the field they name, and the rest as general', () => {
    const placed = placeFieldErrors(
      [
        { field: 'legs[1].from_unlocode', message: 'unknown UN/LOCODE CNXXX' },
        { field: 'body.legs[0]', message: 'Value error, planned_arrival must be after planned_departure' },
        { field: 'body.legs[2]', message: 'Value error, truck_plate is only for TRUCK legs, this leg is RAIL' },
        { field: 'body.cargo_lines[0]', message: 'Value error, dg_class is required when un_number is given' },
        { field: 'body', message: 'legs must connect' },
      ],
      hasField,
      ['vehicle'],
    );
    expect(placed.fields).toEqual([
      { name: ['legs', 1, 'from_unlocode'], errors: ['unknown UN/LOCODE CNXXX'] },
      { name: ['legs', 0, 'planned_arrival'], errors: ['planned_arrival must be after planned_departure'] },
      { name: ['legs', 2, 'vehicle', 'truck_plate'], errors: ['truck_plate is only for TRUCK legs, this leg is RAIL'] },
      { name: ['cargo_lines', 0, 'dg_class'], errors: ['dg_class is required when un_number is given'] },
    ]);
    expect(placed.general).toEqual(['body: legs must connect']);
  });
});
