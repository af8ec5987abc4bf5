import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrafterWorld, type KrafterWorld } from './harness.js';

/**
 * Generated requests to every Krafter endpoint (seeded, so a failure replays): valid bodies
 * with fields swapped for odd values, arbitrary JSON, broken JSON, odd paths, queries and media
 * types. None may answer 5xx, and every error is in the document's shape.
 */
let w: KrafterWorld;
const BASE = '/api/v1/cron/jobs';

beforeAll(async () => {
  w = await startKrafterWorld();
});
afterAll(async () => {
  await w?.close();
});

/** mulberry32: small, seeded, good enough to pick test inputs. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = ['name', 'schedule_type', 'schedule', 'timezone', 'url', 'method', 'headers', 'timeout_ms', 'max_retries', 'enabled', 'failure_notify', 'id', 'created_at'];
const ODD_STRINGS = [
  '',
  ' ',
  'every_5m',
  'every_0s',
  'every_99999999999999999999d',
  'every_366d',
  'every_367d',
  '* * * * *',
  '0 0 31 2 *',
  '*/0 * * * *',
  '0 0 0 0 0 0 0',
  'cron',
  'interval',
  'UTC',
  'Europe/Riga',
  'Not/AZone',
  'http://127.0.0.1:1/x',
  'http://[::ffff:169.254.169.254]/',
  'http://0x7f000001/',
  'javascript:alert(1)',
  'https://example.com/' + 'a'.repeat(3000),
  'GET',
  'TRACE',
  '\u0000',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '__proto__',
  'constructor',
  '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1',
  'x'.repeat(10_000),
];

function value(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 30000, 21, 300001][Math.floor(r() * 9)];
    case 3:
    case 4:
    case 5:
      return ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)];
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[r() < 0.5 ? FIELDS[Math.floor(r() * FIELDS.length)] : ODD_STRINGS[Math.floor(r() * 10)]] = value(r, depth + 1);
      return o;
    }
  }
}

function body(r: () => number): string | undefined {
  const valid: Record<string, unknown> = { name: 'Fuzz', schedule_type: 'interval', schedule: 'every_5m', url: 'https://example.com/f' };
  const k = r();
  if (k < 0.1) return undefined;
  if (k < 0.2) return ['{', '{"name":', 'nul', '[]', '""', '{"a":1}}', '\u00ff\u00fe', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'][Math.floor(r() * 9)];
  if (k < 0.4) return JSON.stringify(value(r));
  for (let i = 1 + Math.floor(r() * 3); i > 0; i--) {
    const f = FIELDS[Math.floor(r() * FIELDS.length)];
    if (r() < 0.2) delete valid[f];
    else valid[f] = value(r);
  }
  return JSON.stringify(valid);
}

function path(r: () => number, known: string[]): string {
  const segment = [
    () => known[Math.floor(r() * known.length)] ?? 'x',
    () => ODD_STRINGS[Math.floor(r() * ODD_STRINGS.length)].slice(0, 90),
    () => '0190f7a1-c2d3-7e4f-8a5b-6c7d8e9fa0b1',
    () => '%00',
    () => '..',
    () => 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
  ][Math.floor(r() * 6)]();
  const tail = ['', '/executions', '/trigger', '/pause', '/resume', '/nope'][Math.floor(r() * 6)];
  const query = r() < 0.3 ? `?limit=${encodeURIComponent(String(value(r)))}&cursor=${encodeURIComponent(String(value(r)))}&enabled=${encodeURIComponent(String(value(r)))}` : '';
  return r() < 0.2 ? `${BASE}${query}` : `${BASE}/${encodeURIComponent(segment)}${tail}${query}`;
}

describe('generated requests', () => {
  it('never answer 5xx, and every error is {"error":{"code","message"}}', async () => {
    const r = rng(20261201);
    const known: string[] = [(await w.call('POST', BASE, { body: { name: 'Known', schedule_type: 'interval', schedule: 'every_1h', url: 'https://example.com/k' } })).json.data.id];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'][Math.floor(r() * 5)];
      const p = path(r, known);
      const b = method === 'GET' || method === 'DELETE' ? (r() < 0.1 ? body(r) : undefined) : body(r);
      const contentType = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded'][r() < 0.85 ? 0 : Math.floor(r() * 4)];
      const headers: Record<string, string> = { authorization: `Bearer ${w.key}` };
      if (b !== undefined) headers['content-type'] = contentType;
      const res = await fetch(`${w.url}${p}`, { method, headers, body: method === 'GET' ? undefined : b });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${method} ${p} ${b?.slice(0, 200)}\n${text.slice(0, 300)}`).toBeLessThan(500);
      if (res.status >= 400) {
        const json = JSON.parse(text);
        expect(Object.keys(json), text).toEqual(['error']);
        expect(typeof json.error.code, text).toBe('string');
        expect(typeof json.error.message, text).toBe('string');
      } else if (method === 'POST' && p === BASE && res.status === 201) {
        known.push(JSON.parse(text).data.id);
      }
    }
    // The inputs reached the handlers, not only the router: some succeeded, many were refused.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(50);
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
  }, 120_000);
});
