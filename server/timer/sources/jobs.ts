import type { Database } from '../../store/database.js';
import { claimJobs } from '../../store/job-transitions.js';
import { iso, pgArray } from '../../store/sql/values.js';
import type { CancelNotices } from '../changes.js';
import type { OwnedItems } from '../owned.js';
import { LOAD_DUE_JOBS_SQL } from '../sql/load-due-jobs.js';
import type { ClaimContext, DuePage, DueSource, Fenced, SourceClaim } from './source.js';

/**
 * Jobs as due work: one-time jobs, manual runs, retries, ticks handed back by a stopping node,
 * and attempts claimed by a node that died or lost the shard (`running` under an older epoch:
 * they run again, delivery is at least once). A claim is one conditional UPDATE to `running`
 * under this node's epoch.
 *
 * A refill leaves out the jobs running under this node's own epoch: they are its own claims,
 * so a backlog larger than one page is read page after page instead of finding the same claimed
 * rows again. The one case where this node may hold claims it does not know of (a claim
 * statement whose answer was lost) reads them back (`includeOwn`); the ones it does hold are not
 * admitted again.
 */
export interface JobDue {
  kind: 'job';
  id: string;
  shard: number;
  dueMs: number;
  /** Status when loaded; the claim is conditional on it. `running` = recovery of an older claim. */
  status: 'scheduled' | 'running';
}

interface JobRow {
  id: string;
  shard: number;
  due_ms: number;
  status: 'scheduled' | 'running';
}

export interface JobSourceDeps {
  db: Database;
  nodeId: string;
  leadMs: number;
  owned: OwnedItems;
  cancels: CancelNotices;
}

export class JobSource implements DueSource<JobDue> {
  readonly kind = 'job' as const;
  readonly leadMs: number;

  constructor(private readonly deps: JobSourceDeps) {
    this.leadMs = deps.leadMs;
  }

  async load(page: DuePage): Promise<JobDue[]> {
    if (page.shards.length === 0) return [];
    const rows = await this.deps.db.query<JobRow>(
      LOAD_DUE_JOBS_SQL,
      [
        pgArray(page.shards.map((s) => s.shard)),
        pgArray(page.shards.map((s) => s.epoch)),
        iso(page.untilMs),
        page.includeOwn,
        page.limit,
        page.fromMs === null ? '-infinity' : iso(page.fromMs),
      ],
      'tock_due_jobs',
    );
    return rows.map((r) => ({ kind: 'job', id: r.id, shard: Number(r.shard), dueMs: Number(r.due_ms), status: r.status }));
  }

  admit(entry: JobDue): boolean {
    return this.deps.owned.get(entry.id) === undefined && !this.deps.cancels.has(entry.id);
  }

  same(a: JobDue, b: JobDue): boolean {
    return a.dueMs === b.dueMs && a.shard === b.shard && a.status === b.status;
  }

  async claim(batch: ReadonlyArray<Fenced<JobDue>>, ctx: ClaimContext): Promise<SourceClaim> {
    const claims = batch.map(({ entry, epoch }) => ({ jobId: entry.id, shard: entry.shard, epoch, expectStatus: entry.status }));
    const { jobs, unfinished } = await claimJobs(this.deps.db, this.deps.nodeId, claims, ctx.markBeforeMs);
    return { items: jobs, claimed: jobs.length, lost: batch.length - jobs.length, reload: null, next: [], unfinished, completeRuns: false };
  }
}
