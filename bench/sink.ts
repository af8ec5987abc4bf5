/**
 * Loopback HTTP sink for the bench, run in its own process (fork it with `startSink()` from
 * `bench/lib/sink-client.ts`) so recording arrivals never competes with the scheduler under test
 * for an event loop.
 *
 * For every request except `/__*` it records:
 * - arrival: `performance.timeOrigin + performance.now()` (wall-clock ms, sub-ms precision),
 *   taken when the request's headers have been parsed;
 * - due time: `x-due-at` (Unix ms) or, failing that, `x-tock-scheduled-at` (ISO);
 * - id: `x-job-id`, else `webhook-id`, else `x-tock-job-id`.
 * It answers `200 ok` once the body has been read, over keep-alive.
 *
 * Stats: IPC (`stats`, `count`, `reset`) or HTTP (`GET /__stats`, `GET /__count`, `POST /__reset`).
 * `reset({ dueFromMs, dueToMs })` records only requests due in that window (inclusive) from then
 * on; the others are counted as `outsideWindow` and nothing else (recurring ticks keep coming
 * after a measured window, and before it when a target starts early).
 * Run standalone with `npx tsx bench/sink.ts [port]` to get only the HTTP interface.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serveRpc } from './lib/child.js';
import { percentileSorted } from './lib/stats.js';

export interface SinkStats {
  /** Requests recorded (duplicates included). */
  count: number;
  /** Distinct ids among requests that carried one. */
  unique: number;
  /** Requests whose id had been seen before (count of extra deliveries). */
  duplicates: number;
  /** Requests without a due time (lateness not computed for them). */
  withoutDue: number;
  /** Requests due outside the window given to `reset` (not recorded otherwise). */
  outsideWindow: number;
  /** Lateness = arrival - due, ms, over requests with a due time (first delivery of each id only). */
  latenessP50: number;
  latenessP90: number;
  latenessP99: number;
  latenessMax: number;
  latenessMin: number;
  /** Median lateness of the earliest-due 20% and the latest-due 20% (backlog growth check). */
  headP50: number;
  tailP50: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
  firstDueMs: number;
  lastDueMs: number;
}

/** Due times (ms since the epoch, inclusive) a recorder keeps; requests due outside are only counted. */
export interface DueWindow {
  dueFromMs: number;
  dueToMs: number;
}

class Recorder {
  arrivals = new Float64Array(1 << 16);
  dues = new Float64Array(1 << 16);
  n = 0;
  ids = new Map<string, number>();
  duplicates = 0;
  withoutDue = 0;
  outsideWindow = 0;
  firstArrival = Number.NaN;
  lastArrival = Number.NaN;
  window: DueWindow | null = null;

  reset(window: DueWindow | null = null): void {
    this.window = window;
    this.outsideWindow = 0;
    this.arrivals = new Float64Array(1 << 16);
    this.dues = new Float64Array(1 << 16);
    this.n = 0;
    this.ids = new Map();
    this.duplicates = 0;
    this.withoutDue = 0;
    this.firstArrival = Number.NaN;
    this.lastArrival = Number.NaN;
  }

  record(arrival: number, due: number, id: string | undefined): void {
    if (this.window && !(due >= this.window.dueFromMs && due <= this.window.dueToMs)) {
      this.outsideWindow++;
      return;
    }
    if (Number.isNaN(this.firstArrival)) this.firstArrival = arrival;
    this.lastArrival = arrival;
    if (id !== undefined) {
      const seen = this.ids.get(id);
      if (seen !== undefined) {
        this.ids.set(id, seen + 1);
        this.duplicates++;
        return; // lateness counts the first delivery of an id only
      }
      this.ids.set(id, 1);
    }
    if (!Number.isFinite(due)) {
      this.withoutDue++;
      return;
    }
    if (this.n === this.arrivals.length) {
      const a = new Float64Array(this.n * 2);
      a.set(this.arrivals);
      this.arrivals = a;
      const d = new Float64Array(this.n * 2);
      d.set(this.dues);
      this.dues = d;
    }
    this.arrivals[this.n] = arrival;
    this.dues[this.n] = due;
    this.n++;
  }

  count(): number {
    return this.n + this.withoutDue + this.duplicates;
  }

  /** Lateness by due time: per `bucketMs` window from the first due time, count, median and max (ms). */
  timeline(bucketMs: number): Array<{ fromMs: number; count: number; p50: number; max: number }> {
    let firstDue = Infinity;
    for (let i = 0; i < this.n; i++) if (this.dues[i] < firstDue) firstDue = this.dues[i];
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const b = Math.floor((this.dues[i] - firstDue) / bucketMs);
      let list = buckets.get(b);
      if (!list) buckets.set(b, (list = []));
      list.push(this.arrivals[i] - this.dues[i]);
    }
    return [...buckets.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([b, list]) => {
        const sorted = Float64Array.from(list).sort();
        return { fromMs: b * bucketMs, count: sorted.length, p50: percentileSorted(sorted, 50), max: sorted[sorted.length - 1] };
      });
  }

  stats(): SinkStats {
    const n = this.n;
    const late = new Float64Array(n);
    let firstDue = Infinity;
    let lastDue = -Infinity;
    for (let i = 0; i < n; i++) {
      late[i] = this.arrivals[i] - this.dues[i];
      if (this.dues[i] < firstDue) firstDue = this.dues[i];
      if (this.dues[i] > lastDue) lastDue = this.dues[i];
    }
    const sorted = Float64Array.from(late).sort();
    // Head/tail by due time: order indexes by due.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.dues[a] - this.dues[b]);
    const fifth = Math.max(1, Math.floor(n / 5));
    const head = Float64Array.from(order.slice(0, fifth), (i) => late[i]).sort();
    const tail = Float64Array.from(order.slice(n - fifth), (i) => late[i]).sort();
    return {
      count: this.count(),
      unique: this.ids.size,
      duplicates: this.duplicates,
      withoutDue: this.withoutDue,
      outsideWindow: this.outsideWindow,
      latenessP50: percentileSorted(sorted, 50),
      latenessP90: percentileSorted(sorted, 90),
      latenessP99: percentileSorted(sorted, 99),
      latenessMax: n ? sorted[n - 1] : Number.NaN,
      latenessMin: n ? sorted[0] : Number.NaN,
      headP50: n ? percentileSorted(head, 50) : Number.NaN,
      tailP50: n ? percentileSorted(tail, 50) : Number.NaN,
      firstArrivalMs: this.firstArrival,
      lastArrivalMs: this.lastArrival,
      firstDueMs: n ? firstDue : Number.NaN,
      lastDueMs: n ? lastDue : Number.NaN,
    };
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function dueOf(req: http.IncomingMessage): number {
  const raw = header(req, 'x-due-at');
  if (raw !== undefined && raw !== '') return Number(raw);
  const iso = header(req, 'x-tock-scheduled-at');
  if (iso) return Date.parse(iso);
  return Number.NaN;
}

export async function serveSink(port = 0): Promise<{ server: http.Server; port: number; recorder: Recorder }> {
  const recorder = new Recorder();
  const origin = performance.timeOrigin;
  const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    const arrival = origin + performance.now();
    const url = req.url ?? '/';
    if (url.startsWith('/__')) {
      req.resume();
      req.on('end', () => {
        let body: unknown = { ok: true };
        if (url.startsWith('/__stats')) body = recorder.stats();
        else if (url.startsWith('/__count')) body = { count: recorder.count() };
        else if (url.startsWith('/__reset')) recorder.reset();
        const json = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      });
      return;
    }
    recorder.record(arrival, dueOf(req), header(req, 'x-job-id') ?? header(req, 'webhook-id') ?? header(req, 'x-tock-job-id'));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 65_000;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, recorder };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (isMain) {
  const { server, port, recorder } = await serveSink(Number(process.argv[2] ?? 0));
  if (process.send) {
    serveRpc(
      {
        url: () => `http://127.0.0.1:${port}/`,
        count: () => recorder.count(),
        stats: () => recorder.stats(),
        timeline: (bucketMs: number) => recorder.timeline(bucketMs),
        reset: (window?: DueWindow | null) => recorder.reset(window ?? null),
        rss: () => process.memoryUsage().rss,
      },
      () => new Promise<void>((resolve) => server.close(() => resolve())),
    );
  } else {
    console.log(`sink listening on http://127.0.0.1:${port}/ (GET /__stats, GET /__count, POST /__reset)`);
  }
}
