/** A field whose stored value differs from what the sync input makes it. */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** Changed fields by domain field name, e.g. `{ cron: { from: '0 6 * * *', to: '30 6 * * *' } }`. */
export type FieldChanges = Record<string, FieldChange>;

/**
 * Value equality of stored and desired fields: dates by instant, objects by their entries in
 * any order (jsonb does not keep the order headers were written in), arrays in order.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ak = Object.keys(a);
    const bk = Object.keys(b);
    return ak.length === bk.length && ak.every((k) => Object.hasOwn(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/** The fields among `fields` where `stored` and `desired` differ. */
export function changesOf<T extends object>(stored: T, desired: T, fields: readonly (keyof T & string)[]): FieldChanges {
  const out: FieldChanges = {};
  for (const f of fields) {
    if (!sameValue(stored[f], desired[f])) out[f] = { from: stored[f], to: desired[f] };
  }
  return out;
}
