/**
 * Standard Webhooks (https://www.standardwebhooks.com) symmetric signatures:
 * `webhook-signature: v1,<base64(HMAC-SHA256(key, "${id}.${timestamp}.${body}"))>` where `key` is
 * the base64-decoded part of a `whsec_...` secret. Several space-separated entries allow rotation.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SigningSecretError, WebhookVerificationError } from './errors.js';

export const SECRET_PREFIX = 'whsec_';
const SIGNATURE_VERSION = 'v1';
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

// A type alias rather than an interface so it is assignable to HeaderSource's index signature.
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface SignPayloadInput {
  /** Unique per message, stable across retries of the same message (receivers dedupe on it). */
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  /** One signature is produced per secret, in the given order. */
  secrets: readonly string[];
}

/** Returns a new `whsec_<base64>` secret of `bytes` random bytes (24-64, default 32). */
export function generateSigningSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > MAX_SECRET_BYTES) {
    throw new RangeError(`Signing secrets must be ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes, got ${bytes}`);
  }
  return SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * Decodes a secret to its HMAC key. The `whsec_` prefix is optional, matching the reference
 * libraries, but the rest must be canonical base64 of 24-64 bytes.
 */
export function decodeSigningSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw new SigningSecretError('Signing secret must look like whsec_<base64>; generate one with generateSigningSecret()');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new SigningSecretError(
      `Signing secret decodes to ${key.length} bytes; it must be ${MIN_SECRET_BYTES}-${MAX_SECRET_BYTES} bytes`,
    );
  }
  return key;
}

function hmac(key: Buffer, id: string, timestamp: number | string, body: string | Uint8Array): Buffer {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`);
  return mac.update(body).digest();
}

/**
 * Decoded keys of the secrets in use, so signing each call skips the format check and base64
 * decoding (a handful of projects sign thousands of calls a second). Bounded: cleared when full.
 */
const signingKeys = new Map<string, Buffer>();
const SIGNING_KEYS_MAX = 10_000;

function signingKey(secret: string): Buffer {
  let key = signingKeys.get(secret);
  if (key === undefined) {
    key = decodeSigningSecret(secret);
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.clear();
    signingKeys.set(secret, key);
  }
  return key;
}

/** Computes the three Standard Webhooks headers for one delivery. */
export function signPayload(input: SignPayloadInput): WebhookHeaders {
  const { id, timestamp, body, secrets } = input;
  if (secrets.length === 0) throw new SigningSecretError('signPayload needs at least one secret');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`webhook timestamp must be whole unix seconds, got ${timestamp}`);
  }
  let signature = '';
  for (let i = 0; i < secrets.length; i++) {
    const digest = hmac(signingKey(secrets[i]), id, timestamp, body).toString('base64');
    signature += (i === 0 ? '' : ' ') + SIGNATURE_VERSION + ',' + digest;
  }
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
}

export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let value = record[name];
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}

export interface VerifyOptions {
  /** Allowed clock skew either way, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Current time; defaults to the system clock. */
  now?: Date;
}

/**
 * Verifies a received delivery against one secret.
 *
 * @returns true when any `v1` signature in the header matches, false when none does (wrong secret
 *   or tampered id/timestamp/body).
 * @throws WebhookVerificationError when a header is missing or the timestamp is malformed or
 *   outside the tolerance (a possible replay); SigningSecretError when `secret` is malformed.
 */
export function verifySignature(
  secret: string,
  headers: HeaderSource,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): boolean {
  const toleranceSeconds = options.toleranceSeconds ?? 300;
  const id = readHeader(headers, 'webhook-id');
  const timestampText = readHeader(headers, 'webhook-timestamp');
  const signatureHeader = readHeader(headers, 'webhook-signature');
  if (!id || !timestampText || !signatureHeader) {
    throw new WebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature header',
      'missing_header',
    );
  }
  if (!/^\d{1,15}$/.test(timestampText)) {
    throw new WebhookVerificationError(`Invalid webhook-timestamp ${JSON.stringify(timestampText)}`, 'invalid_timestamp');
  }
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((options.now?.getTime() ?? Date.now()) / 1000);
  if (timestamp < nowSeconds - toleranceSeconds) {
    throw new WebhookVerificationError(
      `webhook-timestamp is ${nowSeconds - timestamp}s old, more than the ${toleranceSeconds}s tolerance`,
      'timestamp_too_old',
    );
  }
  if (timestamp > nowSeconds + toleranceSeconds) {
    throw new WebhookVerificationError(
      `webhook-timestamp is ${timestamp - nowSeconds}s in the future, more than the ${toleranceSeconds}s tolerance`,
      'timestamp_too_new',
    );
  }

  // Sign the header text as received, not the parsed number, so "0123" cannot alias "123".
  const expected = hmac(decodeSigningSecret(secret), id, timestampText, rawBody);
  let matched = false;
  for (const entry of signatureHeader.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every entry is compared (no early exit) so timing does not reveal which entry matched.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}
