/**
 * Child-process entry that sends monitor pings (`GET /ping/<token>`) to a Tock server, so the
 * load generator never shares an event loop with the server. One keep-alive `undici.Pool` of
 * `connections` (pipelining 1). Calls over IPC:
 *
 * - paced({ baseUrl, tokens, rate, durationMs, connections, maxBacklogMs }): ping k is due at start + k / rate
 *   and goes to token k mod tokens.length; its latency counts from that moment, so a server (or
 *   a driver) that falls behind shows in the latency instead of hiding. A 1 ms ticker sends every
 *   ping that is due. Returns pings sent, answered 200, other statuses, achieved pings/s (200s
 *   over the time from the first due ping to the last answer) and latency percentiles. Once more
 *   than `maxBacklogMs` of pings (at the rate) are out unanswered, no more are sent: a rate the
 *   server cannot hold ends early instead of queueing for minutes (`abandoned` counts the rest).
 * - burst({ baseUrl, tokens, atMs, connections }): at wall-clock `atMs`, one ping to every token
 *   at once (the pool queues what its connections cannot carry); returns the same summary.
 * - close().
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { serveRpc } from '../lib/child.js';
import { summarize } from '../lib/stats.js';

export interface PingLoadResult {
  sent: number;
  ok: number;
  /** Answers other than 200 (and transport errors as status 0), by status. */
  others: Record<number, number>;
  firstError: string | null;
  /** Pings of the step never sent because the backlog passed `maxBacklogMs`. */
  abandoned: number;
  ms: number;
  achievedPerS: number;
  p50: number;
  p99: number;
  max: number;
}

let pool: Pool | null = null;
let poolKey = '';

function poolFor(baseUrl: string, connections: number): Pool {
  const key = `${baseUrl}|${connections}`;
  if (pool && poolKey === key) return pool;
  void pool?.close();
  pool = new Pool(baseUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  poolKey = key;
  return pool;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function send(p: Pool, token: string, due: number, latencies: Float64Array, k: number, acc: { ok: number; others: Record<number, number>; firstError: string | null; lastAnswer: number }): Promise<void> {
  try {
    const res = await p.request({ path: `/ping/${token}`, method: 'GET' });
    await res.body.dump();
    if (res.statusCode === 200) acc.ok++;
    else {
      acc.others[res.statusCode] = (acc.others[res.statusCode] ?? 0) + 1;
      acc.firstError ??= `HTTP ${res.statusCode}`;
    }
  } catch (err) {
    acc.others[0] = (acc.others[0] ?? 0) + 1;
    acc.firstError ??= (err as Error).message;
  }
  const now = performance.now();
  latencies[k] = now - due;
  acc.lastAnswer = now;
}

function result(sent: number, latencies: Float64Array, acc: { ok: number; others: Record<number, number>; firstError: string | null; lastAnswer: number }, t0: number, abandoned = 0): PingLoadResult {
  const s = summarize(latencies.subarray(0, sent));
  const ms = acc.lastAnswer - t0;
  return {
    sent,
    ok: acc.ok,
    others: acc.others,
    firstError: acc.firstError,
    abandoned,
    ms,
    achievedPerS: ms > 0 ? (acc.ok * 1000) / ms : Number.NaN,
    p50: s.p50,
    p99: s.p99,
    max: s.max,
  };
}

async function paced(opts: { baseUrl: string; tokens: string[]; rate: number; durationMs: number; connections: number; maxBacklogMs?: number }): Promise<PingLoadResult> {
  const p = poolFor(opts.baseUrl, opts.connections);
  const total = Math.round((opts.rate * opts.durationMs) / 1000);
  const latencies = new Float64Array(total);
  const acc = { ok: 0, others: {} as Record<number, number>, firstError: null as string | null, lastAnswer: 0 };
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let k = 0;
  const maxBacklog = opts.maxBacklogMs === undefined ? Infinity : (opts.rate * opts.maxBacklogMs) / 1000;
  let answered = 0;
  while (k < total) {
    if (k - answered > maxBacklog) break;
    const dueNow = Math.min(total, Math.floor(((performance.now() - t0) * opts.rate) / 1000) + 1);
    for (; k < dueNow; k++) {
      inFlight.push(send(p, opts.tokens[k % opts.tokens.length], t0 + (k * 1000) / opts.rate, latencies, k, acc).then(() => void answered++));
    }
    if (k < total) await sleep(1);
  }
  await Promise.all(inFlight);
  return result(k, latencies, acc, t0, total - k);
}

async function burst(opts: { baseUrl: string; tokens: string[]; atMs: number; connections: number }): Promise<PingLoadResult> {
  const p = poolFor(opts.baseUrl, opts.connections);
  const latencies = new Float64Array(opts.tokens.length);
  const acc = { ok: 0, others: {} as Record<number, number>, firstError: null as string | null, lastAnswer: 0 };
  const wait = opts.atMs - Date.now();
  if (wait > 0) await sleep(wait);
  const t0 = performance.now();
  await Promise.all(opts.tokens.map((token, k) => send(p, token, t0, latencies, k, acc)));
  return result(opts.tokens.length, latencies, acc, t0);
}

serveRpc(
  {
    paced,
    burst,
    close: async () => {
      await pool?.close();
      pool = null;
    },
  },
  async () => {
    await pool?.close();
  },
);
