import { z } from 'zod';
import { echo, InvalidArgumentError, InvalidUrlError } from './errors.js';
import { literalTargetRefusal, TargetAllowList } from './targets.js';
import { HTTP_METHODS } from './types.js';

// Only camelCase property names are translated; record keys (header names) stay as sent.
const snake = (s: string) => (/^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$/.test(s) ? s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : s);

/** Fields whose keys are the caller's own names (header names): kept as sent in a path. */
const MAP_FIELDS = new Set(['headers']);

/** Field path as callers of every surface spell it: snake_case, dotted, with indexes. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      const name = i > 0 && MAP_FIELDS.has(String(path[i - 1])) ? String(p) : snake(String(p));
      return `${i > 0 ? '.' : ''}${name}`;
    })
    .join('');
}

/** Parses `input` with `schema`; the first problem becomes an InvalidArgumentError naming the field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // Valid input, the common case, is parsed without `reportInput` (which roughly doubles the
  // cost of a parse); only a failing input is parsed again with it, for the issue's input.
  const fast = schema.safeParse(input);
  if (fast.success) return fast.data;
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? fieldPath(issue.path) : null;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => fieldPath([...issue.path, k]));
    const shown = keys.slice(0, 5).map(echo).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
    throw new InvalidArgumentError(`Unknown field${keys.length > 1 ? 's' : ''}: ${shown}`, keys[0]);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = 'is required';
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && issue.issues[0]) message = issue.issues[0].message;
  throw new InvalidArgumentError(field ? `${echo(field)}: ${message}` : message, field);
}

/**
 * The longest value the core accepts for each text field, in characters. Everything a client
 * sends is bounded at the schema, before any check that keeps or caches what it is given.
 */
export const LIMITS = {
  name: 200,
  key: 200,
  description: 2_000,
  url: 2_048,
  headerName: 256,
  headerValue: 8_192,
  headerCount: 50,
  body: 1024 * 1024,
  cron: 512,
  timezone: 100,
  idempotencyKey: 255,
  email: 320,
  /** Ids, and dates sent as text. */
  id: 64,
  pageToken: 256,
} as const;

const atMost = (max: number) => `must be at most ${max} characters`;

// NUL is refused by PostgreSQL text; an unpaired surrogate would be replaced on the way to it.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** True when `s` can be stored as PostgreSQL text exactly as sent. */
export const storable = (s: string): boolean => !UNSTORABLE.test(s);
/** `s` with what PostgreSQL text cannot hold as sent replaced by U+FFFD. */
export const storableText = (s: string): string => s.replace(new RegExp(UNSTORABLE.source, 'g'), '\uFFFD');
const STORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates (send well-formed Unicode text)';

/** A text field of at most `max` characters that the database stores as sent. */
export const text = (max: number) => z.string().max(max, atMost(max)).refine(storable, STORABLE_MESSAGE);

export const name = z.string().trim().min(1, 'must not be empty').max(LIMITS.name, atMost(LIMITS.name)).refine(storable, STORABLE_MESSAGE);
export const userKey = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.key, atMost(LIMITS.key))
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'use letters, digits and . _ : - (starting with a letter or digit)');
export const httpMethod = z
  .string()
  .max(16, 'must be one of ' + HTTP_METHODS.join(', '))
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(HTTP_METHODS, { message: `must be one of ${HTTP_METHODS.join(', ')}` }));
export const targetUrl = text(LIMITS.url);
// An empty cron is neither a pattern nor "no pattern" (that is null, or leaving the field out).
export const cronText = text(LIMITS.cron).min(1, 'must not be empty (leave it out or send null for none)');
export const timezoneText = text(LIMITS.timezone);
export const description = text(LIMITS.description);
export const idText = text(LIMITS.id);

/**
 * Headers the HTTP client sets from the body, the connection and the URL. A value given here
 * would make every call fail (content-length, transfer-encoding, expect, upgrade, keep-alive),
 * change how the shared connections are used (connection), or send the request to the URL's
 * address under another name (host: the target policy judged the URL's host, not this one).
 */
const CLIENT_MANAGED_HEADERS: ReadonlyMap<string, string> = new Map([
  ...['connection', 'content-length', 'expect', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'].map(
    (h) => [h, 'is set by the HTTP client; remove this header'] as const,
  ),
  ['host', "is set from the URL's host; remove this header and put the host in url"],
]);

/**
 * Names an object cannot hold as its own data: `__proto__` is dropped (or swaps the prototype)
 * and the others shadow what code expects there (`constructor` breaks the ORM's JSON handling).
 */
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).map((n) => n.toLowerCase()));
const PROTOTYPE_NAME_MESSAGE = 'is not allowed as a header name (a reserved JavaScript property name)';

// What undici (and Node's HTTP) accept in a header value: HTAB, SP..~ and 0x80..0xFF; anything
// else fails every attempt at send time, so it is refused when stored.
const HEADER_VALUE = /^[\t\x20-\x7E\x80-\xFF]*$/;

/** Why `name` cannot be a header name, or null when it can. */
function headerNameProblem(name: string): string | null {
  if (name.length === 0) return 'header names must not be empty';
  if (name.length > LIMITS.headerName) return `header names must be at most ${LIMITS.headerName} characters`;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return 'header names must be HTTP tokens';
  const lower = name.toLowerCase();
  return CLIENT_MANAGED_HEADERS.get(lower) ?? (PROTOTYPE_NAMES.has(lower) ? PROTOTYPE_NAME_MESSAGE : null);
}

const headerMap = z.record(
  z.string(),
  z
    .string()
    .max(LIMITS.headerValue, `header values must be at most ${LIMITS.headerValue} characters`)
    .regex(HEADER_VALUE, 'header values may hold only tab, space, visible ASCII and Latin-1 characters (no control characters, DEL or characters above U+00FF)'),
);

/**
 * Outbound request headers. Names are judged on the raw object, before the record parser: it
 * drops an own `__proto__` key without a word, and a huge object is refused before each entry
 * is parsed. Each problem is reported at `headers.<name>`.
 */
export const headers = z.preprocess<Record<string, string>, typeof headerMap, Record<string, string>>((value, ctx) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const names = Object.keys(value);
  if (Object.hasOwn(value, '__proto__')) names.unshift('__proto__');
  if (names.length > LIMITS.headerCount) {
    ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.headerCount} headers`, input: value });
    return value;
  }
  for (const name of names) {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: name });
  }
  return value;
}, headerMap);
export const body = z.string().max(LIMITS.body, 'must be at most 1 MiB').refine(storable, STORABLE_MESSAGE);
export const email = z.string().max(LIMITS.email, atMost(LIMITS.email)).email('must be an email address');
export const timeoutMs = z.number().int('must be an integer').min(1, 'must be at least 1 ms').max(300_000, 'must be at most 300000 ms (5 minutes)');
export const maxRetries = z.number().int('must be an integer').min(0, 'must be 0 or more').max(20, 'must be at most 20');
export const backoffMs = z.number().int('must be an integer').min(1, 'must be at least 1 ms').max(86_400_000, 'must be at most 86400000 ms (1 day)');
export const expectedStatus = z
  .array(z.number().int().min(100, 'status codes are 100-599').max(599, 'status codes are 100-599'))
  .max(50, 'at most 50 status codes');

const NO_ALLOWED_TARGETS = new TargetAllowList([]);

/**
 * Checks an outbound target URL: its shape, and a literal IP host against the target policy
 * (`allow` is the operator's TOCK_ALLOW_TARGETS), since a call to it would be refused every
 * time. Host names are judged at connect time, on the address they resolve to.
 */
export function checkHttpUrl(url: string, field = 'url', allow: TargetAllowList = NO_ALLOWED_TARGETS): string {
  let accepted = acceptedUrls.get(allow);
  const known = accepted?.get(url);
  if (known !== undefined) return known;
  const parsed = parseWebUrl(url, field);
  const refusal = literalTargetRefusal(parsed.hostname, allow);
  if (refusal) throw new InvalidUrlError(url, refusal.message, field);
  const normalized = parsed.toString();
  if (!accepted) acceptedUrls.set(allow, (accepted = new Map()));
  if (accepted.size >= ACCEPTED_URLS_MAX) accepted.clear();
  accepted.set(url, normalized);
  return normalized;
}

/**
 * URLs checkHttpUrl accepted, with their normalized form, per allow list (a list never changes
 * once made, and the verdict depends on nothing else): the jobs of a batch mostly share a URL,
 * and each would otherwise be parsed and its host judged again. Only acceptances are kept, so a
 * refusal is always worked out, and reported, afresh. Bounded: cleared when full.
 */
const acceptedUrls = new WeakMap<TargetAllowList, Map<string, string>>();
const ACCEPTED_URLS_MAX = 1_024;

/** Checks the shape of a URL Tock shows but never calls (a project's `url`): absolute http(s), no credentials. */
export function checkWebUrl(url: string, field = 'url'): string {
  parseWebUrl(url, field);
  return url;
}

function parseWebUrl(url: string, field: string): URL {
  if (typeof url !== 'string' || url.length === 0) throw new InvalidArgumentError(`${field}: is required`, field);
  if (url.length > LIMITS.url) throw new InvalidUrlError(url, `longer than ${LIMITS.url} characters`, field);
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
  return parsed;
}
