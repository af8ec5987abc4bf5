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
