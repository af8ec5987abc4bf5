import { monitorInput } from '../../../core/monitors/service.js';
import { timeoutMs } from '../../../core/validation.js';
import type { DialectError } from '../dialect.js';
import { DOCUMENT_FIELDS } from './schemas.js';

/**
 * CronPulse's one error mapper: every failure as `{"error": "message"}`, the message spelled
 * in the document's field names. The core names its own fields (`timeout_ms`, `cron`,
 * `grace_seconds`, ...) and the kit reports schema failures at the snake_case path of ours;
 * both become the name a CronPulse user sent, in the document's units.
 */

const graceMax = (monitorInput.shape.graceSeconds.unwrap() as unknown as { maxValue: number }).maxValue;

/** A core field -> the document's field it comes from, and the message when the units differ. */
const CORE_FIELDS: ReadonlyMap<string, { field: string; message?: string }> = new Map([
  ['cron', { field: 'schedule' }],
  ['timeout_ms', { field: 'timeout', message: `must be a number of seconds from ${timeoutMs.minValue! / 1000} to ${timeoutMs.maxValue! / 1000} (in whole milliseconds)` }],
  ['expected_status', { field: 'expectedStatusCode' }],
  ['grace_seconds', { field: 'heartbeatTolerance', message: `must be a whole number of minutes from 0 to ${graceMax / 60}` }],
]);

/** The document's name for the field at `path`, and the message to give when units differ. */
function documentField(path: string): { field: string; message?: string } | null {
  const [, head, rest] = /^([a-z_]+)(.*)$/.exec(path) ?? [];
  if (!head) return null;
  const core = CORE_FIELDS.get(head);
  // `expectedStatusCode` is one number where the core keeps a list: its `[0]` is the field itself.
  if (core) return { ...core, field: head === 'expected_status' ? core.field : core.field + rest };
  const ours = DOCUMENT_FIELDS.get(head);
  return ours ? { field: ours + rest } : null;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function documentMessage(e: DialectError): string {
  // The core's not-found names its own resource; a CronPulse job is a schedule.
  if (e.code === 'not_found') return e.message.replace(/^No schedule with id/, 'No job with id');
  // An unknown field is named as sent, and is no field of ours to rename.
  if (!e.field || /^Unknown fields?: /.test(e.message)) return e.message;
  const doc = documentField(e.field);
  if (!doc) return e.message;
  const prefixed = new RegExp(`^((?:query|path) parameter )?${escape(e.field)}: `).exec(e.message);
  const problem = doc.message ?? (prefixed ? e.message.slice(prefixed[0].length) : e.message);
  return `${prefixed?.[1] ?? ''}${doc.field}: ${problem}`;
}

export function errorBody(e: DialectError): { error: string } {
  return { error: documentMessage(e) };
}
