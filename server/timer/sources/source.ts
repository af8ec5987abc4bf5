import type { ScheduleRuns } from '../../store/job-transitions.js';
import type { FireItem } from '../fire.js';
import type { AlertDue } from './alerts.js';
import type { JobDue } from './jobs.js';
import type { MonitorDue } from './monitors.js';
import type { ScheduleDue } from './schedules.js';

/**
 * A kind of due work, as the timer sees it: rows with a shard and a due time that the owner of
 * the shard claims, fenced by its lease epoch, shortly before they are due. The node does the
 * rest the same way for every kind: refills (pages of `load` over the owned shards, into one due
 * queue per kind), claim steps (batches of what is due within `leadMs`, through `claim`), and
 * what a claim hands over: attempts to run (the owned-item state machine, owned.ts), entries to
 * queue next, shards to reload after a lost race.
 *
 * Today's kinds: schedules (sources/schedules.ts: a claim turns ticks into jobs already claimed),
 * jobs (sources/jobs.ts), monitor deadlines (sources/monitors.ts) and alert deliveries
 * (sources/alerts.ts, with alert-runner.ts). A kind whose claim is the whole work (a monitor
 * deadline: one conditional update that turns it down and writes its alert rows) hands over no
 * items, only what it made due (`next`); a kind that runs something other than a job's HTTP call
 * (an alert delivery) is a source plus its own runner for the items it hands over.
 */
export type DueKind = 'schedule' | 'job' | 'monitor' | 'alert';

export interface DueEntryBase {
  kind: DueKind;
  id: string;
  shard: number;
  /** When it is due (ms). */
  dueMs: number;
}

/** One page of a refill. */
export interface DuePage {
  /** The shards to read, each with this node's lease epoch on it. */
  shards: ReadonlyArray<{ shard: number; epoch: number }>;
  /** Due before this (the horizon). */
  untilMs: number;
  /** At most this many rows. */
  limit: number;
  /** From this due time on (the next page of a backlog; rows due exactly then are read again), or null. */
  fromMs: number | null;
  /**
   * Also rows claimed under this node's own epoch: a claim statement's answer was lost (or a
   * dispatch mark refused), so this node may hold claims it does not know of.
   */
  includeOwn: boolean;
}

/** An entry with the lease epoch it is claimed under. */
export interface Fenced<E> {
  entry: E;
  epoch: number;
}

export interface ClaimContext {
  nowMs: number;
  /** Attempts due at or before this are marked dispatched by the claim itself. */
  markBeforeMs: number;
}

/** What a claim hands over. */
export interface SourceClaim {
  /** Claimed attempts to run. */
  items: FireItem[];
  /** Entries of the batch claimed. */
  claimed: number;
  /** Entries of the batch someone else had moved first (lost races, not errors). */
  lost: number;
  /** Shards to read again because a race was lost there, or null. */
  reload: Set<number> | null;
  /** Entries to queue (a schedule's next occurrence), any kind. */
  next: DueEntry[];
  /** Unfinished runs the claim read (overlap forbid), keyed by schedule. */
  unfinished: ReadonlyMap<string, ScheduleRuns>;
  /** Whether `unfinished` is each schedule's whole list (it can then prove a run ended). */
  completeRuns: boolean;
}

export interface DueSource<E extends DueEntry = DueEntry> {
  readonly kind: E['kind'];
  /** How long before its due time an entry is claimed. */
  readonly leadMs: number;
  /** Rows due on the page's shards, earliest first; rows no claim of this node could take are left out. */
  load(page: DuePage): Promise<E[]>;
  /** Whether an entry may be queued or claimed now, given what this node holds (refill and claim check it). */
  admit(entry: E): boolean;
  /** Same row in the same state: a refill that finds what the queue holds need not push it again. */
  same(a: E, b: E): boolean;
  /**
   * Claims a batch in one statement fenced on each entry's lease epoch (or conditional on the
   * row's state alone, where any number of claimers is safe: sources/monitors.ts).
   */
  claim(batch: ReadonlyArray<Fenced<E>>, ctx: ClaimContext): Promise<SourceClaim>;
}

/** An entry of any kind (a new kind adds its entry type here). */
export type DueEntry = ScheduleDue | JobDue | MonitorDue | AlertDue;
