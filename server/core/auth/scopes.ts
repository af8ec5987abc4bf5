import { echo, InvalidArgumentError, PermissionDeniedError } from '../errors.js';
import { SCOPES, type Scope } from '../types.js';

/** `*` grants everything; `write:x` includes `read:x`. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  if (granted.includes('*') || granted.includes(needed)) return true;
  if (needed.startsWith('read:')) return granted.includes(`write:${needed.slice(5)}` as Scope);
  return false;
}

export function requireScope(granted: readonly Scope[], needed: Scope): void {
  if (!hasScope(granted, needed)) throw new PermissionDeniedError(needed);
}

export function parseScopes(input: readonly string[] | null | undefined, field = 'scopes'): Scope[] {
  if (!input || input.length === 0) return ['*'];
  const out = new Set<Scope>();
  for (const raw of input) {
    const s = raw.trim();
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`${field}: unknown scope '${echo(s)}' (expected one of ${SCOPES.join(', ')})`, field);
    }
    out.add(s as Scope);
  }
  return [...out];
}
