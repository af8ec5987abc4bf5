import type { EntityManager } from '@mikro-orm/postgresql';
import type { AlertRow } from './entities.js';
import type { Flip } from '../core/types.js';
import type { Database } from './database.js';

/**
 * The alert outbox and the flip log, written by whatever changes state, inside the same
 * transaction (or statement) as that change. Rows travel as one JSON parameter, so one
 * statement writes any number of them.
 *
 * An alert row is unique per (change, event, channel, target) (`alerts_change_uq`): a writer
 * that runs twice for one change (a retried result write, a second node deciding the same
 * deadline) adds nothing the second time.
 */

/** Selects alert rows from the JSON array in `param` (e.g. `$4::jsonb`). */
export function alertRowsFrom(param: string): string {
  return `select x.id, x.project_id, x.shard, x.event, x.subject_type, x.subject_id, x.change_id, x.channel, x.target,
         x.format, coalesce(x.headers, '{}'::jsonb) as headers, x.payload, 'pending' as status, 0 as attempts, x.next_attempt_at, x.created_at
    from jsonb_to_recordset(${param}) as x(
      id text, project_id text, shard smallint, event text, subject_type text, subject_id text, change_id text, channel text,
      target text, format text, headers jsonb, payload jsonb, next_attempt_at timestamptz, created_at timestamptz)`;
}

export const ALERT_COLUMNS =
  'id, project_id, shard, event, subject_type, subject_id, change_id, channel, target, format, headers, payload, status, attempts, next_attempt_at, created_at';

/** Selects flip rows from the JSON array in `param`. */
export function flipRowsFrom(param: string): string {
  return `select x.id, x.project_id, x.subject_type, x.subject_id, x.from_status, x.to_status, x.reason, x.at
    from jsonb_to_recordset(${param}) as x(
      id text, project_id text, subject_type text, subject_id text, from_status text, to_status text, reason text, at timestamptz)`;
}

export const FLIP_COLUMNS = 'id, project_id, subject_type, subject_id, from_status, to_status, reason, at';

/** The JSON an alert row travels as (snake_case columns). */
export function alertJson(a: AlertRow): Record<string, unknown> {
  return {
    id: a.id,
    project_id: a.projectId,
    shard: a.shard,
    event: a.event,
    subject_type: a.subjectType,
    subject_id: a.subjectId,
    change_id: a.changeId,
    channel: a.channel,
    target: a.target,
    format: a.format,
    headers: a.headers,
    payload: a.payload,
    next_attempt_at: a.nextAttemptAt.toISOString(),
    created_at: a.createdAt.toISOString(),
  };
}

export function flipJson(f: Flip): Record<string, unknown> {
  return {
    id: f.id,
    project_id: f.projectId,
    subject_type: f.subjectType,
    subject_id: f.subjectId,
    from_status: f.fromStatus,
    to_status: f.toStatus,
    reason: f.reason,
    at: f.at.toISOString(),
  };
}

/** The caller's transaction: the EntityManager `em.transactional` hands over. */
export type SqlTransaction = Pick<EntityManager, 'execute'>;

/**
 * Inserts alert rows inside the caller's transaction. Rows already enqueued for the same change
 * and receiver are skipped. Returns the ids inserted.
 */
export async function insertAlerts(tx: SqlTransaction, rows: readonly AlertRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const inserted = await tx.execute<Array<{ id: string }>>(
    `insert into alerts (${ALERT_COLUMNS}) ${alertRowsFrom('?::jsonb')} on conflict do nothing returning id`,
    [JSON.stringify(rows.map(alertJson))],
  );
  return inserted.map((r) => r.id);
}

/**
 * Inserts flip rows inside the caller's transaction; a flip already written (the same plan sent
 * again) is skipped. Flips carry no change key: write them only for the results whose own state
 * update won (as the result write's fencing decides), or a recomputed plan adds a second flip.
 */
export async function insertFlips(tx: SqlTransaction, rows: readonly Flip[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.execute(`insert into flips (${FLIP_COLUMNS}) ${flipRowsFrom('?::jsonb')} on conflict (id) do nothing`, [JSON.stringify(rows.map(flipJson))]);
}

/** What one delivery attempt came to, as the outbox records it. */
export type DeliveryRecord =
  | { kind: 'delivered'; at: Date }
  | { kind: 'retry'; at: Date; nextAttemptAt: Date; error: string }
  | { kind: 'failed'; at: Date; error: string };

/**
 * Records a delivery attempt of a pending alert: one update conditional on the attempts the
 * deliverer saw, so of two nodes delivering the same row (one lost its lease mid-call) only
 * one records. Returns whether this record won.
 */
export async function recordDelivery(db: Database, alertId: string, attemptsSeen: number, r: DeliveryRecord): Promise<boolean> {
  const rows = await db.query<{ id: string }>(
    `update alerts
        set attempts = attempts + 1,
            status = $3,
            next_attempt_at = coalesce($4::timestamptz, next_attempt_at),
            last_error = $5,
            sent_at = case when $3 = 'delivered' then $6::timestamptz else sent_at end
      where id = $1 and status = 'pending' and attempts = $2
      returning id`,
    [
      alertId,
      attemptsSeen,
      r.kind === 'retry' ? 'pending' : r.kind,
      r.kind === 'retry' ? r.nextAttemptAt.toISOString() : null,
      r.kind === 'delivered' ? null : r.error.slice(0, 2000),
      r.at.toISOString(),
    ],
    'tock_record_delivery',
  );
  return rows.length === 1;
}
