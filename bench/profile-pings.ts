/**
 * `npx tsx bench/profile-pings.ts [--seconds 10] [--warmup-seconds 3] [--rate 2000] [--monitors 10000] [--no-profile] [--keep DIR]`
 *
 * A Tock server (`startTock`, scheduler on, ping rate limits lifted) on a fresh database in its
 * own process under `node --cpu-prof`, `--monitors` monitors stored with SQL, and the monitors
 * workload's ping driver (bench/monitors/ping-driver.ts) sending `GET /ping/<token>` paced at
 * `--rate` for `--seconds` after `--warmup-seconds` of the same. Prints the pings/s answered and
 * their latency, then the server's top functions by self time, by package, and the repository's
 * own functions by total (inclusive) time. `--no-profile` measures without the profiler.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { forkTs, type ChildRpc } from './lib/child.js';
import { inclusiveProfile, summarizeProfile } from './lib/cpuprofile.js';
import { createFreshDatabase } from './lib/db.js';
import type { PingLoadResult } from './monitors/ping-driver.js';
import type { TockServerInfo } from './targets/tock-server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string', default: '3' },
    rate: { type: 'string', default: '2000' },
    monitors: { type: 'string', default: '10000' },
    'no-profile': { type: 'boolean', default: false },
    keep: { type: 'string' },
    top: { type: 'string', default: '15' },
  },
});
const profile = !args['no-profile'];
const rate = Number(args.rate);

const db = await createFreshDatabase('tock_profile_pings');
const dir = args.keep ?? mkdtempSync(path.join(os.tmpdir(), 'tock-prof-'));
const server = await forkTs('targets/tock-server.ts', [], {
  label: 'tock server',
  execArgv: profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [],
});
let driver: ChildRpc | null = null;
try {
  const info = await server.call<TockServerInfo>('start', {
    dbUrl: db.url,
    scheduler: true,
    env: { TOCK_PING_RATE_PER_TOKEN: '1000000000', TOCK_PING_RATE_PER_IP: '1000000000' },
  });
  const seeded = await server.call<Array<{ token: string }>>('seedMonitors', { count: Number(args.monitors), periodSeconds: 3_600, graceSeconds: 60 });
  const tokens = seeded.map((m) => m.token);
  driver = await forkTs('monitors/ping-driver.ts', [], { label: 'ping driver' });
  const load = (seconds: number) => driver!.call<PingLoadResult>('paced', { baseUrl: info.httpUrl, tokens, rate, durationMs: seconds * 1_000, connections: 128 });
  await load(Number(args['warmup-seconds']));
  const r = await load(Number(args.seconds));
  console.log(
    `pings paced at ${rate}/s for ${args.seconds} s over ${tokens.length} monitors: ${r.achievedPerS.toFixed(0)}/s answered, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms, ${r.ok}/${r.sent} answered 200${r.firstError ? ` (${r.firstError})` : ''}`,
  );
} finally {
  if (driver) {
    await driver.call('close').catch(() => {});
    await driver.close().catch(() => {});
  }
  await server.call('stop').catch(() => {});
  await server.close(30_000);
  await db.drop().catch(() => {});
}

if (profile) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const top = Number(args.top);
  const full = path.join(dir, file);
  const { totalMs, functions, packages } = summarizeProfile(full, top);
  const line = (f: { ms: number; share: number; name: string }) => console.log(`  ${f.ms.toFixed(0).padStart(7)} ms ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.name}`);
  console.log(`\nserver CPU profile: ${(totalMs / 1000).toFixed(1)} s sampled (${full})`);
  console.log('\ntop functions by self time:');
  functions.forEach(line);
  console.log('\nby package:');
  packages.forEach(line);
  console.log("\nTock's own functions by total time:");
  inclusiveProfile(full, top, (name) => / server\//.test(name)).forEach(line);
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
