import { DriverException } from '@mikro-orm/core';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (or `destination`). One logger per process; modules take a child. */
export function createLogger(level: string, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'tock', ...base }, timestamp: pino.stdTimeFunctions.isoTime, serializers: { err: serializeError } };
  return destination ? pino(options, destination) : pino(options);
}

/** What a PostgreSQL error carries besides its message (pg's DatabaseError fields), all names or codes, no values. */
const DB_ERROR_NAMES = ['severity', 'routine', 'schema', 'table', 'column', 'constraint', 'dataType'] as const;

type ErrorFields = Error & { code?: unknown; cause?: unknown } & Partial<Record<(typeof DB_ERROR_NAMES)[number], unknown>>;

/**
 * A database error: MikroORM's wrapper, or pg's own (a five-character SQLSTATE plus `severity`).
 * Their message carries the statement with its parameters inlined (knex prefixes it), and
 * `detail` / `where` quote row values: the headers and bodies of the caller's targets.
 */
function isDatabaseError(err: unknown): err is ErrorFields {
  if (err instanceof DriverException) return true;
  const e = err as ErrorFields | null;
  return e instanceof Error && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * The driver's own message, without what the ORM and knex wrap around it: MikroORM appends
 * `\n - detail: …` and `\n - hint: …` (values of the row), and knex prefixes the statement with its
 * parameters inlined (`<sql> - <message>`). The message is the first ` - ` part that holds no
 * single quote: every inlined string value is single-quoted, so a part that starts inside the
 * statement holds one. PostgreSQL quotes values in double quotes there too (`invalid input
 * syntax for type integer: "abc"`) and does not escape quotes inside them, so everything from
 * the first to the last double quote that is not one of the error's own identifiers is replaced.
 * When no part qualifies, only the SQLSTATE is given.
 */
function driverMessage(err: ErrorFields & { detail?: unknown; hint?: unknown }): string {
  let message = err.message;
  for (const [key, value] of [
    ['hint', err.hint],
    ['detail', err.detail],
  ] as const) {
    const suffix = `\n - ${key}: ${String(value)}`;
    if (typeof value === 'string' && message.endsWith(suffix)) message = message.slice(0, -suffix.length);
  }
  let part: string | null = message.includes("'") ? null : message;
  for (let at = message.indexOf(' - '); at >= 0 && part === null; at = message.indexOf(' - ', at + 1)) {
    if (!message.includes("'", at)) part = message.slice(at + 3);
  }
  if (part === null) return `SQLSTATE ${String(err.code)}`;
  const names = DB_ERROR_NAMES.map((k) => err[k]).filter((v): v is string => typeof v === 'string' && !v.includes('\u0000'));
  let kept = part;
  names.forEach((n, i) => (kept = kept.split(`"${n}"`).join(`\u0000${i}\u0000`)));
  kept = kept.replace(/"[\s\S]*"|"[\s\S]*$/, '"…"');
  return kept.replace(/\u0000(\d+)\u0000/g, (_, i: string) => `"${names[Number(i)]}"`);
}

/** Stack frames only: the first lines of a stack repeat the message. */
function frames(err: Error): string | undefined {
  return err.stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

function hasDatabaseCause(err: unknown, depth = 0): boolean {
  if (depth > 5 || !(err instanceof Error)) return false;
  return isDatabaseError(err) || hasDatabaseCause((err as ErrorFields).cause, depth + 1);
}

/**
 * pino's `err` serializer, except that a database error (or an error caused by one) is logged by
 * its type, SQLSTATE, driver message and identifiers only: never the statement, its parameters
 * or the row values PostgreSQL quotes.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!hasDatabaseCause(err, 0) || depth > 5) return pino.stdSerializers.err(err as Error);
  const e = err as ErrorFields;
  const out: Record<string, unknown> = { type: e.constructor?.name ?? e.name };
  if (isDatabaseError(err)) {
    out.message = driverMessage(e);
    if (typeof e.code === 'string') out.code = e.code;
    for (const k of DB_ERROR_NAMES) if (typeof e[k] === 'string') out[k] = e[k];
  } else {
    out.message = e.message;
    if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  }
  out.stack = frames(e);
  if (e.cause !== undefined) out.cause = serializeError(e.cause, depth + 1);
  return out;
}
