import { uuidOfId } from '../../../core/ids.js';
import type { DialectError } from '../dialect.js';

/**
 * The Krafter dialect's one error mapper: `{"error":{"code","message"}}` with the core's stable
 * code, and a message in the document's words: its field names where the core's differ
 * (`cron` and `interval_seconds` are `schedule`; the page token is `cursor`), a schedule is a
 * cron job, and every id is the UUID the caller knows it by.
 */

export interface KrafterErrorBody {
  error: { code: string; message: string };
}

const TYPEID = /\b(?:sched|exec)_[0-7][0-9a-hjkmnp-tv-z]{25}\b/g;

/** Krafter's names of the scopes a key may lack (Tock's `read:jobs` / `write:jobs`). */
const SCOPE_WORDS: Record<string, string> = { 'read:jobs': 'cron:read', 'write:jobs': 'cron:write' };

function messageOf(e: DialectError): string {
  switch (e.field) {
    case 'cron':
      return `schedule: ${e.message}`;
    case 'interval_seconds':
      return `schedule: the interval ${e.message.replace(/^interval_seconds: /, '')} (every_1s to every_366d)`;
    case 'page_token':
      return 'cursor: pass back the cursor of the Link header (rel="next") of the previous page unchanged';
  }
  if (e.code === 'permission_denied') {
    return e.message.replace(/'((?:read|write):jobs)' scope/, (m, scope: string) => `${m} (Krafter's ${SCOPE_WORDS[scope]})`);
  }
  return e.message.replace(/^No schedule with id/, 'No cron job with id');
}

export function errorBody(e: DialectError): KrafterErrorBody {
  return { error: { code: e.code, message: messageOf(e).replace(TYPEID, (id) => uuidOfId(id)) } };
}
