import { setImmediate } from 'node:timers/promises';
import { requireScope } from '../auth/scopes.js';
import { FailedPreconditionError, IdempotencyConflictError, TockError } from '../errors.js';
import type { ProjectService, ProjectSettings } from '../projects/service.js';
import type { Actor, Job, Monitor, Project, Schedule } from '../types.js';
import { fieldPath, parse } from '../validation.js';
import { changesOf, type FieldChanges } from './diff.js';
import { syncInput, type SyncInput, type SyncKindName } from './input.js';
import { jobKind } from './kinds/jobs.js';
import type { SyncKind, SyncKindDeps } from './kinds/kind.js';
import { monitorKind } from './kinds/monitors.js';
import { scheduleKind } from './kinds/schedules.js';
import { ProjectStep, type ProjectStepPlan } from './project.js';

export interface SyncOptions {
  /** Also delete keyed objects of a managed kind that the input no longer names. */
  prune?: boolean;
}

export interface SyncProgress {
  /** Writes finished so far. */
  done: number;
  /** Writes this sync makes (creates, updates and deletes; unchanged objects cost none). */
  total: number;
}

export interface SyncApplyOptions extends SyncOptions {
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncKeyed {
  key: string;
}
export interface SyncExisting extends SyncKeyed {
  id: string;
}
export interface SyncChanged extends SyncExisting {
  /** Each changed field with its stored value and the value the input makes it. */
  changes: FieldChanges;
}

/** What a sync does to one kind. Entries keep the input's order; deletions the stored order. */
export interface SyncKindReport<Created extends SyncKeyed = SyncKeyed> {
  created: Created[];
  updated: SyncChanged[];
  deleted: SyncExisting[];
  unchanged: SyncExisting[];
}

/** What a sync does to the project's settings: each changed field, from the stored value to the input's. */
export interface SyncProjectReport {
  changes: FieldChanges;
}

/** A dry run: what `apply` would do now. `project` is null when the input leaves the project's settings out. */
export type SyncPlan = Record<SyncKindName, SyncKindReport> & { project: SyncProjectReport | null };

export interface SyncObjects {
  schedules: Schedule;
  monitors: Monitor;
  jobs: Job;
}

/**
 * What `apply` did, and the object of every entry after it, in the input's order; for the
 * project's settings (null when the input leaves them out), the project after it.
 */
export type SyncResult = { [K in SyncKindName]: SyncKindReport<SyncExisting> & { objects: SyncObjects[K][] } } & {
  project: (SyncProjectReport & { object: Project }) | null;
};

/** What a sync needs of the core: the services its kinds and its project step write through. */
export interface SyncDeps extends SyncKindDeps {
  projects: ProjectService;
}

type Obj = { id: string };
type Kind = SyncKind<object, Obj>;

interface Entry {
  place: string;
  key: string;
  entry: object;
  desired: Obj;
}

type Step =
  | { op: 'create'; index: number; e: Entry }
  | { op: 'update'; index: number; e: Entry; stored: Obj; changes: FieldChanges }
  | { op: 'keep'; index: number; e: Entry; stored: Obj }
  | { op: 'delete'; key: string; stored: Obj };

/** What became of one entry in `apply`. */
interface Outcome {
  category: 'created' | 'updated' | 'unchanged';
  item: SyncExisting | SyncChanged;
  object: Obj;
}

interface KindPlan {
  kind: Kind;
  steps: Step[];
}

interface Prepared {
  kinds: KindPlan[];
  /** null: the input leaves the project's settings out. */
  project: ProjectStepPlan | null;
}

/** Writes of one sync in flight at once (each is a few statements through its service). */
const WRITE_CONCURRENCY = 4;
/** Entries built between two turns of the event loop. */
const BUILD_SLICE = 200;

/**
 * Declarative sync: brings one project's schedules, monitors and one-time jobs to the state an
 * input describes, matched by key, and reports created / updated (with from/to per field) /
 * deleted / unchanged. Shared by every surface that offers it (the Prikke `PUT /sync`, the CLI's
 * `tock sync`).
 *
 * Order of work: the input is parsed and every entry built by its kind's own rules, and the
 * scopes of every kind it names are checked, before anything is read or written; a bad entry
 * fails the whole sync naming its place (`schedules[2].cron`). The stored objects are then read
 * in a few paged statements (see stored.ts), compared with what each entry makes, and only what
 * differs is written.
 *
 * Why per-object writes and not one transaction: each write is the kind's own service call
 * (create, update, delete), which opens its own unit of work and wakes the timer or cancels
 * pending runs after its commit; one transaction around them would need every service to take
 * a caller's transaction and defer those side effects. Per-object writes are safe because:
 * - nothing is written before every entry is valid, so bad input changes nothing;
 * - a concurrent writer cannot make duplicates: the unique key indexes (schedules, monitors)
 *   and the idempotency index (jobs) refuse a second object with the same key. A write that
 *   loses such a race (a create whose key another writer took, an update of an object another
 *   writer deleted) is planned again once against what is stored now; losing twice fails with
 *   a FailedPreconditionError naming the entry. (The services' updates do not yet report a
 *   delete that lands between their own read and write: such an update is reported done, and
 *   the next sync creates the object again);
 * - the outcome is the input's, not the order's: a sync that stops part-way (the database went
 *   away) leaves each object either as it was or as the input says, and running the same sync
 *   again finishes it. Deletions come last, so a partial sync never removes before it adds.
 *
 * The project's settings (its notification channels) are a step of their own beside the kinds
 * (see project.ts): checked, scoped (`read:projects` / `write:projects`) and compared with the
 * entries, and written after the entries' creates and updates, before any deletion.
 */
export class SyncService {
  private readonly kinds: Kind[];
  private readonly project: ProjectStep;

  constructor(deps: SyncDeps) {
    this.kinds = [scheduleKind(deps), monitorKind(deps), jobKind(deps)] as unknown as Kind[];
    this.project = new ProjectStep(deps.projects);
  }

  /** What `apply` would do, writing nothing. Needs only the read scopes of the kinds named. */
  async plan(actor: Actor, input: SyncInput, opts: SyncOptions = {}): Promise<SyncPlan> {
    const { kinds: plans, project } = await this.prepare(actor, input, opts, 'read');
    const out = emptyReport();
    out.project = project && { changes: project.changes };
    for (const { kind, steps } of plans) {
      const r = out[kind.name];
      for (const s of steps) {
        if (s.op === 'create') r.created.push({ key: s.e.key });
        else if (s.op === 'update') r.updated.push({ key: s.e.key, id: s.stored.id, changes: s.changes });
        else if (s.op === 'keep') r.unchanged.push({ key: s.e.key, id: s.stored.id });
        else r.deleted.push({ key: s.key, id: s.stored.id });
      }
    }
    return out;
  }

  /** Makes the project match the input. Applying the same input again writes nothing. */
  async apply(actor: Actor, input: SyncInput, opts: SyncApplyOptions = {}): Promise<SyncResult> {
    const { kinds: plans, project } = await this.prepare(actor, input, opts, 'write');
    // Outcomes are filled in by entry index, so the report keeps the input's order whatever
    // write finishes first.
    const outcomes = plans.map(() => [] as Outcome[]);
    const writes: Array<() => Promise<void>> = [];
    const deletes: Array<() => Promise<void>> = [];
    plans.forEach(({ kind, steps }, k) => {
      for (const s of steps) {
        if (s.op === 'keep') outcomes[k][s.index] = { category: 'unchanged', item: { key: s.e.key, id: s.stored.id }, object: s.stored };
        else if (s.op === 'delete') deletes.push(() => kind.remove!(actor, s.stored));
        else writes.push(async () => void (outcomes[k][s.index] = await this.write(actor, kind, s)));
      }
    });
    let projectAfter: Project | null = project && project.stored;
    if (project && Object.keys(project.changes).length > 0) writes.push(async () => void (projectAfter = await this.project.apply(actor, project)));
    const total = writes.length + deletes.length;
    let done = 0;
    opts.onProgress?.({ done, total });
    const counted = (w: () => Promise<void>) => async () => {
      await w();
      opts.onProgress?.({ done: ++done, total });
    };
    await runLimited(writes.map(counted), WRITE_CONCURRENCY);
    await runLimited(deletes.map(counted), WRITE_CONCURRENCY);

    const out = emptyResult();
    out.project = project && { changes: project.changes, object: projectAfter! };
    plans.forEach(({ kind, steps }, k) => {
      const r = out[kind.name] as SyncKindReport<SyncExisting> & { objects: Obj[] };
      for (const o of outcomes[k]) {
        r[o.category].push(o.item as SyncChanged);
        r.objects.push(o.object);
      }
      for (const s of steps) if (s.op === 'delete') r.deleted.push({ key: s.key, id: s.stored.id });
    });
    return out;
  }

  /** Creates or updates one entry; a write that lost a race is planned again once. */
  private async write(
    actor: Actor,
    kind: Kind,
    s: Extract<Step, { op: 'create' | 'update' }>,
  ): Promise<Outcome> {
    const first = await this.attempt(actor, kind, s);
    if (first) return first;
    const [stored] = await kind.load(actor, [s.e.key]);
    const again: Extract<Step, { op: 'create' | 'update' }> | Extract<Step, { op: 'keep' }> = stored
      ? this.compare(kind, s.e, stored, s.index)
      : { op: 'create', index: s.index, e: s.e };
    if (again.op === 'keep') return { category: 'unchanged', item: { key: s.e.key, id: again.stored.id }, object: again.stored };
    const second = await this.attempt(actor, kind, again);
    if (second) return second;
    throw new FailedPreconditionError(
      `${s.e.place}: ${kind.resource} '${s.e.key}' was changed by another writer while this sync ran; run the sync again`,
    );
  }

  private async attempt(
    actor: Actor,
    kind: Kind,
    s: Extract<Step, { op: 'create' | 'update' }>,
  ): Promise<Outcome | null> {
    if (s.op === 'create') {
      const object = await kind.create(actor, s.e.entry);
      return object && { category: 'created', item: { key: s.e.key, id: object.id }, object };
    }
    const patch = Object.fromEntries(Object.keys(s.changes).map((f) => [f, (s.e.desired as Record<string, unknown>)[f]]));
    const object = await kind.update!(actor, s.stored, patch as Partial<Obj>);
    return object && { category: 'updated', item: { key: s.e.key, id: object.id, changes: s.changes }, object };
  }

  private async prepare(actor: Actor, input: SyncInput, opts: SyncOptions, access: 'read' | 'write'): Promise<Prepared> {
    const p = parse(syncInput, input);
    const named = this.kinds.filter((k) => p[k.name] !== undefined);
    for (const k of named) requireScope(actor.scopes, access === 'read' ? k.readScope : k.writeScope);
    if (p.project !== undefined) this.project.checkScope(actor, access);
    let settings: ProjectSettings | null = null;
    try {
      settings = p.project === undefined ? null : this.project.build(p.project);
    } catch (err) {
      throw err instanceof TockError ? placed(err, 'project') : err;
    }
    const built: Array<{ kind: Kind; entries: Entry[] }> = [];
    for (const kind of named) {
      const entries: Entry[] = [];
      for (const [i, entry] of (p[kind.name] as object[]).entries()) {
        // Building checks cron expressions (tens of microseconds each): a file of thousands of
        // entries lets the timers of this process run in between.
        if (i > 0 && i % BUILD_SLICE === 0) await setImmediate();
        const place = `${kind.name}[${i}]`;
        try {
          entries.push({ place, key: kind.matchOf(entry), entry, desired: kind.build(actor, entry) });
        } catch (err) {
          throw err instanceof TockError ? placed(err, place) : err;
        }
      }
      built.push({ kind, entries });
    }
    const plans: KindPlan[] = [];
    for (const { kind, entries } of built) {
      const prune = opts.prune === true && kind.remove !== undefined;
      const stored = new Map<string, Obj>();
      for (const o of await kind.load(actor, prune ? 'all' : entries.map((e) => e.key))) stored.set(kind.storedMatchOf(o)!, o);
      const steps: Step[] = entries.map((e, index) => {
        const s = stored.get(e.key);
        return s ? this.compare(kind, e, s, index) : { op: 'create', index, e };
      });
      if (prune) {
        const names = new Set(entries.map((e) => e.key));
        for (const [key, s] of stored) if (!names.has(key)) steps.push({ op: 'delete', key, stored: s });
      }
      plans.push({ kind, steps });
    }
    return { kinds: plans, project: settings && (await this.project.plan(actor, settings)) };
  }

  private compare(kind: Kind, e: Entry, stored: Obj, index: number): Extract<Step, { op: 'update' | 'keep' }> {
    const changes = changesOf(stored as Record<string, unknown>, e.desired as Record<string, unknown>, kind.comparedFields(e.entry));
    if (Object.keys(changes).length === 0) return { op: 'keep', index, e, stored };
    if (!kind.update) {
      throw placed(new IdempotencyConflictError(e.key, stored.id), e.place, `differs in ${Object.keys(changes).map((f) => fieldPath([f])).join(', ')}`);
    }
    return { op: 'update', index, e, stored, changes };
  }
}

function emptyReport(): SyncPlan {
  const kind = (): SyncKindReport => ({ created: [], updated: [], deleted: [], unchanged: [] });
  return { schedules: kind(), monitors: kind(), jobs: kind(), project: null };
}

function emptyResult(): SyncResult {
  const kind = () => ({ created: [], updated: [], deleted: [], unchanged: [], objects: [] });
  return { schedules: kind(), monitors: kind(), jobs: kind(), project: null };
}

/**
 * The error an entry's own check threw, placed under the entry: its field becomes
 * `schedules[2].cron` and its message starts with that path. Class and code stay, so surfaces
 * map it as they map the same error from a single create. The error is this call's own, so it
 * is changed in place.
 */
function placed<E extends TockError>(err: E, place: string, detail?: string): E {
  const own = (err as { field?: string | null }).field ?? null;
  const field = own ? `${place}.${own}` : place;
  const body = own && err.message.startsWith(`${own}: `) ? err.message.slice(own.length + 2) : err.message;
  Object.defineProperty(err, 'message', { value: `${field}: ${body}${detail ? ` (${detail})` : ''}`, configurable: true, writable: true });
  Object.defineProperty(err, 'field', { value: field, enumerable: true, configurable: true, writable: true });
  return err;
}

/** Runs the tasks with at most `limit` in flight; the first failure stops new ones and is thrown once the running ones end. */
async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const lane = async () => {
    while (!failure && next < tasks.length) {
      const task = tasks[next++];
      try {
        await task();
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failure) throw (failure as { err: unknown }).err;
}
