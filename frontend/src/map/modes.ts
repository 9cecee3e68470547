/** Each transport mode's colour on maps and legends (planned dashed, actual solid). */
export const MODE_COLOURS: Record<string, string> = {
  VESSEL: '#1464c8',
  RAIL: '#8e44ad',
  TRUCK: '#e8590c',
  BARGE: '#0c8599',
};

export const modeColour = (mode: string): string => MODE_COLOURS[mode] ?? '#495057';
