import { z } from 'zod';
import type { SyncExisting, SyncInput, SyncKeyed, SyncKindName, SyncKindReport, SyncProgress, SyncResult } from '../../../core/sync/index.js';
import type { Core } from '../../../core/index.js';
import * as wire from '../codec.js';
import { toTRPCError } from '../errors.js';
import { envelope } from '../inputs.js';
import { projectProcedure as p, router } from '../trpc.js';

/**
 * Declarative sync of the project (the core's sync engine, see docs/sync.md): `plan` says what
 * `run` would do, `run` does it. The sync document itself (`desired`) is the core's input and
 * is parsed by the core; the envelope adds `prune`.
 *
 * Both are mutations so the document travels as a POST body: a file of thousands of entries
 * does not fit in a URL. `plan` writes nothing. (The second is `run`, not `apply`: tRPC reserves
 * `apply`, `call` and `then` as procedure names.)
 */

const syncRequest = envelope(
  z
    .object({
      /** The sync document: `{ schedules?, monitors?, jobs? }` (docs/tock-sync.schema.json). */
      desired: z.looseObject({}, { message: 'must be an object (the sync document)' }),
      /** Also delete keyed schedules and monitors the document no longer names. */
      prune: z.boolean().optional(),
    })
    .strict(),
);
const parseSyncRequest = (raw: unknown) => syncRequest(raw) as { desired: SyncInput; prune?: boolean };

/** A value as JSON carries it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A changed field on the wire: its stored value and the value the document makes it. */
export interface WireFieldChange {
  from: JsonValue;
  to: JsonValue;
}
/** A stored object the sync changes, with each changed field (domain field names). */
export interface WireSyncChanged extends SyncExisting {
  changes: Record<string, WireFieldChange>;
}
/** What a sync does to one kind, on the wire. */
export interface WireSyncKindReport<Created extends SyncKeyed = SyncKeyed> {
  created: Created[];
  updated: WireSyncChanged[];
  deleted: SyncExisting[];
  unchanged: SyncExisting[];
}
/** `sync.plan`: per kind, what `sync.run` would create, update (field from -> to), delete, leave. */
export type WireSyncPlan = Record<SyncKindName, WireSyncKindReport>;
/** `sync.run`'s result: the report, and every entry's object after the sync, in the document's order. */
export interface WireSyncResult {
  schedules: WireSyncKindReport<SyncExisting> & { objects: wire.WireSchedule[] };
  monitors: WireSyncKindReport<SyncExisting> & { objects: wire.WireMonitor[] };
  jobs: WireSyncKindReport<SyncExisting> & { objects: wire.WireJob[] };
}
/** What `sync.run` streams: progress while it writes (the latest only, when the reader is slower), then the result once. */
export type WireSyncEvent = { progress: SyncProgress } | { result: WireSyncResult };

/** A stored or desired field value as JSON: Dates as ISO strings, absent as null. */
const jsonValue = (v: unknown): JsonValue => (v === undefined ? null : (JSON.parse(JSON.stringify(v)) as JsonValue));

/** One kind's report on the wire, without its domain objects (the codec renders those). */
function report<C extends SyncKeyed>(r: SyncKindReport<C>): WireSyncKindReport<C> {
  return {
    created: r.created,
    updated: r.updated.map((u) => ({
      key: u.key,
      id: u.id,
      changes: Object.fromEntries(Object.entries(u.changes).map(([f, c]) => [f, { from: jsonValue(c.from), to: jsonValue(c.to) }])),
    })),
    deleted: r.deleted,
    unchanged: r.unchanged,
  };
}

export const syncRouter = router({
  plan: p.input(parseSyncRequest).mutation(async ({ ctx, input }): Promise<WireSyncPlan> => {
    const plan = await ctx.core.sync.plan(ctx.actor, input.desired, { prune: input.prune });
    return { schedules: report(plan.schedules), monitors: report(plan.monitors), jobs: report(plan.jobs) };
  }),
  /**
   * Streams `{ progress: { done, total } }` while writing and ends with `{ result }` (JSON lines:
   * call it through tRPC's `httpBatchStreamLink`). A failure, input errors included, ends the
   * stream with the error instead of the result; nothing is written before the whole document
   * is valid. A caller that goes away does not stop the sync: it finishes, as a rerun would.
   */
  run: p.input(parseSyncRequest).mutation(async function* ({ ctx, input, path }): AsyncGenerator<WireSyncEvent, void, unknown> {
    const { core, actor } = ctx;
    try {
      for await (const e of withProgress<SyncProgress, SyncResult>((onProgress) => core.sync.apply(actor, input.desired, { prune: input.prune, onProgress }))) {
        yield 'progress' in e ? e : { result: syncResult(core, e.result) };
      }
    } catch (err) {
      // Thrown while streaming: the procedure's error middleware has already returned.
      throw toTRPCError(err, ctx.logger, { path });
    }
  }),
});

function syncResult(core: Core, r: SyncResult): WireSyncResult {
  return {
    schedules: { ...report(r.schedules), objects: r.schedules.objects.map(wire.schedule) },
    monitors: { ...report(r.monitors), objects: r.monitors.objects.map((m) => wire.monitor(core, m)) },
    jobs: { ...report(r.jobs), objects: r.jobs.objects.map(wire.job) },
  };
}

type Settled<R> = { ok: true; value: R } | { ok: false; err: unknown };

/**
 * Runs `work` and yields its progress as it comes, then its result. Progress that arrives
 * faster than the reader takes it is coalesced to the latest, so a slow reader never holds a
 * backlog; the work itself never waits for the reader.
 */
async function* withProgress<P, R>(work: (onProgress: (p: P) => void) => Promise<R>): AsyncGenerator<{ progress: P } | { result: R }, void, unknown> {
  const state: { latest: P | null; settled: Settled<R> | null; wake: (() => void) | null } = { latest: null, settled: null, wake: null };
  const notify = () => {
    const wake = state.wake;
    state.wake = null;
    wake?.();
  };
  work((p) => {
    state.latest = p;
    notify();
  }).then(
    (value) => {
      state.settled = { ok: true, value };
      notify();
    },
    (err: unknown) => {
      state.settled = { ok: false, err };
      notify();
    },
  );
  for (;;) {
    if (state.latest !== null) {
      const progress = state.latest;
      state.latest = null;
      yield { progress };
      continue;
    }
    const settled = state.settled;
    if (settled) {
      if (!settled.ok) throw settled.err;
      yield { result: settled.value };
      return;
    }
    await new Promise<void>((resolve) => (state.wake = resolve));
  }
}
