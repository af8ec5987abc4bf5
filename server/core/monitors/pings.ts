import { InvalidArgumentError } from '../errors.js';
import type { PingKind } from '../types.js';
import { storableText } from '../validation.js';
import type { PingFacts } from './transitions.js';

/** What the caller of a ping can tell besides its kind. */
export interface PingMeta {
  sourceIp?: string | null;
  userAgent?: string | null;
  body?: string | null;
  /** The job's exit status: 0 = success, 1-255 = fail (the kind is then ignored). */
  exitStatus?: number | null;
}

export const PING_KINDS = ['success', 'start', 'fail'] as const;
/** The part of a ping body that is kept. */
export const MAX_PING_BODY_BYTES = 10 * 1024;
const MAX_USER_AGENT = 512;
const MAX_SOURCE_IP = 64;

// PostgreSQL text cannot hold NUL; other control characters in a header are noise.

/** The first `max` bytes of `s` as UTF-8, never cutting a character in two. */
export function utf8Prefix(s: string, max: number): string {
  if (s.length * 3 <= max) return s;
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= max) return s;
  let end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The ping signal named by the last segment of a ping URL: none = success, `start`, `fail`, or
 * an exit status 0-255 (non-zero is a fail). Anything else is refused with a message saying so.
 */
export function pingSignal(segment: string | null | undefined): { kind: PingKind; exitStatus: number | null } {
  if (segment === undefined || segment === null || segment === '' || segment === 'success') return { kind: 'success', exitStatus: null };
  if (segment === 'start' || segment === 'fail') return { kind: segment, exitStatus: null };
  if (/^\d{1,3}$/.test(segment) && Number(segment) <= 255) return { kind: Number(segment) === 0 ? 'success' : 'fail', exitStatus: Number(segment) };
  throw new InvalidArgumentError(`Unknown ping '${segment.slice(0, 40)}': use start, fail, or an exit status from 0 to 255`, 'kind');
}

/** Checks and trims what a ping carries. */
export function pingFacts(kind: PingKind, meta: PingMeta): PingFacts {
  if (!(PING_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(`kind: must be one of ${PING_KINDS.join(', ')}`, 'kind');
  }
  const exitStatus = meta.exitStatus ?? null;
  if (exitStatus !== null) {
    if (!Number.isInteger(exitStatus) || exitStatus < 0 || exitStatus > 255) {
      throw new InvalidArgumentError('exit_status: must be a whole number from 0 to 255', 'exit_status');
    }
    if (kind === 'start') throw new InvalidArgumentError('exit_status: a start ping has no exit status', 'exit_status');
  }
  return {
    kind: exitStatus === null ? kind : exitStatus === 0 ? 'success' : 'fail',
    exitStatus,
    sourceIp: meta.sourceIp ? storableText(meta.sourceIp.slice(0, MAX_SOURCE_IP)) : null,
    userAgent: meta.userAgent ? storableText(meta.userAgent.slice(0, MAX_USER_AGENT)) : null,
    body: meta.body ? utf8Prefix(storableText(meta.body), MAX_PING_BODY_BYTES) : null,
  };
}
