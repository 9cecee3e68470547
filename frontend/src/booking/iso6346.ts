/**
 * ISO 6346 container numbers: owner code (3 letters), category (U, J or Z), serial (6 digits) and a
 * check digit. The same rules as the server's, so a typo is caught while typing.
 */

// Letter values start at 10 and skip multiples of 11 (11, 22, 33), so no letter is worth 0 mod 11.
const LETTER_VALUES: Record<string, number> = (() => {
  const values: Record<string, number> = {};
  let value = 10;
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (value % 11 === 0) value += 1;
    values[letter] = value;
    value += 1;
  }
  return values;
})();

/** Upper case without spaces, dashes and dots, as numbers are written on paper. */
export function compactContainerNumber(value: string): string {
  return value.replace(/[\s\-./]/g, '').toUpperCase();
}

/** The check digit of the first 10 characters (owner code, category, serial). */
export function iso6346CheckDigit(ownerSerial: string): number {
  const text = compactContainerNumber(ownerSerial);
  if (!/^[A-Z]{4}\d{6}$/.test(text)) throw new Error('need 4 letters and 6 digits');
  let total = 0;
  for (let position = 0; position < 10; position += 1) {
    const char = text[position]!;
    const value = /[A-Z]/.test(char) ? LETTER_VALUES[char]! : Number(char);
    total += value * 2 ** position;
  }
  // A remainder of 10 is written as 0.
  return (total % 11) % 10;
}

export type ContainerNumberProblem =
  | { code: 'length'; length: number }
  | { code: 'owner' }
  | { code: 'category'; category: string }
  | { code: 'serial' }
  | { code: 'checkDigit'; got: string; expected: number };

/** What is wrong with a container number, or null when it is valid. */
export function containerNumberProblem(value: string): ContainerNumberProblem | null {
  const text = compactContainerNumber(value);
  if (text.length !== 11) return { code: 'length', length: text.length };
  if (!/^[A-Z]{3}$/.test(text.slice(0, 3))) return { code: 'owner' };
  const category = text[3]!;
  if (!'UJZ'.includes(category)) return { code: 'category', category };
  if (!/^\d{6}$/.test(text.slice(4, 10)) || !/^\d$/.test(text[10]!)) return { code: 'serial' };
  const expected = iso6346CheckDigit(text.slice(0, 10));
  if (Number(text[10]) !== expected) return { code: 'checkDigit', got: text[10]!, expected };
  return null;
}
