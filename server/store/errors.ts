import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException } from '@mikro-orm/core';

/** True when `err` is a unique violation, of the named constraint/index when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (err instanceof UniqueConstraintViolationException) {
    return !constraint || (err as { constraint?: string }).constraint === constraint || err.message.includes(constraint);
  }
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' && (!constraint || String((err as Error).message).includes(constraint));
}

/** True when `err` is a foreign key violation (through the ORM or not), of the named constraint when given. */
export function isForeignKeyViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null;
  if (!(err instanceof ForeignKeyConstraintViolationException) && e?.code !== '23503') return false;
  return !constraint || e?.constraint === constraint || String(e?.message).includes(constraint);
}

/** The SQLSTATE of a driver error, when it has one (MikroORM wraps; the code survives). */
export function sqlState(err: unknown): string {
  const e = err as { code?: unknown; sqlState?: unknown; cause?: { code?: unknown } } | null;
  for (const c of [e?.code, e?.sqlState, e?.cause?.code]) if (typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c)) return c;
  return '';
}
