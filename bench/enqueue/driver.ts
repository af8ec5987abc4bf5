/**
 * Child-process entry that drives creates through one system's client (bench/enqueue/clients.ts),
 * so the load generator never shares an event loop with the system under test. Calls over IPC:
 *
 * - prepare(target, options): builds the client (the peers' clients also migrate their schema).
 * - single({ warmup, count, concurrency, ratePerS?, durationMs? }): `warmup` creates, then `count`
 *   measured ones, `concurrency` in flight. Closed loop (a worker sends its next create when the
 *   last one answered), or paced at `ratePerS` (create k is due at start + k / rate; its latency
 *   counts from that moment, so a stall that delays the sends shows in the latency instead of
 *   hiding). With `durationMs`, no create starts after that long (`count` is then an upper bound):
 *   a closed loop for a duration measures the highest rate the server holds meanwhile.
 * - batch({ warmup, batches, batchSize, concurrency }): the same with batches of `batchSize` jobs.
 * - close().
 */
import { performance } from 'node:perf_hooks';
import { serveRpc } from '../lib/child.js';
import { summarize } from '../lib/stats.js';
import type { TargetName } from '../targets/types.js';
import { createEnqueueClient, type EnqueueClient, type EnqueueClientOptions } from './clients.js';

export interface LoadResult {
  /** Calls measured (after the warm-up). */
  calls: number;
  /** Jobs created by them (= calls for single creates). */
  jobs: number;
  errors: number;
  firstError: string | null;
  ms: number;
  callsPerS: number;
  jobsPerS: number;
  /** Latency per call, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

let client: EnqueueClient | null = null;
let seq = 0;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function load(
  calls: number,
  concurrency: number,
  perCall: number,
  send: (i0: number) => Promise<void>,
  ratePerS?: number,
  durationMs?: number,
): Promise<LoadResult> {
  const latencies = new Float64Array(calls);
  let next = 0;
  let started = 0;
  let errors = 0;
  let firstError: string | null = null;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      if (durationMs !== undefined && performance.now() - t0 >= durationMs) return;
      const k = next++;
      if (k >= calls) return;
      started++;
      let start = performance.now();
      if (ratePerS) {
        const due = t0 + (k * 1000) / ratePerS;
        if (due > start) await sleep(due - start);
        start = due;
      }
      const i0 = seq;
      seq += perCall;
      try {
        await send(i0);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      latencies[k] = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const ms = performance.now() - t0;
  const s = summarize(latencies.subarray(0, started));
  const ok = started - errors;
  return {
    calls: started,
    jobs: ok * perCall,
    errors,
    firstError,
    ms,
    callsPerS: (ok * 1000) / ms,
    jobsPerS: (ok * perCall * 1000) / ms,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
  };
}

function current(): EnqueueClient {
  if (!client) throw new Error('prepare first');
  return client;
}

serveRpc(
  {
    prepare: async (target: TargetName, opts: EnqueueClientOptions) => {
      client = await createEnqueueClient(target, opts);
      return { batchApi: client.batchApi };
    },
    single: async (o: { warmup: number; count: number; concurrency: number; ratePerS?: number; durationMs?: number }) => {
      const c = current();
      const one = (i: number) => c.one(i);
      if (o.warmup) await load(o.warmup, o.concurrency, 1, one);
      return load(o.count, o.concurrency, 1, one, o.ratePerS, o.durationMs);
    },
    batch: async (o: { warmup: number; batches: number; batchSize: number; concurrency: number }) => {
      const c = current();
      const send = (i0: number) => c.batch(i0, o.batchSize);
      // The first batch tells whether there is a batch API at all (TargetPendingError reaches the parent).
      await c.batch(seq, o.batchSize);
      seq += o.batchSize;
      if (o.warmup) await load(o.warmup, o.concurrency, o.batchSize, send);
      return load(o.batches, o.concurrency, o.batchSize, send);
    },
    close: async () => {
      const c = client;
      client = null;
      await c?.close();
    },
  },
  async () => {
    await client?.close().catch(() => {});
  },
);
