import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestTenant } from '../../../helpers/core.js';
import { call, startPrikke, type PrikkeServer } from './harness.js';

/**
 * Generated requests to every Prikke route: bodies made of the fields the routes know (and
 * others) with values of every JSON type, odd strings and odd ids. None may answer 5xx. The
 * generator is seeded (TOCK_FUZZ_SEED picks another seed), so a failure names a request that
 * fails again.
 */

let s: PrikkeServer;
let a: TestTenant;
let ids: string[];
let keys: string[];

async function replenish(): Promise<void> {
  const n = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  const r = await call(s.url, 'POST', '/jobs', { key: a.secret, json: { key: `fuzz-${n}`, url: 'https://myapp.com/f', cron: '0 6 * * *' } });
  const o = await call(s.url, 'POST', '/jobs', { key: a.secret, json: { key: `once-${n}`, url: 'https://myapp.com/o', run_at: '2031-01-01T00:00:00Z' } });
  ids = [r.body.job.id, o.body.job.id];
  keys = [r.body.job.key, o.body.job.key];
}

beforeAll(async () => {
  s = await startPrikke();
  a = await s.tenant();
  await replenish();
});
afterAll(() => s?.close());

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ['key', 'name', 'url', 'method', 'cron', 'run_at', 'headers', 'body', 'enabled', 'jobs', 'notifications', 'email', 'webhook_url', 'delete_removed', 'id', '__proto__', 'constructor', 'x'];
const STRINGS = [
  '', ' ', 'a', 'GET', 'post', 'https://myapp.com/x', 'http://127.0.0.1:1/', 'ftp://x', 'javascript:alert(1)', '* * * * *', '* * * *', '0 0 31 2 *', '*/0 * * * *',
  '@yearly', '0 6 * * * * *', '2025-02-01T09:00:00Z', '9999-12-31T23:59:59Z', '-1', 'now', 'a@b.c', '\u0000', '\ud800', 'é'.repeat(300), 'x'.repeat(3000),
  "'; drop table jobs; --", '{"a":1}', 'sched_01kmv00000000000000000000x', 'job_01kmv00000000000000000000x', '%', '../..', 'Content-Length',
];

function value(r: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  switch (Math.floor(r() * (depth > 2 ? 6 : 9))) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick([0, -1, 1.5, 1e308, 2 ** 53, -0, 200, 201]);
    case 3: case 4: case 5: return pick(STRINGS);
    case 6: return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
    default: return object(r, depth + 1);
  }
}

function object(r: () => number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) Object.defineProperty(out, FIELDS[Math.floor(r() * FIELDS.length)], { value: value(r, depth), enumerable: true, configurable: true, writable: true });
  return out;
}

/** Percent-encoding that also takes lone surrogates (sent as the bytes of one, which a server must refuse cleanly). */
const enc = (v: unknown) => {
  try {
    return encodeURIComponent(String(v));
  } catch {
    return '%ED%A0%80';
  }
};

describe('generated requests', () => {
  it('never answer 5xx', async () => {
    const r = rng(Number(process.env.TOCK_FUZZ_SEED ?? 20261201));
    const routes = [
      ['PUT', () => '/sync'],
      ['POST', () => '/jobs'],
      ['GET', () => (r() < 0.5 ? '/jobs' : `/jobs?limit=${r() < 0.5 ? Math.floor(r() * 250) : enc(value(r, 3))}${r() < 0.5 ? `&cursor=${enc(value(r, 3))}` : ''}`)],
      ['GET', (id: string) => `/jobs/${id}`],
      ['GET', (_id: string) => `/jobs/key/${r() < 0.6 ? keys[Math.floor(r() * keys.length)] : enc(value(r, 3))}`],
      ['PATCH', (id: string) => `/jobs/${id}`],
      ['DELETE', (id: string) => `/jobs/${id}`],
      ['GET', (id: string) => `/jobs/${id}/executions?limit=${enc(value(r, 3))}`],
      ['GET', () => '/project'],
      ['PUT', () => '/project'],
    ] as const;
    const failures: string[] = [];
    let sent = 0;
    for (let i = 0; i < 1500; i++) {
      const [method, route] = routes[i % routes.length];
      const path = route(r() < 0.7 ? ids[Math.floor(r() * ids.length)] : enc(value(r, 3)));
      // Now and then a body shaped like the route's own, with one field odd.
      const shaped = r() < 0.5;
      let json: unknown = shaped
        ? { ...(path === '/sync' ? { jobs: [{ key: 'k', url: 'https://myapp.com', cron: '* * * * *', ...object(r, 1) }] } : { url: 'https://myapp.com', cron: '* * * * *', ...object(r, 1) }) }
        : value(r, 0);
      if (path === '/sync' && r() < 0.3) json = { notifications: object(r, 1), delete_removed: value(r, 3) };
      const res = await call(s.url, method, path, { key: a.secret, ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify(json) ?? 'null', headers: { 'content-type': 'application/json' } }) });
      sent++;
      if (method === 'DELETE' && res.status === 200) await replenish();
      if (res.status >= 500) failures.push(`${method} ${path} ${JSON.stringify(json)} -> ${res.status} ${res.text}`);
    }
    expect(sent).toBe(1500);
    expect(failures).toEqual([]);
  }, 120_000);
});
