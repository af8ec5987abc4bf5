/**
 * HTTP client comparison on the loopback sink: `undici.request` (what Tock's executor and the
 * peers' handler use) against `node-fetch` 3, Node's global `fetch` (the undici bundled with
 * Node) and `undici.fetch`, at a fixed concurrency, POSTing a small body and reading each
 * response body in full. Every (client, run) is a fresh child process, so JIT warm-up, agents
 * and heap of one client do not carry over to the next; each run starts with a warm-up.
 *
 * Standalone: `npx tsx bench/http-client.ts [--requests N] [--concurrency C] [--runs R]`
 * (starts its own sink). The orchestrator (bench/run.ts) calls `runHttpBench`.
 */
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { forkTs, serveRpc } from './lib/child.js';
import { fmt, markdownTable } from './lib/markdown.js';
import { SinkClient } from './lib/sink-client.js';
import { median, percentileSorted } from './lib/stats.js';

export const HTTP_CLIENTS = ['undici.request', 'undici.fetch', 'global fetch', 'node-fetch'] as const;
export type HttpClientName = (typeof HTTP_CLIENTS)[number];

export interface HttpRunResult {
  client: HttpClientName;
  requests: number;
  concurrency: number;
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  rssMB: number;
}

export interface HttpSummary {
  client: HttpClientName;
  version: string;
  runs: HttpRunResult[];
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

const BODY = JSON.stringify({ hello: 'tock', n: 1 });
const HEADERS = { 'content-type': 'application/json', 'x-bench': 'http' };

type Requester = () => Promise<void>;

async function makeRequester(client: HttpClientName, url: string, concurrency: number): Promise<{ call: Requester; close: () => Promise<void> }> {
  switch (client) {
    case 'undici.request': {
      const { Agent, request } = await import('undici');
      const agent = new Agent({ connections: concurrency, pipelining: 1 });
      return {
        call: async () => {
          const res = await request(url, { method: 'POST', headers: HEADERS, body: BODY, dispatcher: agent });
          await res.body.text();
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        },
        close: () => agent.close(),
      };
    }
    case 'undici.fetch': {
      const { Agent, fetch } = await import('undici');
      const agent = new Agent({ connections: concurrency, pipelining: 1 });
      return {
        call: async () => {
          const res = await fetch(url, { method: 'POST', headers: HEADERS, body: BODY, dispatcher: agent });
          await res.text();
          if (res.status !== 200) throw new Error(`status ${res.status}`);
        },
        close: () => agent.close(),
      };
    }
    case 'global fetch': {
      // Node's bundled undici with its default global dispatcher (keep-alive, no connection cap).
      return {
        call: async () => {
          const res = await globalThis.fetch(url, { method: 'POST', headers: HEADERS, body: BODY });
          await res.text();
          if (res.status !== 200) throw new Error(`status ${res.status}`);
        },
        close: async () => {},
      };
    }
    case 'node-fetch': {
      const { default: nodeFetch } = await import('node-fetch');
      const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
      return {
        call: async () => {
          const res = await nodeFetch(url, { method: 'POST', headers: HEADERS, body: BODY, agent });
          await res.text();
          if (res.status !== 200) throw new Error(`status ${res.status}`);
        },
        close: async () => agent.destroy(),
      };
    }
  }
}

async function drive(call: Requester, total: number, concurrency: number, lat: Float64Array | null): Promise<number> {
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      try {
        await call();
      } catch {
        errors++;
      }
      if (lat) lat[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return errors;
}

/** One measured run of one client, in the current process. */
export async function runClientOnce(client: HttpClientName, url: string, requests: number, concurrency: number): Promise<HttpRunResult> {
  const { call, close } = await makeRequester(client, url, concurrency);
  try {
    await drive(call, Math.min(5000, Math.max(1000, requests / 10)), concurrency, null); // warm-up
    const lat = new Float64Array(requests);
    const t0 = performance.now();
    const errors = await drive(call, requests, concurrency, lat);
    const elapsed = performance.now() - t0;
    lat.sort();
    return {
      client,
      requests,
      concurrency,
      reqPerS: requests / (elapsed / 1000),
      p50Ms: percentileSorted(lat, 50),
      p99Ms: percentileSorted(lat, 99),
      errors,
      rssMB: process.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    await close();
  }
}

async function versionOf(client: HttpClientName): Promise<string> {
  const { createRequire } = await import('node:module');
  const req = createRequire(import.meta.url);
  const pkg = (name: string) => {
    try {
      return (req(`${name}/package.json`) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  if (client === 'global fetch') return `Node ${process.version} (bundled undici ${process.versions.undici ?? '?'})`;
  if (client === 'node-fetch') return `node-fetch ${pkg('node-fetch')} (http.Agent keepAlive, maxSockets = concurrency)`;
  return `undici ${pkg('undici')} (Agent connections = concurrency)`;
}

/**
 * Runs every client `runs` times (a fresh child process per run, client order rotated each run)
 * against `sinkUrl`, and returns medians.
 */
export async function runHttpBench(opts: {
  sinkUrl: string;
  requests: number;
  concurrency: number;
  runs: number;
  log?: (msg: string) => void;
}): Promise<HttpSummary[]> {
  const log = opts.log ?? (() => {});
  const byClient = new Map<HttpClientName, HttpRunResult[]>(HTTP_CLIENTS.map((c) => [c, []]));
  for (let run = 0; run < opts.runs; run++) {
    const order = HTTP_CLIENTS.map((_, i) => HTTP_CLIENTS[(i + run) % HTTP_CLIENTS.length]);
    for (const client of order) {
      const child = await forkTs('http-client.ts', ['--child'], { label: `http ${client}` });
      try {
        const r = await child.call<HttpRunResult>('run', client, opts.sinkUrl, opts.requests, opts.concurrency);
        byClient.get(client)!.push(r);
        log(`    http run ${run + 1}/${opts.runs} ${client}: ${fmt(r.reqPerS)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}`);
      } finally {
        await child.close();
      }
    }
  }
  const out: HttpSummary[] = [];
  for (const client of HTTP_CLIENTS) {
    const runs = byClient.get(client)!;
    out.push({
      client,
      version: await versionOf(client),
      runs,
      reqPerS: median(runs.map((r) => r.reqPerS)),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  }
  return out;
}

export function httpTable(rows: HttpSummary[]): string {
  const base = rows.find((r) => r.client === 'undici.request')?.reqPerS ?? Number.NaN;
  return markdownTable(
    ['client', 'req/s (median)', 'runs (req/s)', 'latency p50 ms', 'latency p99 ms', 'errors', 'vs undici.request', 'version'],
    rows.map((r) => [
      r.client,
      fmt(r.reqPerS),
      r.runs.map((x) => fmt(x.reqPerS)).join(' / '),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      r.errors,
      Number.isFinite(base) ? `${((r.reqPerS / base) * 100).toFixed(0)}%` : '–',
      r.version,
    ]),
  );
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain && process.argv.includes('--child')) {
  serveRpc({ run: (client: HttpClientName, url: string, n: number, c: number) => runClientOnce(client, url, n, c) });
} else if (isMain) {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const sink = await SinkClient.start();
  try {
    const rows = await runHttpBench({
      sinkUrl: sink.url,
      requests: arg('--requests', 50_000),
      concurrency: arg('--concurrency', 100),
      runs: arg('--runs', 3),
      log: (m) => console.log(m),
    });
    console.log(`\n${httpTable(rows)}`);
  } finally {
    await sink.close();
  }
}
