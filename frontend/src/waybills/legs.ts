import type { EventClassifier } from '../api/models';

export type StepStatus = 'wait' | 'process' | 'finish' | 'error';

/** The Steps status of a leg status; unknown values wait. */
export function legStepStatus(status: string): StepStatus {
  switch (status) {
    case 'completed':
    case 'arrived':
    case 'delivered':
      return 'finish';
    case 'in_progress':
    case 'in_transit':
    case 'departed':
      return 'process';
    case 'cancelled':
      return 'error';
    default:
      return 'wait';
  }
}

export interface BestTime {
  value: string;
  classifier: EventClassifier;
}

/** The most certain time known: actual, else estimated, else planned. */
export function bestTime(
  actual: string | null | undefined,
  estimated: string | null | undefined,
  planned: string | null | undefined,
): BestTime | null {
  if (actual) return { value: actual, classifier: 'ACT' };
  if (estimated) return { value: estimated, classifier: 'EST' };
  if (planned) return { value: planned, classifier: 'PLN' };
  return null;
}
