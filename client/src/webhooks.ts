import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verification of Tock's signed calls (Standard Webhooks, https://www.standardwebhooks.com):
 * `webhook-signature: v1,<base64(HMAC-SHA256(key, "${id}.${timestamp}.${body}"))>`, where `key`
 * is the base64-decoded part of the project's `whsec_...` signing secret. Several
 * space-separated signatures may be present while a secret is being rotated.
 */

/** Why a webhook did not verify. */
export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_signature'
  | 'invalid_secret';

/** Thrown by `verifyWebhook` when a delivery must not be trusted; `reason` says why. */
export class WebhookVerificationError extends Error {
  override readonly name: string = 'WebhookVerificationError';

  constructor(
    message: string,
    /** Machine-readable cause of the failure. */
    readonly reason: WebhookVerificationReason,
  ) {
    super(message);
  }
}

/**
 * Request headers as frameworks hand them over: a Fetch `Headers` object, or a plain record
 * such as Node's `req.headers` (names matched case-insensitively).
 */
export type WebhookHeaders = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of `verifyWebhook`. */
export interface VerifyWebhookOptions {
  /** Largest accepted distance between `webhook-timestamp` and now, either way, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The current time; default the system clock. */
  now?: Date;
}

const SIGNATURE_VERSION = 'v1';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    if (key !== undefined) value = record[key];
  }
  return typeof value === 'string' ? value : value?.join(' ');
}

function decodeSecret(secret: string): Uint8Array {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw new WebhookVerificationError('The signing secret must look like whsec_<base64> (copy it from the project settings)', 'invalid_secret');
  }
  return Buffer.from(encoded, 'base64');
}

/**
 * Checks that a call really comes from Tock: one of the `v1` signatures matches, compared in
 * constant time, and `webhook-timestamp` is within the tolerance (a stale delivery may be a
 * replay). Pass the body exactly as received (before any JSON parsing).
 *
 * @param secret The project's signing secret, `whsec_...`.
 * @param headers The request headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
 * @param rawBody The raw request body, as a string or bytes.
 * @returns The body parsed as JSON; the body text itself when it is not JSON; `undefined` when it is empty.
 * @throws WebhookVerificationError with a `reason` when the delivery must not be trusted.
 */
export function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): unknown {
  const tolerance = options.toleranceSeconds ?? 300;
  const id = readHeader(headers, 'webhook-id');
  const timestampText = readHeader(headers, 'webhook-timestamp');
  const signatures = readHeader(headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) {
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header', 'missing_header');
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    throw new WebhookVerificationError(`Invalid webhook-timestamp ${JSON.stringify(timestampText)}`, 'invalid_timestamp');
  }
  const timestamp = Number(timestampText);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (timestamp < now - tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is ${now - timestamp} s old, more than the ${tolerance} s tolerance`, 'timestamp_too_old');
  }
  if (timestamp > now + tolerance) {
    throw new WebhookVerificationError(
      `webhook-timestamp is ${timestamp - now} s in the future, more than the ${tolerance} s tolerance`,
      'timestamp_too_new',
    );
  }

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  // The header text is signed as received, so "0123" cannot stand in for "123".
  const expected = createHmac('sha256', decodeSecret(secret)).update(`${id}.${timestampText}.`).update(body).digest();
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every entry is compared (no early exit), so timing does not tell which one matched.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('No webhook-signature matches: wrong secret, or the message was altered', 'invalid_signature');

  const text = body.toString('utf8');
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
