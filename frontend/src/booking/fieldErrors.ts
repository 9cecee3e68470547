import type { FieldError } from '../api/problem';

export type NamePath = (string | number)[];

/**
 * The form path of an API field name: `body.legs[1].from_unlocode`, `legs[1].from_unlocode` and
 * `body.legs.1.from_unlocode` all become ['legs', 1, 'from_unlocode'].
 */
export function apiFieldToPath(field: string): NamePath {
  const parts: NamePath = [];
  for (const token of field.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (token === '') continue;
    parts.push(/^\d+$/.test(token) ? Number(token) : token);
  }
  if (parts[0] === 'body') parts.shift();
  return parts;
}

/** The message without the framework's "Value error, " prefix. */
export function cleanMessage(message: string): string {
  return message.replace(/^(Value error|Assertion failed), /i, '');
}

export interface PlacedErrors {
  /** Errors attached to a field of the form. */
  fields: { name: NamePath; errors: string[] }[];
  /** Errors that name no field the form has (shown above the form). */
  general: string[];
}

/**
 * Places the API's field errors on the form. An error about a whole object (a leg, a cargo line) goes
 * to the field its message names when there is one (e.g. "planned_arrival must be after …"), else it is
 * general. `hasField` says which paths the form has.
 */
export function placeFieldErrors(
  errors: readonly FieldError[],
  hasField: (path: NamePath) => boolean,
  /** Objects inside an object whose fields a message may name (a leg's `vehicle`). */
  nested: readonly string[] = [],
): PlacedErrors {
  const byField = new Map<string, { name: NamePath; errors: string[] }>();
  const general: string[] = [];
  for (const error of errors) {
    const message = cleanMessage(error.message);
    let path = apiFieldToPath(error.field);
    if (!hasField(path)) {
      const base = path;
      const candidates = (message.match(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)*\b/g) ?? []).flatMap((word) => [
        [...base, word],
        ...nested.map((inner) => [...base, inner, word]),
      ]);
      const named = candidates.find((candidate) => hasField(candidate));
      if (named) path = named;
    }
    if (path.length === 0 || !hasField(path)) {
      general.push(error.field ? `${error.field}: ${message}` : message);
      continue;
    }
    const key = JSON.stringify(path);
    const entry = byField.get(key) ?? { name: path, errors: [] };
    entry.errors.push(message);
    byField.set(key, entry);
  }
  return { fields: [...byField.values()], general };
}
