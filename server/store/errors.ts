import { UniqueConstraintViolationException } from '@mikro-orm/core';

/** True when `err` is a unique violation, of the named constraint/index when given. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (err instanceof UniqueConstraintViolationException) {
    return !constraint || (err as { constraint?: string }).constraint === constraint || err.message.includes(constraint);
  }
  const code = (err as { code?: string } | null)?.code;
  return code === '23505' && (!constraint || String((err as Error).message).includes(constraint));
}
