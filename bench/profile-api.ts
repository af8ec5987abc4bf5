/**
 * `npx tsx bench/profile-api.ts [--seconds 10] [--warmup-seconds 3] [--creates 50] [--gets 1] [--batches 0] [--no-profile] [--keep DIR]`
 *
 * A Tock server (`startTock`, TOCK_SCHEDULER=false) on a fresh database in its own process under
 * `node --cpu-prof`, driven from this process over gRPC: `--gets` calls in flight of
 * `GetSchedule` with an unknown schedule id (authentication, project, one lookup, NOT_FOUND) and
 * `--creates` calls in flight of `CreateJob` (due in an hour) and `--batches` calls in flight of
 * `CreateJobs` with 1,000 such jobs each for `--seconds`, after
 * `--warmup-seconds` of the same load (JIT, pools, prepared statements). Prints each load's
 * calls/s and latency, then the server's top functions and packages by self time. 0 turns a
 * load off. `--no-profile` measures without the profiler's overhead.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { createGrpcClients, Job, type TockGrpcClients } from '../client/src/grpc.js';
import { newId } from '../server/core/ids.js';
import { forkTs } from './lib/child.js';
import { summarizeProfile } from './lib/cpuprofile.js';
import { createFreshDatabase } from './lib/db.js';
import { summarize } from './lib/stats.js';
import type { TockServerInfo } from './targets/tock-server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '3' },
    creates: { type: 'string', default: '50' },
    batches: { type: 'string', default: '0' },
    gets: { type: 'string', default: '1' },
    'no-profile': { type: 'boolean', default: false },
    keep: { type: 'string' },
    top: { type: 'string', default: '10' },
  },
});
const seconds = Number(args.seconds);
const profile = !args['no-profile'];

function unary<Req, Res>(fn: (req: Req, cb: (err: (Error & { code?: number }) | null, res?: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res as Res))));
}

/** `inFlight` loops of `call` until `untilMs`; `ok` decides which errors are the expected answer. */
async function drive(inFlight: number, untilMs: number, call: () => Promise<unknown>, ok: (err: { code?: number }) => boolean) {
  const lat: number[] = [];
  let errors = 0;
  let firstError = '';
  const loop = async () => {
    while (performance.now() < untilMs) {
      const t = performance.now();
      try {
        await call();
      } catch (err) {
        if (!ok(err as { code?: number })) {
          errors++;
          firstError ||= (err as Error).message;
        }
      }
      lat.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  const s = summarize(lat);
  return { calls: lat.length, perS: (lat.length * 1000) / (performance.now() - t0), p50: s.p50, p99: s.p99, errors, firstError };
}

const db = await createFreshDatabase('tock_profile');
const dir = args.keep ?? mkdtempSync(path.join(os.tmpdir(), 'tock-prof-'));
const server = await forkTs('targets/tock-server.ts', [], {
  label: 'tock server',
  execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [],
});
let clients: TockGrpcClients | null = null;
try {
  const info = await server.call<TockServerInfo>('start', { dbUrl: db.url, scheduler: false });
  clients = createGrpcClients({ address: info.grpcAddress, apiKey: info.apiKey });
  const c = clients;
  const createJob = () =>
    unary(c.jobs.createJob.bind(c.jobs), {
      job: Job.fromPartial({ url: 'http://127.0.0.1:9/hook', body: '{"n":1}', scheduledAt: new Date(Date.now() + 3_600_000) }),
    });
  const batch = () => Array.from({ length: 1000 }, (_, n) => Job.fromPartial({ url: 'http://127.0.0.1:9/hook', body: `{"n":${n}}`, scheduledAt: new Date(Date.now() + 3_600_000) }));
  const createJobs = () => unary(c.jobs.createJobs.bind(c.jobs), { jobs: batch() });
  const getUnknown = () => unary(c.schedules.getSchedule.bind(c.schedules), { id: newId('schedule') });
  // Warm-up: JIT, connection pools, caches, prepared statements.
  const warmUntil = performance.now() + Number(args['warmup-seconds']) * 1000;
  await Promise.all([
    drive(Number(args.creates) || 1, warmUntil, createJob, () => false),
    drive(Number(args.gets) || 1, warmUntil, getUnknown, (e) => e.code === status.NOT_FOUND),
    Number(args.batches) > 0 ? drive(Number(args.batches), warmUntil, createJobs, () => false) : null,
  ]);
  const until = performance.now() + seconds * 1000;
  const [gets, creates, batches] = await Promise.all([
    Number(args.gets) > 0 ? drive(Number(args.gets), until, getUnknown, (e) => e.code === status.NOT_FOUND) : null,
    Number(args.creates) > 0 ? drive(Number(args.creates), until, createJob, () => false) : null,
    Number(args.batches) > 0 ? drive(Number(args.batches), until, createJobs, () => false) : null,
  ]);
  const line = (what: string, r: Awaited<ReturnType<typeof drive>> | null) =>
    r && console.log(`${what}: ${r.perS.toFixed(0)} calls/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.calls} calls, ${r.errors} unexpected errors${r.firstError ? ` (${r.firstError})` : ''}`);
  line(`GetSchedule unknown id, ${args.gets} in flight`, gets);
  line(`CreateJob, ${args.creates} in flight`, creates);
  line(`CreateJobs of 1,000 jobs, ${args.batches} in flight`, batches);
} finally {
  clients?.close();
  await server.call('stop').catch(() => {});
  await server.close(30_000);
  await db.drop().catch(() => {});
}

if (profile) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const { totalMs, functions, packages } = summarizeProfile(path.join(dir, file), Number(args.top));
  console.log(`\nserver CPU profile: ${(totalMs / 1000).toFixed(1)} s sampled (${path.join(dir, file)})`);
  console.log('\ntop functions by self time:');
  for (const f of functions) console.log(`  ${f.ms.toFixed(0).padStart(7)} ms ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.name}`);
  console.log('\nby package:');
  for (const f of packages) console.log(`  ${f.ms.toFixed(0).padStart(7)} ms ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.name}`);
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
