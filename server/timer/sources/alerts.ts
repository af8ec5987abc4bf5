import type { AlertRow } from '../../store/entities.js';
import type { Database } from '../../store/database.js';
import { iso, jsonColumn, pgArray } from '../../store/sql/values.js';
import type { AlertRunner } from '../alert-runner.js';
import { CLAIM_ALERTS_SQL } from '../sql/claim-alerts.js';
import { LOAD_DUE_ALERTS_SQL } from '../sql/load-due-alerts.js';
import type { ClaimContext, DuePage, DueSource, Fenced, SourceClaim } from './source.js';

/**
 * Alert deliveries as due work: a pending outbox row is due at its `next_attempt_at` on its
 * subject's shard. A claim (one conditional UPDATE fenced on the lease epoch and on the row as
 * loaded) holds the row for the length of a delivery and hands it to the alert runner
 * (alert-runner.ts), not to the fire path: a claim hands over no attempts.
 */
export interface AlertDue {
  kind: 'alert';
  id: string;
  shard: number;
  dueMs: number;
  /** Attempts when loaded; the claim is conditional on it. */
  attempts: number;
}

interface AlertDueRow {
  id: string;
  shard: number;
  due_ms: number;
  attempts: number;
}

interface ClaimedAlertRow {
  id: string;
  project_id: string;
  shard: number;
  event: AlertRow['event'];
  subject_type: AlertRow['subjectType'];
  subject_id: string;
  change_id: string;
  channel: AlertRow['channel'];
  target: string;
  format: AlertRow['format'];
  headers: Record<string, string> | string;
  payload: AlertRow['payload'] | string;
  attempts: number;
  created_ms: number;
  epoch: string | number;
}

export interface AlertSourceDeps {
  db: Database;
  nodeId: string;
  runner: AlertRunner;
  /** How long a claim holds a row: longer than a delivery can take. */
  holdMs: number;
}

export class AlertSource implements DueSource<AlertDue> {
  readonly kind = 'alert' as const;
  readonly leadMs = 0;

  constructor(private readonly deps: AlertSourceDeps) {}

  async load(page: DuePage): Promise<AlertDue[]> {
    if (page.shards.length === 0) return [];
    const rows = await this.deps.db.query<AlertDueRow>(
      LOAD_DUE_ALERTS_SQL,
      [pgArray(page.shards.map((s) => s.shard)), iso(page.untilMs), page.limit, page.fromMs === null ? '-infinity' : iso(page.fromMs)],
      'tock_due_alerts',
    );
    return rows.map((r) => ({ kind: 'alert', id: r.id, shard: Number(r.shard), dueMs: Number(r.due_ms), attempts: Number(r.attempts) }));
  }

  /** Not while it is being delivered here, nor while the runner has no room (the next refill finds it again). */
  admit(entry: AlertDue): boolean {
    return !this.deps.runner.has(entry.id) && this.deps.runner.hasRoom();
  }

  same(a: AlertDue, b: AlertDue): boolean {
    return a.dueMs === b.dueMs && a.shard === b.shard && a.attempts === b.attempts;
  }

  async claim(batch: ReadonlyArray<Fenced<AlertDue>>, _ctx: ClaimContext): Promise<SourceClaim> {
    const input = batch.map(({ entry, epoch }) => ({ id: entry.id, shard: entry.shard, epoch, attempts: entry.attempts, due_ms: entry.dueMs }));
    const rows = await this.deps.db.query<ClaimedAlertRow>(CLAIM_ALERTS_SQL, [JSON.stringify(input), this.deps.nodeId, this.deps.holdMs], 'tock_claim_alerts');
    this.deps.runner.run(rows.map((r) => ({ alert: toAlertRow(r), epoch: Number(r.epoch) })));
    return { items: [], claimed: rows.length, lost: batch.length - rows.length, reload: null, next: [], unfinished: new Map(), completeRuns: false };
  }
}

function toAlertRow(r: ClaimedAlertRow): AlertRow {
  const created = new Date(Number(r.created_ms));
  return {
    id: r.id,
    projectId: r.project_id,
    shard: Number(r.shard),
    event: r.event,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    changeId: r.change_id,
    channel: r.channel,
    target: r.target,
    format: r.format,
    headers: jsonColumn(r.headers),
    payload: jsonColumn(r.payload),
    status: 'pending',
    attempts: Number(r.attempts),
    nextAttemptAt: created,
    lastError: null,
    createdAt: created,
    sentAt: null,
  };
}
