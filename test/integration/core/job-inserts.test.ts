import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdempotencyConflictError, NotFoundError } from '../../../server/core/errors.js';
import type { Database } from '../../../server/store/database.js';
import { insertJobs } from '../../../server/store/statements/jobs.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/**
 * Creates that arrive together share INSERT statements (JobService's coalescer); every create
 * still gets its own outcome: its job, the job holding its idempotency key, or its own error.
 */
let t: TestCore;
let a: TestTenant;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
});
afterAll(() => t.close());

const jobCount = async (projectId: string) =>
  (await t.database.db.execute<{ n: number }>('select count(*)::int as n from jobs where project_id = ?', [projectId]))[0].n;

describe('concurrent job creates', () => {
  it('store every job once and honour each idempotency key per job', async () => {
    const before = await jobCount(a.projectId);
    const plain = Array.from({ length: 150 }, (_, i) => t.core.jobs.createOrGet(a.actor, { url: `https://example.com/plain/${i}` }));
    const sameKey = Array.from({ length: 10 }, () => t.core.jobs.createOrGet(a.actor, { url: 'https://example.com/keyed', idempotencyKey: 'k1' }));
    const otherCall = t.core.jobs.createOrGet(a.actor, { url: 'https://example.com/different', idempotencyKey: 'k1' }).then(
      () => null,
      (err) => err,
    );
    const plainResults = await Promise.all(plain);
    const keyed = await Promise.all(sameKey);
    expect(plainResults.every((r) => r.created)).toBe(true);
    expect(new Set(plainResults.map((r) => r.job.id)).size).toBe(150);
    expect(keyed.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(keyed.map((r) => r.job.id)).size).toBe(1);
    expect(await otherCall).toBeInstanceOf(IdempotencyConflictError);
    expect(await jobCount(a.projectId)).toBe(before + 151);
    const stored = await t.core.jobs.get(a.actor, plainResults[77].job.id);
    expect(stored).toEqual(plainResults[77].job);
  });

  it('fail only the create whose project is gone when it shares a statement with others', async () => {
    const doomed = await t.core.projects.create(a.principal, { name: 'doomed' });
    const stale = await t.core.actor(a.principal, doomed.id);
    await t.database.db.execute('delete from projects where id = ?', [doomed.id]);
    const before = await jobCount(a.projectId);
    const settled = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => t.core.jobs.create(i === 20 ? stale : a.actor, { url: `https://example.com/mixed/${i}` })),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(39);
    const failed = settled[20];
    expect(failed.status).toBe('rejected');
    expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(await jobCount(a.projectId)).toBe(before + 39);
  });
});

describe('a batch insert', () => {
  it('stores every text exactly as sent, whatever characters the array literals have to carry', async () => {
    const texts = ['', 'NULL', 'null', '"', '\\', '\\"', '{a,b}', 'a,b', ' lead and trail ', 'line\nbreak\ttab', 'é ü 漢字 😀', '{"k":"v\\\\"}', "it's"];
    const inputs = texts.map((s, i) => ({
      url: `https://example.com/odd/${i}?q=${encodeURIComponent(s)}`,
      name: s.trim() === '' ? null : s,
      body: s,
      headers: { 'x-odd': s.replace(/[^\t\x20-\x7E]/g, '') },
      idempotencyKey: s === '' ? null : `odd-${s}`,
      webhookHeaders: { 'x-w': `"${i}"\\` },
      expectedStatus: [200, 201],
    }));
    const built = inputs.map((input) => t.core.jobs.build(a.actor, input));
    // The real database, counting statements: a batch that failed would be retried one job at a time.
    const db = t.database.db;
    let statements = 0;
    const counting = { query: (...args: Parameters<Database['query']>) => (statements++, db.query(...args)) } as unknown as Database;
    const outcomes = await insertJobs(counting, built);
    expect(outcomes).toEqual(texts.map(() => ({ ok: true, value: 'inserted' })));
    expect(statements).toBe(1);
    const results = built.map((job) => ({ job }));
    for (const r of results) {
      const stored = await t.core.jobs.get(a.actor, r.job.id);
      expect(stored).toEqual(r.job);
    }
    expect(results.map((r) => r.job.body)).toEqual(texts);
  });
});
