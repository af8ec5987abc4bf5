import { randomBytes } from 'node:crypto';

/**
 * TypeID-style ids: `<prefix>_<26 chars>` where the suffix is a UUIDv7 in Crockford base32
 * (lower case). UUIDv7 starts with a 48-bit millisecond timestamp, and the encoding keeps
 * byte order, so ids sort lexicographically by creation time. Cursor pagination relies on it.
 */
export const ID_PREFIXES = {
  account: 'acct',
  project: 'proj',
  key: 'key',
  schedule: 'sched',
  job: 'job',
  execution: 'exec',
  monitor: 'mon',
  ping: 'ping',
  alert: 'alrt',
  node: 'node',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

// Monotonic within one process: a second id in the same millisecond increments the random tail
// instead of drawing a new one, so ids made in a burst still sort in creation order.
let lastMs = -1;
const lastBytes = Buffer.alloc(16);

export function uuidv7Bytes(nowMs: number = Date.now()): Buffer {
  const bytes = Buffer.alloc(16);
  if (nowMs <= lastMs) {
    lastBytes.copy(bytes);
    for (let i = 15; i >= 6; i--) {
      if (i === 8) continue;
      bytes[i] = (bytes[i] + 1) & 0xff;
      if (bytes[i] !== 0) break;
    }
  } else {
    lastMs = nowMs;
    randomBytes(10).copy(bytes, 6);
    bytes.writeUIntBE(nowMs, 0, 6);
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC 4122 variant
  bytes.copy(lastBytes);
  return bytes;
}

/**
 * Encodes 128 bits as 26 Crockford base32 chars (the first char carries the top 3 bits): the
 * first byte gives two chars (3 + 5 bits), then each 5 bytes give 8 chars. Plain integer
 * arithmetic (an execution id is made per HTTP attempt, thousands a second).
 */
export function encodeBase32(bytes: Buffer): string {
  const a = ALPHABET;
  let out = a[bytes[0] >> 5] + a[bytes[0] & 31];
  for (let i = 1; i < 16; i += 5) {
    const b0 = bytes[i];
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const b3 = bytes[i + 3];
    const b4 = bytes[i + 4];
    out +=
      a[b0 >> 3] +
      a[((b0 & 7) << 2) | (b1 >> 6)] +
      a[(b1 >> 1) & 31] +
      a[((b1 & 1) << 4) | (b2 >> 4)] +
      a[((b2 & 15) << 1) | (b3 >> 7)] +
      a[(b3 >> 2) & 31] +
      a[((b3 & 3) << 3) | (b4 >> 5)] +
      a[b4 & 31];
  }
  return out;
}

export function newId(kind: IdKind, nowMs?: number): string {
  return `${ID_PREFIXES[kind]}_${encodeBase32(uuidv7Bytes(nowMs))}`;
}

const ID_PATTERN = /^[a-z]+_[0-7][0-9a-hjkmnp-tv-z]{25}$/;

/** True when `id` has the shape of an id of this kind. Lookups of malformed ids answer 404 like unknown ones. */
export function isId(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(id);
}

/** Unix time (ms) at which the id was made. */
export function idTimestamp(id: string): number {
  const suffix = id.slice(id.indexOf('_') + 1);
  let value = 0n;
  for (const ch of suffix) value = (value << 5n) | BigInt(ALPHABET.indexOf(ch));
  return Number(value >> 80n);
}
