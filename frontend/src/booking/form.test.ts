import { describe, expect, it } from 'vitest';
import { dayjs } from '../time/dayjs';
import { nextLeg, stepOfPath, toWaybillInput, wallTimeToIso } from './form';

describe('booking form → WaybillIn', () => {
  it('reads picked wall-clock times in the user zone', () => {
    expect(wallTimeToIso(dayjs('2026-12-01T08:00:00'), 'Asia/Shanghai')).toBe('2026-12-01T00:00:00.000Z');
    expect(wallTimeToIso(dayjs('2026-12-01T08:00:00'), 'UTC')).toBe('2026-12-01T08:00:00.000Z');
  });

  it('keeps only the vehicle fields of the mode, drops empty fields and DG fields of safe cargo', () => {
    const input = toWaybillInput(
      {
        consignee: { name: '  Xi’an Trading ', address: '' },
        legs: [
          {
            mode: 'RAIL',
            carrier_id: 'c1',
            from_unlocode: 'CNTAO',
            to_unlocode: 'CNXIA',
            planned_departure: dayjs('2026-12-01T08:00:00'),
            planned_arrival: dayjs('2026-12-03T08:00:00'),
            vehicle: { train_number: 'X8157', truck_plate: '浙B12345' },
          },
          { mode: 'TRUCK', carrier_id: 'c2', from_unlocode: 'CNXIA', to_unlocode: 'CNXIA', vehicle: { truck_plate: '陕a 12345' } },
        ],
        cargo_lines: [
          { description: 'Parts', packages: 2, gross_weight_kg: 10, package_type: 'pk', dangerous: false, un_number: '1993' },
          { description: 'Oil', packages: 1, gross_weight_kg: 5, dangerous: true, un_number: 'UN1993', dg_class: '3', packing_group: 'III' },
        ],
        equipment: [{ container_number: 'csqu 305438 3', size_type: '', seals: [' S1 ', ''] }, { container_number: '' }],
      },
      'Asia/Shanghai',
      true,
    );
    expect(input).toEqual({
      consignee: { name: 'Xi’an Trading' },
      book: true,
      legs: [
        {
          mode: 'RAIL',
          carrier_id: 'c1',
          from_unlocode: 'CNTAO',
          to_unlocode: 'CNXIA',
          planned_departure: '2026-12-01T00:00:00.000Z',
          planned_arrival: '2026-12-03T00:00:00.000Z',
          vehicle: { train_number: 'X8157' },
        },
        { mode: 'TRUCK', carrier_id: 'c2', from_unlocode: 'CNXIA', to_unlocode: 'CNXIA', planned_departure: undefined, planned_arrival: undefined, vehicle: { truck_plate: '陕A12345' } },
      ],
      cargo_lines: [
        { description: 'Parts', packages: 2, gross_weight_kg: 10, package_type: 'PK' },
        { description: 'Oil', packages: 1, gross_weight_kg: 5, un_number: '1993', dg_class: '3', packing_group: 'III' },
      ],
      equipment: [{ container_number: 'CSQU3054383', seals: ['S1'] }],
    });
  });

  it('starts a new leg where the last one ends', () => {
    const leg = nextLeg({ to_unlocode: 'CNNGB', planned_arrival: dayjs('2026-12-01T08:00:00') });
    expect(leg.from_unlocode).toBe('CNNGB');
    expect(leg.planned_departure?.format('YYYY-MM-DD HH:mm')).toBe('2026-12-01 14:00');
  });

  it('finds the step of a field', () => {
    expect(stepOfPath(['consignee', 'name'])).toBe(0);
    expect(stepOfPath(['legs', 2, 'to_unlocode'])).toBe(1);
    expect(stepOfPath(['cargo_lines', 0, 'hs_code'])).toBe(2);
    expect(stepOfPath(['equipment', 0, 'container_number'])).toBe(3);
  });
});
