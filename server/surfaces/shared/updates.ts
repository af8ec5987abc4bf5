import type { Updatable } from '../../core/types.js';

/**
 * Update styles of the surfaces, translated into a core patch over the core's updatable fields
 * (SCHEDULE_UPDATABLE, MONITOR_UPDATABLE, PROJECT_UPDATABLE): which fields a caller may change,
 * and the value a field it clears takes, are the core's; a surface only says which style it uses.
 * Field names here are the core's (camelCase): a surface renames its own first.
 */

/** Whether `name` is an updatable field. */
export function isUpdatable<P extends object>(updatable: Updatable<P>, name: string): name is Extract<keyof P, string> {
  return Object.hasOwn(updatable, name);
}

/** The fields in `set` take their values, those in `clear` their cleared values; the rest stay as they are. */
export function patchOf<P extends object>(updatable: Updatable<P>, set: Partial<P>, clear: Iterable<keyof P> = []): P {
  const patch: Partial<P> = { ...set };
  for (const field of clear) patch[field] = updatable[field];
  return patch as P;
}

/** A merge (PATCH): given fields change, a null clears the field, absent fields stay. */
export function mergeOf<P extends object>(updatable: Updatable<P>, body: { [K in keyof P]?: P[K] | null }): P {
  const fields = Object.keys(body) as Array<keyof P>;
  const set = Object.fromEntries(fields.filter((f) => body[f] !== null).map((f) => [f, body[f]])) as Partial<P>;
  return patchOf(updatable, set, fields.filter((f) => body[f] === null));
}

/** A replacement (PUT): every updatable field the body leaves out (or sets to null) is cleared. */
export function replacementOf<P extends object>(updatable: Updatable<P>, body: { [K in keyof P]?: P[K] | null }): P {
  const all = Object.keys(updatable) as Array<keyof P>;
  const missing = all.filter((f) => body[f] === undefined || body[f] === null);
  return patchOf(updatable, mergeOf(updatable, body), missing);
}
