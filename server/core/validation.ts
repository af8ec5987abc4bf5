import { z } from 'zod';
import { InvalidArgumentError, InvalidUrlError } from './errors.js';
import { HTTP_METHODS } from './types.js';

// Only camelCase property names are translated; record keys (header names) stay as sent.
const snake = (s: string) => (/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(s) ? s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : s);

/** Field path as callers of every surface spell it: snake_case, dotted, with indexes. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${snake(String(p))}`))
    .join('');
}

/** Parses `input` with `schema`; the first problem becomes an InvalidArgumentError naming the field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? fieldPath(issue.path) : null;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => fieldPath([...issue.path, k]));
    throw new InvalidArgumentError(`Unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}`, keys[0]);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues[0]) message = issue.issues[0].message;
  throw new InvalidArgumentError(field ? `${field}: ${message}` : message, field);
}

/** PostgreSQL text cannot hold NUL (U+0000): such a value is refused up front instead of failing the write. */
export const hasNoNul = (s: string): boolean => !s.includes('\u0000');
const NO_NUL = { message: 'must not contain NUL characters (\\u0000)' };

export const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').refine(hasNoNul, NO_NUL);
export const userKey = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - (starting with a letter or digit)');
export const httpMethod = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(HTTP_METHODS, { message: `must be one of ${HTTP_METHODS.join(', ')}` }));
/**
 * Headers the HTTP client sets from the body and the connection. A value given here would make
 * every call fail (content-length, transfer-encoding, expect, upgrade, keep-alive) or change how
 * the shared connections are used (connection), so they are refused up front.
 */
const CLIENT_MANAGED_HEADERS = new Set(['connection', 'content-length', 'expect', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export const headers = z
  .record(
    z
      .string()
      .min(1)
      .max(256)
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'header names must be HTTP tokens')
      .refine((name) => !CLIENT_MANAGED_HEADERS.has(name.toLowerCase()), { message: 'is set by the HTTP client; remove this header' }),
    z.string().max(8192, 'header values must be at most 8192 characters').regex(/^[^\r\n\0]*$/, 'header values must not contain CR, LF or NUL'),
  )
  .refine((h) => Object.keys(h).length <= 50, 'at most 50 headers');
export const body = z.string().max(1024 * 1024, 'must be at most 1 MiB').refine(hasNoNul, NO_NUL);
/** Free text of an object (a description, an idempotency key): at most `max` characters, no NUL. */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`).refine(hasNoNul, NO_NUL);
export const email = z.string().email('must be an email address').max(320);
export const timeoutMs = z.number().int('must be an integer').min(1, 'must be at least 1 ms').max(300_000, 'must be at most 300000 ms (5 minutes)');
export const maxRetries = z.number().int('must be an integer').min(0, 'must be 0 or more').max(20, 'must be at most 20');
export const backoffMs = z.number().int('must be an integer').min(1, 'must be at least 1 ms').max(86_400_000, 'must be at most 86400000 ms (1 day)');
export const expectedStatus = z
  .array(z.number().int().min(100, 'status codes are 100-599').max(599, 'status codes are 100-599'))
  .max(50, 'at most 50 status codes');

const MAX_URL = 2048;

/** Checks an outbound target URL's shape. Whether its address may be called is the executor's target policy. */
export function checkHttpUrl(url: string, field = 'url'): string {
  if (typeof url !== 'string' || url.length === 0) throw new InvalidArgumentError(`${field}: is required`, field);
  if (url.length > MAX_URL) throw new InvalidUrlError(url.slice(0, 64) + '...', `longer than ${MAX_URL} characters`, field);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidUrlError(url, 'not an absolute URL (expected e.g. https://example.com/hook)', field);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidUrlError(url, `scheme '${parsed.protocol.replace(':', '')}' is not allowed (use http or https)`, field);
  }
  if (parsed.username || parsed.password) {
    throw new InvalidUrlError(url, 'credentials in the URL are not allowed (send them in a header)', field);
  }
  return parsed.toString();
}
