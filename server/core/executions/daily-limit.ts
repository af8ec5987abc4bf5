import type { CoreDeps } from '../deps.js';
import { DailyExecutionLimitError } from '../errors.js';

/**
 * The optional per-project daily execution limit (TOCK_DAILY_EXECUTION_LIMIT; 0 = off). Once a
 * project's executions started since 00:00 UTC reach the limit, creating work for it (a job, a
 * schedule, a manual trigger) is refused until the next UTC day; what already exists keeps
 * running. The count reads `executions_project_started_idx` backwards from now and stops at the
 * limit, so a check costs at most `limit` index entries, never a scan of the history. (The
 * `order by` keeps it on the index: without it the planner expects today's rows spread over the
 * table and picks a sequential scan, which reads every older row first.) It is a soft
 * limit: creates checked at the same moment may all pass, and the executions of work created
 * before the limit was reached still run.
 */
const COUNT_TODAY_SQL = `
select count(*)::int as n from (
  select 1 from executions where project_id = ? and started_at >= ?::timestamptz order by started_at desc limit ?
) today`;

/** 00:00 UTC of the day after `now`. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Throws DailyExecutionLimitError when the project reached its limit for today (UTC). */
export async function checkDailyExecutions(deps: Pick<CoreDeps, 'db' | 'clock' | 'dailyExecutionLimit'>, projectId: string): Promise<void> {
  const limit = deps.dailyExecutionLimit;
  if (!limit) return;
  const now = deps.clock.now();
  const resetsAt = nextUtcMidnight(now);
  const since = new Date(resetsAt.getTime() - 86_400_000);
  const [row] = await deps.db.execute<{ n: number }>(COUNT_TODAY_SQL, [projectId, since.toISOString(), limit]);
  if (Number(row?.n ?? 0) >= limit) throw new DailyExecutionLimitError(limit, resetsAt, now);
}
