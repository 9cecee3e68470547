import { describe, expect, it } from 'vitest';
import { containerNumberProblem, iso6346CheckDigit } from './iso6346';

describe('ISO 6346 container numbers', () => {
  it('computes the check digit as the server does', () => {
    // the same numbers the backend's iso6346_check_digit gives
    expect(iso6346CheckDigit('CSQU305438')).toBe(3);
    expect(iso6346CheckDigit('MSCU663987')).toBe(0);
    expect(iso6346CheckDigit('MSKU907032')).toBe(3);
    expect(iso6346CheckDigit('TGHU123456')).toBe(7);
    expect(iso6346CheckDigit('DHSU100009')).toBe(1);
  });

  it('accepts valid numbers written with spaces or dashes', () => {
    expect(containerNumberProblem('CSQU3054383')).toBeNull();
    expect(containerNumberProblem('csqu 305438-3')).toBeNull();
  });

  it('says what is wrong', () => {
    expect(containerNumberProblem('CSQU3054384')).toEqual({ code: 'checkDigit', got: '4', expected: 3 });
    expect(containerNumberProblem('CSQU30543')).toEqual({ code: 'length', length: 9 });
    expect(containerNumberProblem('CSQX3054383')).toEqual({ code: 'category', category: 'X' });
    expect(containerNumberProblem('C5QU3054383')).toEqual({ code: 'owner' });
    expect(containerNumberProblem('CSQU30543A3')).toEqual({ code: 'serial' });
  });
});
