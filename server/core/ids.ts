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
  flip: 'flip',
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

/** The 16 bytes `encodeBase32` made `suffix` of (26 chars, first 0-7); null when it is not such a suffix. */
export function decodeBase32(suffix: string): Buffer | null {
  if (!/^[0-7][0-9a-hjkmnp-tv-z]{25}$/.test(suffix)) return null;
  const v = (i: number) => ALPHABET.indexOf(suffix[i]);
  const bytes = Buffer.alloc(16);
  bytes[0] = (v(0) << 5) | v(1);
  for (let i = 1, c = 2; i < 16; i += 5, c += 8) {
    const [c0, c1, c2, c3, c4, c5, c6, c7] = [v(c), v(c + 1), v(c + 2), v(c + 3), v(c + 4), v(c + 5), v(c + 6), v(c + 7)];
    bytes[i] = (c0 << 3) | (c1 >> 2);
    bytes[i + 1] = ((c1 & 3) << 6) | (c2 << 1) | (c3 >> 4);
    bytes[i + 2] = ((c3 & 15) << 4) | (c4 >> 1);
    bytes[i + 3] = ((c4 & 1) << 7) | (c5 << 2) | (c6 >> 3);
    bytes[i + 4] = ((c6 & 7) << 5) | c7;
  }
  return bytes;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The UUID inside an id (`sched_01j3vt3gpkfs7rmpvcfp79z85h` -> `0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1`),
 * lower-case 8-4-4-4-12 hex: the same 128 bits, so `idOfUuid` gives the id back. Throws when
 * `id` is not a well-formed id (ids made by `newId` always are).
 */
export function uuidOfId(id: string): string {
  const bytes = decodeBase32(id.slice(id.indexOf('_') + 1));
  if (!bytes || !ID_PATTERN.test(id)) throw new TypeError(`not a TypeID-style id: '${id}'`);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of `kind` holding the UUID `uuid` (hex digits in either case), the inverse of
 * `uuidOfId`; null when `uuid` is not in the 8-4-4-4-12 form. Any well-formed UUID converts:
 * one that no Tock object holds is simply not found.
 */
export function idOfUuid(kind: IdKind, uuid: string): string | null {
  if (!UUID_PATTERN.test(uuid)) return null;
  return `${ID_PREFIXES[kind]}_${encodeBase32(Buffer.from(uuid.replace(/-/g, ''), 'hex'))}`;
}
