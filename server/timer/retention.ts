import { encodeBase32, ID_PREFIXES } from '../core/ids.js';
import { shardOf } from '../core/shard.js';
import type { Database } from '../store/database.js';
import type { TimerLogger } from './options.js';
import { DELETE_OLD_ALERTS_SQL } from './sql/delete-old-alerts.js';
import { DELETE_OLD_EXECUTIONS_SQL } from './sql/delete-old-executions.js';
import { DELETE_OLD_PINGS_SQL } from './sql/delete-old-pings.js';
import { LIST_RETENTION_PROJECTS_SQL } from './sql/list-retention-projects.js';

/**
 * Retention: executions, pings and sent alerts (delivered or failed) older than their project's
 * age limit are deleted. The limit is the project's `retention_days`, or the server's
 * TOCK_RETENTION_DAYS when that is null; 0 keeps everything.
 *
 * - A project's old rows are deleted by the node that owns the project's shard (`shardOf` of
 *   the project id), so each node cleans a share of the projects and none twice. Ownership is
 *   checked when a project's turn comes; a delete needs no fencing: two nodes deleting the same
 *   old rows (a shard changing hands mid-pass) delete them once between them.
 * - Every step is one statement: a page of projects, or one batch of at most `batchRows` rows of
 *   one table of one project, read by an index and deleted by primary key in a short
 *   transaction of its own. No statement holds locks on more than a batch of rows.
 * - A pass goes through every project in id order; the next starts `intervalMs` after a pass ends.
 *   A step that did work returns true (the loop steps again at once), except that after a batch
 *   that deleted rows the pass waits `pauseMs`, so a first pass over a large backlog leaves the
 *   database to the timer and the API between batches. Between passes and during a pause a step
 *   returns false and `nextAt` says when the next one is due.
 */

export interface RetentionOptions {
  /** The server's age limit in days (TOCK_RETENTION_DAYS); 0 keeps everything of projects without their own. */
  defaultDays: number;
  /** Rows per delete statement. Default 1 000. */
  batchRows: number;
  /** Pause between the end of a pass and the start of the next. Default 10 minutes. */
  intervalMs: number;
  /** Projects read per page. Default 500. */
  pageSize: number;
  /** The first pass starts this long after the node (once it holds its leases). Default 60 s. */
  firstPassAfterMs: number;
  /** Pause after each batch that deleted rows. Default 100 ms (at most 10 batches a second). */
  pauseMs: number;
}

const DEFAULT_RETENTION_OPTIONS: RetentionOptions = {
  defaultDays: 30,
  batchRows: 1_000,
  intervalMs: 600_000,
  pageSize: 500,
  firstPassAfterMs: 60_000,
  pauseMs: 100,
};

export interface RetentionDeps {
  db: Database;
  /** Whether this node owns `shard` now (held, not draining). */
  owns(shard: number): boolean;
  /** The timers' clock, in ms. */
  now(): number;
  logger: TimerLogger;
  options?: Partial<RetentionOptions>;
}

/** The tables retention deletes from, in the order each project's turn visits them. */
const RETENTION_TABLES = ['executions', 'pings', 'alerts'] as const;
type RetentionTable = (typeof RETENTION_TABLES)[number];

/** What a pass (or all passes so far) deleted, per table. */
export type RetentionCounts = Record<RetentionTable, number>;

const DAY_MS = 86_400_000;
const zero = (): RetentionCounts => ({ executions: 0, pings: 0, alerts: 0 });

/** The smallest id of kind `prefix` made at `ms`: every id made before that millisecond sorts below it. */
function firstIdAt(prefix: string, ms: number): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.max(0, Math.floor(ms)), 0, 6);
  return `${prefix}_${encodeBase32(bytes)}`;
}

interface Turn {
  projectId: string;
  cutoffMs: number;
  table: number;
}

export class Retention {
  readonly options: RetentionOptions;
  /** Rows deleted since this node started. */
  readonly deleted: RetentionCounts = zero();
  private readonly db: Database;
  private readonly logger: TimerLogger;

  /** Projects of the page in hand whose turn has not come yet (owned ones with a limit). */
  private turns: Turn[] = [];
  /** The last project id read in this pass; null: no pass under way. */
  private after: string | null = null;
  private pass: RetentionCounts = zero();
  private nextPassAt: number;
  /** During a pass: no batch before this (the pause after one that deleted rows). */
  private nextBatchAt = -Infinity;

  constructor(private readonly deps: RetentionDeps) {
    this.db = deps.db;
    this.logger = deps.logger;
    this.options = { ...DEFAULT_RETENTION_OPTIONS, ...deps.options };
    this.nextPassAt = deps.now() + this.options.firstPassAfterMs;
  }

  /** When the next step is due by itself: now during a pass, else when the next pass starts. */
  nextAt(): number | null {
    return this.after !== null ? Math.max(this.deps.now(), this.nextBatchAt) : this.nextPassAt;
  }

  /**
   * One statement of the pass (starting one if it is due): returns true if it did work and more
   * of the pass remains, false when the pass has ended or the next is not due yet.
   */
  async step(): Promise<boolean> {
    const now = this.deps.now();
    if (this.after === null) {
      if (now < this.nextPassAt) return false;
      this.after = '';
      this.pass = zero();
    }
    if (now < this.nextBatchAt) return false;
    const turn = this.turns[0];
    if (!turn) return this.readPage(now);
    if (!this.deps.owns(shardOf(turn.projectId))) {
      this.turns.shift();
      return true;
    }
    const table = RETENTION_TABLES[turn.table];
    const n = await this.deleteBatch(table, turn.projectId, turn.cutoffMs);
    this.pass[table] += n;
    this.deleted[table] += n;
    // A full batch may have left more of this table; a short one means the table is done.
    if (n < this.options.batchRows && ++turn.table === RETENTION_TABLES.length) this.turns.shift();
    if (n > 0 && this.options.pauseMs > 0) {
      this.nextBatchAt = now + this.options.pauseMs;
      return false;
    }
    return true;
  }

  /** Runs a whole pass now, without pauses; returns what it deleted (tests, tools). */
  async runPass(): Promise<RetentionCounts> {
    this.nextPassAt = -Infinity;
    do this.nextBatchAt = -Infinity;
    while ((await this.step()) || this.after !== null);
    return { ...this.pass };
  }

  private async readPage(now: number): Promise<boolean> {
    const rows = await this.db.query<{ id: string; retention_days: number | null }>(
      LIST_RETENTION_PROJECTS_SQL,
      [this.after, this.options.pageSize],
      'tock_retention_projects',
    );
    if (rows.length === 0) {
      this.endPass(now);
      return false;
    }
    this.after = rows[rows.length - 1].id;
    for (const r of rows) {
      const days = r.retention_days ?? this.options.defaultDays;
      if (days <= 0 || !this.deps.owns(shardOf(r.id))) continue;
      this.turns.push({ projectId: r.id, cutoffMs: now - days * DAY_MS, table: 0 });
    }
    return true;
  }

  private async deleteBatch(table: RetentionTable, projectId: string, cutoffMs: number): Promise<number> {
    const cutoff = new Date(cutoffMs).toISOString();
    const limit = this.options.batchRows;
    let rows: Array<{ n: number }>;
    if (table === 'executions') rows = await this.db.query(DELETE_OLD_EXECUTIONS_SQL, [projectId, cutoff, limit], 'tock_retention_executions');
    else if (table === 'pings') {
      rows = await this.db.query(DELETE_OLD_PINGS_SQL, [projectId, firstIdAt(ID_PREFIXES.ping, cutoffMs), cutoff, limit], 'tock_retention_pings');
    } else rows = await this.db.query(DELETE_OLD_ALERTS_SQL, [projectId, cutoff, limit], 'tock_retention_alerts');
    return Number(rows[0]?.n ?? 0);
  }

  private endPass(now: number): void {
    this.after = null;
    this.turns = [];
    this.nextBatchAt = -Infinity;
    this.nextPassAt = now + this.options.intervalMs;
    const p = this.pass;
    if (p.executions + p.pings + p.alerts > 0) this.logger.info({ deleted: { ...p } }, 'timer: retention pass deleted old rows');
  }
}
