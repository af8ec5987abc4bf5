import { createHash, randomBytes } from 'node:crypto';

/** API key secrets: `tock_` + 40 base62 characters (~238 bits). Only the SHA-256 is stored. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  // Rejection sampling keeps the characters uniform (256 is not a multiple of 62).
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

export function newApiKeySecret(): string {
  return `tock_${randomToken(40)}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What lists show of a key: enough to recognise it, too little to use it. */
export function secretPrefix(secret: string): string {
  return secret.slice(0, 12);
}

/** Per-project signing secret for outbound calls (Standard Webhooks: `whsec_` + base64 of 32 bytes). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Monitor ping tokens: 24 base62 characters, log2(62) * 24 = 142.9 random bits (at least 128, so
 * a token cannot be guessed). Pure alphanumerics, so a token never looks like a ping key.
 */
export const PING_TOKEN_LENGTH = 24;
const PING_TOKEN = /^[0-9A-Za-z]{16,64}$/;

export function newPingToken(): string {
  return randomToken(PING_TOKEN_LENGTH);
}

export function isPingTokenForm(s: string): boolean {
  return PING_TOKEN.test(s);
}

/**
 * Project ping keys (`/ping/<ping key>/<monitor key>`): `pk_` + 24 base62 characters (142.9 bits).
 * The underscore tells one from a ping token by its form alone, so `/ping/<token>/start` and
 * `/ping/<ping key>/<monitor key>` never mean the same path.
 */
export const PING_KEY_PREFIX = 'pk_';
const PING_KEY = /^pk_[0-9A-Za-z]{24}$/;

export function newPingKey(): string {
  return PING_KEY_PREFIX + randomToken(PING_TOKEN_LENGTH);
}

export function isPingKeyForm(s: string): boolean {
  return PING_KEY.test(s);
}
