import type { OutboundCall } from '../executor/index.js';
import type { ClaimedJob } from '../store/job-transitions.js';

/**
 * The fire path's pure part. Work due within `claimAheadMs` is claimed in the database *before*
 * its time, in batches, and marked dispatched `dispatchMarkMs` before it (or by the claim itself
 * when it is already that close; with the default options that is all of it, and the separate
 * mark is left for nodes configured to claim further ahead than they mark). Only marked jobs are
 * sent; the statements and the cancel invariant are in server/store/job-transitions.ts.
 *
 * At the due moment only a timer fires the HTTP call: lateness depends on the event loop, not on
 * a database round trip (the mark is answered ahead of time unless the database is slower than
 * `dispatchMarkMs`).
 */

/** A claimed job attempt, ready to fire at `dueMs`. */
export type FireItem = ClaimedJob;

/** The outbound call of an attempt, signed with the project's secrets; `webhook-id` = job id. */
export function buildCall(item: FireItem, secrets: string[]): OutboundCall {
  const call = item.call;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers)) {
    if (!k.toLowerCase().startsWith('x-tock-')) headers[k] = String(v);
  }
  headers['x-tock-job-id'] = item.jobId;
  headers['x-tock-attempt'] = String(item.attempt);
  headers['x-tock-scheduled-at'] = new Date(item.scheduledAtMs).toISOString();
  if (item.scheduleId) headers['x-tock-schedule-id'] = item.scheduleId;
  return {
    url: call.url,
    method: call.method,
    headers,
    body: call.body,
    timeoutMs: call.timeoutMs,
    expectedStatus: call.expectedStatus,
    signing: { id: item.jobId, secrets },
  };
}
