import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Many every-second schedules on one node: every tick arrives exactly once under load. Prints
 * the lateness percentiles but asserts only correctness (timing is measured in bench/).
 * TOCK_TIMER_LOAD_SCHEDULES raises the count (e.g. 1000) for a heavier local run.
 */
const N = Number(process.env.TOCK_TIMER_LOAD_SCHEDULES ?? 200);
let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

describe('load', () => {
  it(`fires ${N} every-second schedules, each tick once`, { timeout: 120_000 }, async () => {
    const rows = Array.from({ length: N }, (_, i) => i);
    for (let i = 0; i < rows.length; i += 200) {
      await Promise.all(
        rows.slice(i, i + 200).map((k) => w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/load/${k}`, cron: '* * * * * *', state: 'paused' })),
      );
    }
    const start = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
    await w.db.execute(`update schedules set state = 'active', next_run_at = ? where project_id = ?`, [new Date(start).toISOString(), w.tenant.projectId]);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const node = await w.node({ leaseTtlMs: 10_000 }, 'load');
    const end = start + 10_000;
    await until(() => Date.now() > end + 2_000, { timeoutMs: 30_000, intervalMs: 200 });
    await node.stop(5_000);
    const inWindow = r.requests.filter((q) => {
      const at = Date.parse(String(q.headers['x-tock-scheduled-at']));
      return at >= start && at < end;
    });
    const keys = new Set(inWindow.map((q) => `${q.url}@${q.headers['x-tock-scheduled-at']}`));
    const lateness = inWindow.map((q) => q.at - Date.parse(String(q.headers['x-tock-scheduled-at']))).sort((a, b) => a - b);
    const pct = (p: number) => lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))];
    console.info(
      `[timer load] ${N} schedules x 10 s: received ${inWindow.length}, distinct ${keys.size}; ` +
        `receiver lateness p50=${pct(0.5)} p99=${pct(0.99)} max=${lateness[lateness.length - 1]} ms; node ${JSON.stringify((await node.stats()).lateness)}; ` +
        `event loop delay p50=${Math.round(loop.percentile(50) / 1e6)} p99=${Math.round(loop.percentile(99) / 1e6)} max=${Math.round(loop.max / 1e6)} ms`,
    );
    expect(keys.size).toBe(inWindow.length);
    expect(inWindow.length).toBe(N * 10);
  });
});
