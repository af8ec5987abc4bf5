/**
 * Child-process entry that hosts one BenchTarget and serves it over IPC.
 * argv: <target name> <JSON config>. Extra target methods (e.g. Tock's `seedSchedules`) are
 * callable by name too.
 */
import { serveRpc } from '../lib/child.js';
import { loadTarget } from './registry.js';
import type { TargetConfig, TargetName } from './types.js';

const name = process.argv[2] as TargetName;
const config = JSON.parse(process.argv[3] ?? '{}') as TargetConfig;
const target = await loadTarget(name, config);
let stopped = false;

const handlers: Record<string, (...args: any[]) => unknown> = {
  tuning: () => target.tuning(),
  setup: (dbUrl: string, sinkUrl: string) => target.setup(dbUrl, sinkUrl),
  scheduleAt: (jobs) => target.scheduleAt(jobs),
  start: () => target.start(),
  stop: async () => {
    stopped = true;
    await target.stop();
  },
  finished: () => target.finished(),
  rssBytes: () => (target.rssBytes ? target.rssBytes() : process.memoryUsage().rss),
  memory: () => process.memoryUsage(),
  invoke: async (method: string, ...args: unknown[]) => {
    const fn = (target as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`target ${name} has no method ${method}`);
    return (fn as (...a: unknown[]) => unknown).apply(target, args);
  },
};

process.on('unhandledRejection', (err) => {
  console.error(`[${name}] unhandled rejection:`, err);
});

serveRpc(handlers, async () => {
  if (!stopped) await target.stop().catch(() => {});
});
