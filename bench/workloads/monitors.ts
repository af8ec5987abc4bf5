import { readFileSync } from 'node:fs';
import { forkTs, type ChildRpc } from '../lib/child.js';
import { createFreshDatabase } from '../lib/db.js';
import { fmt, markdownTable, type Cell } from '../lib/markdown.js';
import { median, percentileSorted } from '../lib/stats.js';
import type { PingLoadResult } from '../monitors/ping-driver.js';
import type { TockServerInfo } from '../targets/tock-server.js';
import { sleep, type BenchContext } from './common.js';

/**
 * Heartbeat monitors on one node. Each cell: a fresh database, a Tock server from `startTock`
 * (scheduler on, as `npm start` runs it) in its own process with the ping rate limits lifted
 * (the numbers measure the ping path, the limiter's check included, not the limit), and a ping
 * driver in another (bench/monitors/ping-driver.ts: undici keep-alive pool, `GET /ping/<token>`).
 *
 * - pings: `monitors` monitors stored with SQL (period 1 h), a warm-up, then pings paced at each
 *   of `rates` for `stepS` seconds, round-robin over the monitors. Per step: pings/s answered,
 *   p50/p99 latency from each ping's planned send time, and whether every ping was persisted:
 *   the step's growth of the ping log (rows of `pings`) and of the monitors' `ping_count`, both
 *   counted after the step (a ping is answered after its write commits). A step holds when every
 *   ping answered 200 and was persisted, p99 <= the goal, and the rate reached 95% of the target.
 * - down: `downMonitors` monitors with period 1 s and grace 1 s (among `monitors` in all), each
 *   pinged once in one burst at a whole second, so their deadlines (last ping + period + grace)
 *   pass within the same second. Lateness = the `at` of the monitor's first `monitor.down` flip
 *   (the flips row its down decision writes) - its deadline. The wait is bounded: monitors not
 *   down `downWaitS` after the last deadline are counted as not reported.
 */

export interface MonitorsOptions {
  monitors: number;
  rates: number[];
  stepS: number;
  warmupS: number;
  connections: number;
  downMonitors: number;
  downWaitS: number;
}

export const MONITOR_GOALS = { pingsPerS: 2_000, p99Ms: 25, downWithinMs: 2_000 } as const;

/**
 * A step stops sending once this much of its rate is out unanswered (it does not hold then), and
 * the ramp stops after a step that answered less than half its rate: higher ones hold less.
 */
const MAX_BACKLOG_MS = 5_000;

export interface PingStep {
  rate: number;
  sent: number;
  /** Pings of the step not sent: more than MAX_BACKLOG_MS of them were out unanswered. */
  abandoned: number;
  ok: number;
  non200: number;
  firstError: string | null;
  achievedPerS: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU time (user + system) of the server process per ping answered, µs (Linux /proc; NaN elsewhere). */
  serverCpuUsPerPing: number;
  /** CPU time of the PostgreSQL backends serving the bench database per ping answered, µs (Linux /proc). */
  dbCpuUsPerPing: number;
  /** Growth of the ping log (rows of `pings`) over the step. */
  logged: number;
  /** Growth of sum(monitors.ping_count) over the step. */
  counted: number;
  holds: boolean;
}

export interface MonitorsPingResult {
  monitors: number;
  steps: PingStep[];
  /** Highest step rate that held (0 = none). */
  highestHeld: number;
}

export interface MonitorsDownResult {
  monitors: number;
  pinged: number;
  /** Last deadline - first deadline (the burst's spread). */
  deadlineSpreadMs: number;
  reported: number;
  waitS: number;
  within2s: number;
  p50: number;
  p99: number;
  max: number;
}

const LIFTED_LIMITS = { TOCK_PING_RATE_PER_TOKEN: '1000000000', TOCK_PING_RATE_PER_IP: '1000000000' };

async function withMonitorCell<T>(label: string, ctx: BenchContext, fn: (server: ChildRpc, driver: ChildRpc, info: TockServerInfo) => Promise<T>): Promise<T> {
  const db = await createFreshDatabase(`tock_${label}`);
  let server: ChildRpc | null = null;
  let driver: ChildRpc | null = null;
  try {
    server = await forkTs('targets/tock-server.ts', [], { label: 'tock server' });
    const info = await server.call<TockServerInfo>('start', { dbUrl: db.url, scheduler: true, sinkUrl: ctx.sink.url, env: LIFTED_LIMITS });
    driver = await forkTs('monitors/ping-driver.ts', [], { label: 'ping driver' });
    return await fn(server, driver, info);
  } finally {
    if (driver) {
      await driver.call('close').catch(() => {});
      await driver.close().catch(() => {});
    }
    if (server) {
      await server.call('stop').catch(() => {});
      await server.close().catch(() => {});
    }
    await db.drop().catch((err) => ctx.log(`  (could not drop ${db.name}: ${(err as Error).message})`));
  }
}

/**
 * CPU time (user + system) process `pid` has used, ms, in clock ticks of 10 ms; NaN without
 * /proc. Other load on a shared machine moves it far less than it moves latency.
 */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** CPU time, ms, of the PostgreSQL backends connected to the server's database (its pool, the timer's connections). */
async function dbCpuMs(server: ChildRpc): Promise<number> {
  const rows = await server.call<Array<{ pid: number }>>('sql', 'select pid from pg_stat_activity where datname = current_database()');
  return rows.reduce((sum, r) => sum + cpuMs(Number(r.pid)), 0);
}

async function pingTotals(server: ChildRpc): Promise<{ logged: number; counted: number }> {
  const [r] = await server.call<Array<{ logged: number; counted: number }>>(
    'sql',
    'select (select count(*) from pings)::float8 as logged, (select coalesce(sum(ping_count), 0) from monitors)::float8 as counted',
  );
  return { logged: Number(r.logged), counted: Number(r.counted) };
}

export async function monitorPingCell(opts: MonitorsOptions, ctx: BenchContext): Promise<MonitorsPingResult> {
  return withMonitorCell('monpings', ctx, async (server, driver, info) => {
    const seeded = await server.call<Array<{ id: string; token: string }>>('seedMonitors', { count: opts.monitors, periodSeconds: 3_600, graceSeconds: 60 });
    const tokens = seeded.map((m) => m.token);
    // Warm-up (JIT, connections, prepared statements): not counted.
    const warm = await driver.call<PingLoadResult>('paced', { baseUrl: info.httpUrl, tokens, rate: opts.rates[0], durationMs: opts.warmupS * 1_000, connections: opts.connections });
    if (warm.ok < warm.sent) ctx.log(`    warm-up: ${warm.ok}/${warm.sent} answered 200 (${warm.firstError})`);
    const steps: PingStep[] = [];
    for (const rate of opts.rates) {
      const before = await pingTotals(server);
      const cpu0 = cpuMs(server.pid);
      const db0 = await dbCpuMs(server);
      const r = await driver.call<PingLoadResult>('paced', { baseUrl: info.httpUrl, tokens, rate, durationMs: opts.stepS * 1_000, connections: opts.connections, maxBacklogMs: MAX_BACKLOG_MS });
      const serverCpuUsPerPing = ((cpuMs(server.pid) - cpu0) * 1000) / r.ok;
      // Backends that connected during the step count from zero; one that left takes its time along.
      const dbCpuUsPerPing = (((await dbCpuMs(server)) - db0) * 1000) / r.ok;
      const after = await pingTotals(server);
      const logged = after.logged - before.logged;
      const counted = after.counted - before.counted;
      const non200 = Object.values(r.others).reduce((a, b) => a + b, 0);
      const holds = r.abandoned === 0 && r.ok === r.sent && logged >= r.sent && counted >= r.sent && r.p99 <= MONITOR_GOALS.p99Ms && r.achievedPerS >= 0.95 * rate;
      steps.push({ rate, sent: r.sent, abandoned: r.abandoned, ok: r.ok, non200, firstError: r.firstError, achievedPerS: r.achievedPerS, p50: r.p50, p99: r.p99, max: r.max, serverCpuUsPerPing, dbCpuUsPerPing, logged, counted, holds });
      ctx.log(
        `    ${rate}/s: ${fmt(r.achievedPerS)}/s answered, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms, max ${fmt(r.max, 1)} ms, CPU ${fmt(serverCpuUsPerPing)} µs/ping server + ${fmt(dbCpuUsPerPing)} µs database, ok ${r.ok}/${r.sent}${r.abandoned ? ` (${r.abandoned} not sent: backlog over ${MAX_BACKLOG_MS / 1000} s)` : ''}${non200 ? ` (${JSON.stringify(r.others)}: ${r.firstError})` : ''}, logged ${logged}, counted ${counted}: ${holds ? 'holds' : 'does not hold'}`,
      );
      if (r.achievedPerS < 0.5 * rate) {
        ctx.log(`    answered under half of ${rate}/s: the steps above it are not run`);
        break;
      }
    }
    return { monitors: opts.monitors, steps, highestHeld: Math.max(0, ...steps.filter((s) => s.holds).map((s) => s.rate)) };
  });
}

export async function monitorDownCell(opts: MonitorsOptions, ctx: BenchContext): Promise<MonitorsDownResult> {
  return withMonitorCell('mondown', ctx, async (server, driver, info) => {
    const rest = Math.max(0, opts.monitors - opts.downMonitors);
    if (rest) await server.call('seedMonitors', { count: rest, periodSeconds: 3_600, graceSeconds: 60 });
    const down = await server.call<Array<{ id: string; token: string }>>('seedMonitors', { count: opts.downMonitors, periodSeconds: 1, graceSeconds: 1 });
    // One ping each at the next whole second (at least 1.5 s away): new -> up, deadline = ping + 2 s.
    const atMs = Math.ceil((Date.now() + 1_500) / 1_000) * 1_000;
    const burst = await driver.call<PingLoadResult>('burst', { baseUrl: info.httpUrl, tokens: down.map((m) => m.token), atMs, connections: opts.connections });
    ctx.log(`    burst: ${burst.ok}/${burst.sent} pings answered 200 in ${fmt(burst.ms)} ms (p99 ${fmt(burst.p99, 1)} ms)${burst.firstError ? ` (${burst.firstError})` : ''}`);
    // The down set is the monitors with a 1 s period; their deadline follows from the stored last ping.
    const deadlineSql = `m.last_ping_at + make_interval(secs => m.period_seconds + m.grace_seconds)`;
    const [d] = await server.call<Array<{ first: number | null; last: number | null; pinged: number }>>(
      'sql',
      `select (extract(epoch from min(${deadlineSql})) * 1000)::float8 as first, (extract(epoch from max(${deadlineSql})) * 1000)::float8 as last,
              count(m.last_ping_at)::int as pinged
         from monitors m where m.period_seconds = 1`,
    );
    const lastDeadline = Number(d.last ?? atMs + 2_000);
    const waitUntil = lastDeadline + opts.downWaitS * 1_000;
    const countDown = async () => {
      const [c] = await server.call<Array<{ n: number }>>(
        'sql',
        `select count(distinct f.subject_id)::int as n from flips f join monitors m on m.id = f.subject_id
          where m.period_seconds = 1 and f.subject_type = 'monitor' and f.to_status = 'down'`,
      );
      return Number(c.n);
    };
    while ((await countDown()) < d.pinged && Date.now() < waitUntil) await sleep(200);
    // Both instants as epoch milliseconds, the difference taken here (one clock: the server's).
    const rows = await server.call<Array<{ down_ms: number; ping_ms: number; period_s: number; grace_s: number }>>(
      'sql',
      `select (extract(epoch from f.at) * 1000)::float8 as down_ms, (extract(epoch from m.last_ping_at) * 1000)::float8 as ping_ms,
              m.period_seconds as period_s, m.grace_seconds as grace_s
         from monitors m
         join lateral (select min(x.at) as at from flips x where x.subject_id = m.id and x.subject_type = 'monitor' and x.to_status = 'down') f on f.at is not null
        where m.period_seconds = 1 and m.last_ping_at is not null`,
    );
    const late = Float64Array.from(rows.map((r) => Number(r.down_ms) - (Number(r.ping_ms) + (Number(r.period_s) + Number(r.grace_s)) * 1000))).sort();
    const result: MonitorsDownResult = {
      monitors: opts.downMonitors,
      pinged: Number(d.pinged),
      deadlineSpreadMs: d.first !== null && d.last !== null ? Number(d.last) - Number(d.first) : Number.NaN,
      reported: late.length,
      waitS: opts.downWaitS,
      within2s: late.filter((x) => x <= MONITOR_GOALS.downWithinMs).length,
      p50: percentileSorted(late, 50),
      p99: percentileSorted(late, 99),
      max: late.length ? late[late.length - 1] : Number.NaN,
    };
    ctx.log(`    ${downLine(result)}`);
    return result;
  });
}

function downLine(r: MonitorsDownResult): string {
  if (r.reported === 0) return `not reported within ${r.waitS} s (0/${fmt(r.pinged)})`;
  return `reported ${fmt(r.reported)}/${fmt(r.pinged)}: p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, max ${fmt(r.max)} ms, ${fmt(r.within2s)} within 2 s`;
}

const met = (ok: boolean) => (ok ? 'met' : 'not met');

export function monitorsSection(pings: MonitorsPingResult[], downs: MonitorsDownResult[], opts: MonitorsOptions): string {
  const out: string[] = [];
  if (pings.length) {
    const rows: Cell[][] = opts.rates.map((rate) => {
      const steps = pings.map((p) => p.steps.find((s) => s.rate === rate)).filter((s): s is PingStep => !!s);
      if (steps.length === 0) return [fmt(rate), 'not run (a lower step answered under half its rate)'];
      const m = (f: (s: PingStep) => number) => median(steps.map(f));
      const persisted = steps.every((s) => s.logged >= s.sent && s.counted >= s.sent);
      return [
        fmt(rate),
        fmt(m((s) => s.achievedPerS)),
        fmt(m((s) => s.p50), 1),
        fmt(m((s) => s.p99), 1),
        steps.map((s) => fmt(s.p99, 1)).join(' / '),
        fmt(m((s) => s.max), 1),
        `${fmt(m((s) => s.serverCpuUsPerPing))} + ${fmt(m((s) => s.dbCpuUsPerPing))}`,
        `${fmt(m((s) => s.ok))} / ${fmt(m((s) => s.sent))}${steps.some((s) => s.abandoned) ? ` (${fmt(m((s) => s.abandoned))} not sent)` : ''}`,
        `${persisted ? 'yes' : 'no'} (${fmt(m((s) => s.logged))} logged, ${fmt(m((s) => s.counted))} counted)`,
        steps.map((s) => (s.holds ? 'holds' : 'no')).join(' / '),
      ];
    });
    out.push(
      markdownTable(['target pings/s', 'answered/s', 'p50 ms', 'p99 ms', 'p99 per run', 'max ms', 'CPU µs/ping: server + database', '200s / sent', 'every ping persisted', 'holds (per run)'], rows),
    );
    const highest = median(pings.map((p) => p.highestHeld));
    const p99At = median(
      pings.map((p) => p.steps.find((s) => s.rate >= MONITOR_GOALS.pingsPerS)?.p99 ?? Number.NaN),
    );
    out.push('');
    out.push(
      `Highest rate one node holds (every ping answered and persisted, p99 ≤ ${MONITOR_GOALS.p99Ms} ms, ≥ 95% of the target rate): **${fmt(highest)} pings/s** (per run: ${pings.map((p) => fmt(p.highestHeld)).join(' / ')}), over ${fmt(pings[0].monitors)} monitors.`,
    );
    out.push('');
    out.push(`- Goal ≥ ${fmt(MONITOR_GOALS.pingsPerS)} pings/s held: ${met(highest >= MONITOR_GOALS.pingsPerS)} (${fmt(highest)}/s)`);
    out.push(`- Goal p99 ≤ ${MONITOR_GOALS.p99Ms} ms at ${fmt(MONITOR_GOALS.pingsPerS)} pings/s: ${Number.isFinite(p99At) ? `${met(p99At <= MONITOR_GOALS.p99Ms)} (median p99 ${fmt(p99At, 1)} ms)` : 'not measured (no step at that rate)'}`);
  } else {
    out.push('_Ping load: no result (see errors)._');
  }
  out.push('');
  if (downs.length) {
    const m = (f: (r: MonitorsDownResult) => number) => median(downs.map(f));
    const reported = m((r) => r.reported);
    const rows: Cell[][] = [[
      fmt(m((r) => r.monitors)),
      fmt(m((r) => r.pinged)),
      fmt(m((r) => r.deadlineSpreadMs)),
      reported === 0 ? `not reported within ${downs[0].waitS} s (0/${fmt(m((r) => r.pinged))})` : `${fmt(reported)} / ${fmt(m((r) => r.pinged))}`,
      fmt(m((r) => r.p50)),
      fmt(m((r) => r.p99)),
      fmt(m((r) => r.max)),
      downs.map((r) => fmt(r.max)).join(' / '),
      `${fmt(m((r) => r.within2s))} / ${fmt(m((r) => r.pinged))}`,
    ]];
    out.push(markdownTable(['monitors due', 'pinged', 'deadline spread ms', `reported down (within ${downs[0].waitS} s)`, 'p50 ms late', 'p99 ms late', 'max ms late', 'max per run', 'within 2 s'], rows));
    const all = downs.every((r) => r.pinged > 0 && r.within2s === r.pinged && r.within2s === r.monitors);
    out.push('');
    out.push(`- Goal every down within ${MONITOR_GOALS.downWithinMs / 1000} s of its deadline: ${met(all)} (${downs.map((r) => `${fmt(r.within2s)}/${fmt(r.monitors)}`).join(' / ')} per run)`);
  } else {
    out.push('_Down detection: no result (see errors)._');
  }
  return out.join('\n');
}
