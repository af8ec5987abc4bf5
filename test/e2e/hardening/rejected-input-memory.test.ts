import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { repoRoot, startTs, type Started } from '../../helpers/process.js';

/**
 * A real server process (PostgreSQL, HTTP, gRPC) whose RSS is read from /proc while it answers
 * oversized creates it must reject. It runs with a fixture that collects garbage every 200 ms, so
 * what the RSS keeps after the series is what the process still references.
 */
let db: TestDatabase;
let server: Started;
let base: string;
let key: string;

const MB = 1024 * 1024;
const HUGE = 3_500_000;

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

/** RSS once it stops moving (two readings 500 ms apart within 1 MB), at most 15 s later. */
async function settledRss(pid: number): Promise<number> {
  let last = await rssBytes(pid);
  for (const until = Date.now() + 15_000; Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await rssBytes(pid);
    if (Math.abs(now - last) < MB) return now;
    last = now;
  }
  return last;
}

/** One create whose input is rejected: a unique multi-MB time zone, or a valid multi-MB cron with a bad backoff. */
function rejectedCreate(i: number): string {
  return i % 2 === 0
    ? JSON.stringify({ url: 'https://example.com/hook', cron: '0 3 * * *', timezone: `Zone${i}/${'X'.repeat(HUGE)}` })
    : JSON.stringify({ url: 'https://example.com/hook', cron: `${'0'.repeat(HUGE - i)} * * * *`, retryBackoffMs: 2_000, retryBackoffMaxMs: 1_000 });
}

async function send(body: string): Promise<number> {
  const res = await fetch(`${base}/trpc/schedules.create`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = startTs(
    'server/main.ts',
    [],
    { DATABASE_URL: db.url, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', TOCK_SCHEDULER: 'false' },
    { nodeArgs: ['--expose-gc', '--import', join(repoRoot, 'test/e2e/hardening/fixtures/collect-garbage.mjs')] },
  );
  const port = await server.waitFor((l) => (typeof l === 'object' && l.msg === 'HTTP listening (REST, tRPC, health)' ? Number(l.port) : undefined));
  base = `http://127.0.0.1:${port}`;
  key = await server.waitFor((l) => (typeof l === 'string' ? /^\s+(tock_[0-9A-Za-z]{40})$/.exec(l)?.[1] : undefined));
});
afterAll(async () => {
  await server?.stop();
  await db?.close();
});

describe('rejected oversized input', () => {
  it('does not keep the server memory it took: 70 rejected multi-MB creates leave the RSS within 40 MB', { timeout: 120_000 }, async () => {
    const pid = server.child.pid!;
    // Warm-up: the same kinds of request, so buffers and compiled code of this path exist before the baseline.
    for (let i = 0; i < 6; i++) expect(await send(rejectedCreate(1_000 + i))).toBe(400);
    const before = await settledRss(pid);

    for (let i = 0; i < 70; i++) expect(await send(rejectedCreate(i))).toBe(400);
    const after = await settledRss(pid);

    const grownMb = (after - before) / MB;
    console.log(`server RSS ${Math.round(before / MB)} MB -> ${Math.round(after / MB)} MB after 70 rejected creates of ${HUGE / 1e6} MB`);
    expect(grownMb).toBeLessThan(40);
  });
});
