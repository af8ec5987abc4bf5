/**
 * Load on Tock's own HTTP port: `GET /healthz` and `GET /ping/:token`, each for `--seconds` at
 * `--concurrency` requests in flight, against `server/main.ts` started as `npm start` starts it
 * (a child process, embedded database in a fresh temp dir unless `--database-url` is given).
 * The load runs in this process on one keep-alive `undici.Pool`, so the server's event loop
 * serves requests only. Ping rate limits are lifted for the run: the numbers measure the
 * serving path (the limiter's check included), not the limit. Besides requests/s it reports the
 * server process's CPU time per request (Linux /proc), which other load on a shared machine
 * moves far less than it moves the rate.
 *
 * `npx tsx bench/http-port.ts [--seconds 10] [--concurrency 50] [--database-url postgres://...]`
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createClient } from '../client/src/index.js';
import { startTs } from '../test/helpers/process.js';
import { percentileSorted } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '50' },
    'database-url': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** CPU time (user + system) the process has used, in ms; clock ticks of 10 ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface LoadResult {
  path: string;
  requests: number;
  reqPerS: number;
  /** Server CPU per request, µs. */
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 200, by status. */
  others: Record<number, number>;
}

async function load(base: string, urlPath: string, serverPid: number): Promise<LoadResult> {
  const pool = new Pool(base, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const others: Record<number, number> = {};
  // Warm-up: JIT and connections, not counted.
  const warmUntil = performance.now() + 1_000;
  const worker = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await pool.request({ path: urlPath, method: 'GET' });
      await res.body.text();
      if (!record) continue;
      latencies.push(performance.now() - t0);
      if (res.statusCode !== 200) others[res.statusCode] = (others[res.statusCode] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker(warmUntil, false)));
  const start = performance.now();
  const cpuBefore = cpuMs(serverPid);
  const until = start + seconds * 1_000;
  await Promise.all(Array.from({ length: concurrency }, () => worker(until, true)));
  const elapsed = (performance.now() - start) / 1_000;
  const cpu = cpuMs(serverPid) - cpuBefore;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    path: urlPath.replace(/\/ping\/[^/]+/, '/ping/:token'),
    requests: latencies.length,
    reqPerS: Math.round(latencies.length / elapsed),
    cpuUsPerRequest: Math.round((cpu * 1_000) / latencies.length),
    p50Ms: Number(percentileSorted(latencies, 50).toFixed(2)),
    p99Ms: Number(percentileSorted(latencies, 99).toFixed(2)),
    others,
  };
}

async function main(): Promise<void> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tock-http-bench-'));
  const server = startTs('server/main.ts', [], {
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ...(values['database-url'] ? { DATABASE_URL: values['database-url'] } : {}),
    TOCK_SCHEDULER: 'false',
    TOCK_PING_RATE_PER_TOKEN: '1000000000',
    TOCK_PING_RATE_PER_IP: '1000000000',
  });
  try {
    const key = await server.waitFor((line) => (typeof line === 'string' ? /^\s+(tock_\S+)$/.exec(line)?.[1] : undefined));
    const base = `http://127.0.0.1:${port}`;
    const monitor = await createClient({ url: base, apiKey: key }).monitors.create({ periodSeconds: 3600 });
    const pid = server.child.pid!;
    const results = [await load(base, '/healthz', pid), await load(base, new URL(monitor.pingUrl).pathname, pid)];
    console.log(JSON.stringify({ seconds, concurrency, database: values['database-url'] ? 'postgres' : 'embedded', results }, null, 2));
  } finally {
    await server.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
