import type { TFunction } from 'i18next';
import { containerNumberProblem } from './iso6346';

/** The translated message for a container number, or null when it is valid. */
export function containerNumberMessage(value: string, t: TFunction): string | null {
  const problem = containerNumberProblem(value);
  if (!problem) return null;
  switch (problem.code) {
    case 'length':
      return t('booking.container.length', { length: problem.length });
    case 'owner':
      return t('booking.container.owner');
    case 'category':
      return t('booking.container.category', { category: problem.category });
    case 'serial':
      return t('booking.container.serial');
    case 'checkDigit':
      return t('booking.container.checkDigit', { got: problem.got, expected: problem.expected });
  }
}
