/**
 * `npx tsx bench/profile-recurring.ts [--calls 1000] [--seconds 6] [--one-time] [--executor-only] [--options JSON]`
 *
 * Where the lateness of calls due at the same instant comes from. `--calls` calls are due at each
 * whole second for `--seconds` seconds, sent to the bench sink (its own process), and each call's
 * lateness is taken at three points:
 * - claim: how long before the due second the claim steps that took its ticks were answered (the
 *   timer's own `claim step` debug lines; the least of that second is shown; negative = after
 *   the due time);
 * - fire: when the timer handed the call to the executor (the executor is wrapped here);
 * - sink: when the request head reached the sink (what `npm run bench` reports).
 * Default: `--calls` every-second cron schedules (as the `recurring` workload stores them), the
 * scheduler in this process. `--one-time`: the same number of one-time jobs due at each second
 * instead (the same fan-out without schedules). `--executor-only`: no database and no timer, the
 * executor alone sends the signed calls at each second (the floor of the fan-out on this machine).
 * Prints one line per second (the first ones show a cold process) and the totals.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createFreshDatabase } from './lib/db.js';
import { SinkClient } from './lib/sink-client.js';
import { percentileSorted } from './lib/stats.js';
import { TockTarget } from './targets/tock.js';
import { HttpExecutor, TargetPolicy, generateSigningSecret, type OutboundCall } from '../server/executor/index.js';
import { Database } from '../server/store/database.js';
import { startScheduler } from '../server/timer/index.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '6' },
    'one-time': { type: 'boolean', default: false },
    'executor-only': { type: 'boolean', default: false },
    options: { type: 'string' },
  },
});
const calls = Number(args.calls);
const seconds = Number(args.seconds);
const timerOptions = args.options ? (JSON.parse(args.options) as Record<string, unknown>) : {};

const sink = await SinkClient.start();
const executor = new HttpExecutor({ policy: new TargetPolicy(['127.0.0.1/32', 'localhost']) });
await executor.warmUp();
/** Due second -> lateness (ms) at the moment the executor was called. */
const fired = new Map<number, number[]>();
/** Due second -> claim answers (ms before the due second). */
const claims = new Map<number, number[]>();
const dueOf = (call: OutboundCall) => Number(call.headers['x-due-at'] ?? Date.parse(call.headers['x-tock-scheduled-at']));
const wrapped = {
  execute(call: OutboundCall) {
    const due = dueOf(call);
    let list = fired.get(due);
    if (!list) fired.set(due, (list = []));
    list.push(Date.now() - due);
    return executor.execute(call);
  },
};

let cleanup: () => Promise<void> = async () => {};
let first: number;
if (args['executor-only']) {
  first = Math.ceil((Date.now() + 1500) / 1000) * 1000;
  await sink.reset({ dueFromMs: first, dueToMs: first + (seconds - 1) * 1000 });
  const secrets = [generateSigningSecret()];
  const pending: Promise<unknown>[] = [];
  for (let k = 0; k < seconds; k++) {
    const due = first + k * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    for (let i = 0; i < calls; i++) {
      const id = `c${k}-${i}`;
      pending.push(wrapped.execute({ url: `${sink.url}/t`, method: 'POST', headers: { 'x-due-at': String(due), 'x-job-id': id }, body: null, signing: { id, secrets } }));
    }
  }
  await Promise.all(pending);
} else {
  const fresh = await createFreshDatabase('profile_recurring');
  const target = new TockTarget({});
  await target.setup(fresh.url, sink.url);
  first = Math.ceil((Date.now() + 3000 + calls * 0.5) / 1000) * 1000;
  await sink.reset({ dueFromMs: first, dueToMs: first + (seconds - 1) * 1000 });
  const t0 = performance.now();
  if (args['one-time']) {
    const jobs = [];
    for (let k = 0; k < seconds; k++) for (let i = 0; i < calls; i++) jobs.push({ id: `o${k}-${i}`, dueAtMs: first + k * 1000 });
    await target.scheduleAt(jobs);
  } else {
    await target.seedRecurring(calls, '* * * * * *', first);
  }
  console.log(`seeded in ${Math.round(performance.now() - t0)} ms`);
  const db = await Database.connect({ url: fresh.url, poolSize: 10 });
  const debug = (obj: object, msg?: string) => {
    if (msg !== 'timer: claim step') return;
    const now = Date.now();
    // A claim step starts within a second before what it claims is due (lead + batch < 1 s by
    // default): its ticks' second is the first whole second from its start.
    const due = Math.ceil((now - (obj as { ms: number }).ms) / 1000) * 1000;
    let list = claims.get(due);
    if (!list) claims.set(due, (list = []));
    list.push(due - now);
  };
  const log = (obj: object, msg?: string) => console.error(msg ?? '', JSON.stringify(obj));
  const timer = await startScheduler({ db, databaseUrl: fresh.url, executor: wrapped, logger: { debug, info: () => {}, warn: log, error: log }, options: timerOptions });
  console.log(`scheduler started ${first - Date.now()} ms before the first due second`);
  const last = first + (seconds - 1) * 1000;
  while (Date.now() < last + 2000 && (await sink.count()) < calls * seconds) await new Promise((r) => setTimeout(r, 200));
  cleanup = async () => {
    await timer.stop(5_000);
    await db.close();
    await target.stop();
    await fresh.drop();
  };
}
for (let i = 0; i < 100 && (await sink.count()) < calls * seconds; i++) await new Promise((r) => setTimeout(r, 100));

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? '-' : `${percentileSorted(s, 50).toFixed(0)}/${percentileSorted(s, 99).toFixed(0)}`;
};
const timeline = await sink.timeline(1000);
console.log(`${calls} calls due at each second (${args['executor-only'] ? 'executor only' : args['one-time'] ? 'one-time jobs' : 'every-second schedules'})`);
console.log('second | claim answered before due (ms, min) | fire p50/p99 ms | sink p50/max ms');
for (let k = 0; k < seconds; k++) {
  const due = first + k * 1000;
  const c = claims.get(due);
  const tl = timeline[k];
  console.log(`${String(k + 1).padStart(6)} | ${c ? Math.min(...c) : '-'} | ${stats(fired.get(due) ?? [])} | ${tl ? `${tl.p50.toFixed(0)}/${tl.max.toFixed(0)}` : '-'}`);
}
const s = await sink.stats();
console.log(
  `all: fire ${stats([...fired.values()].flat())}; sink p50 ${s.latenessP50.toFixed(1)}, p99 ${s.latenessP99.toFixed(1)}, max ${s.latenessMax.toFixed(1)} ms; delivered ${s.unique}/${calls * seconds}, dups ${s.duplicates}`,
);
await cleanup();
await executor.close?.();
await sink.close();
process.exit(0);
