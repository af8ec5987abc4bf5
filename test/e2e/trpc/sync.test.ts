import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermissionError, ValidationError, type SyncDocument, type SyncProgress, type TockClient } from '../../../client/src/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { recordingFetch, startTrpcServer, type TrpcServer } from './harness.js';

/** `sync.plan` and `sync.run` (streamed) through `@tock/client`'s `sync.plan` / `sync.apply`. */

let t: TestCore;
let a: TestTenant;
let srv: TrpcServer;
let tock: TockClient;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
  srv = await startTrpcServer(t);
  tock = srv.client(a.secret);
});
afterAll(async () => {
  await srv?.close();
  await t?.close();
});

const hook = 'https://example.com/hook';

describe('sync over tRPC', () => {
  it('plans without writing, applies with progress, and reports the second apply unchanged', async () => {
    const doc: SyncDocument = {
      $schema: './tock-sync.schema.json',
      schedules: [
        { key: 'nightly', url: hook, cron: '0 3 * * *' },
        { key: 'hourly', url: hook, intervalSeconds: 3600 },
      ],
      monitors: [{ key: 'etl', periodSeconds: 86400, graceSeconds: 600, alertEmail: 'ops@example.com' }],
    };
    const plan = await tock.sync.plan(doc);
    expect(plan.schedules.created).toEqual([{ key: 'nightly' }, { key: 'hourly' }]);
    expect(plan.monitors.created).toEqual([{ key: 'etl' }]);
    expect((await tock.schedules.list()).items).toHaveLength(0);

    const progress: SyncProgress[] = [];
    const result = await tock.sync.apply(doc, { onProgress: (p) => progress.push(p) });
    expect(result.schedules.created.map((c) => c.key)).toEqual(['nightly', 'hourly']);
    expect(result.schedules.objects.map((s) => s.key)).toEqual(['nightly', 'hourly']);
    expect(result.schedules.objects[0].createdAt).toBeInstanceOf(Date);
    expect(result.monitors.objects[0]).toMatchObject({ key: 'etl', alertEmail: 'ops@example.com' });
    expect(result.monitors.objects[0].pingUrl).toMatch(/^http:\/\/tock\.test\/ping\//);
    expect(progress.at(-1)).toEqual({ done: 3, total: 3 });
    expect(progress.every((p, i) => i === 0 || p.done >= progress[i - 1].done)).toBe(true);

    const again = await tock.sync.apply(doc);
    expect(again.schedules.unchanged.map((u) => u.key)).toEqual(['nightly', 'hourly']);
    expect(again.schedules.created).toEqual([]);
    expect(again.monitors.unchanged).toHaveLength(1);
  });

  it('plans changed fields from -> to as JSON, and prunes what the document no longer names', async () => {
    const plan = await tock.sync.plan({ schedules: [{ key: 'nightly', url: hook, cron: '30 3 * * *', headers: { 'x-a': '1' } }] }, { prune: true });
    expect(plan.schedules.updated).toEqual([
      expect.objectContaining({
        key: 'nightly',
        changes: { cron: { from: '0 3 * * *', to: '30 3 * * *' }, headers: { from: {}, to: { 'x-a': '1' } } },
      }),
    ]);
    expect(plan.schedules.deleted.map((d) => d.key)).toEqual(['hourly']);
    // Monitors are not named: not managed, nothing pruned.
    expect(plan.monitors).toEqual({ created: [], updated: [], deleted: [], unchanged: [] });

    const result = await tock.sync.apply({ schedules: [{ key: 'nightly', url: hook, cron: '30 3 * * *' }] }, { prune: true });
    expect(result.schedules.deleted.map((d) => d.key)).toEqual(['hourly']);
    expect((await tock.schedules.list()).items.map((s) => s.key)).toEqual(['nightly']);
  });

  it('sends a large document as a POST body, not in the URL', async () => {
    const rec = recordingFetch();
    const client = srv.client(a.secret, { fetch: rec.fetch });
    const schedules = Array.from({ length: 300 }, (_, i) => ({ key: `bulk-${i}`, url: `${hook}/${'x'.repeat(50)}/${i}`, intervalSeconds: 600 }));
    const plan = await client.sync.plan({ schedules });
    expect(plan.schedules.created).toHaveLength(300);
    expect(rec.urls.every((u) => u.length < 200)).toBe(true);
  });

  it('fails a bad entry with a ValidationError naming its place, from the stream of an apply, and writes nothing', async () => {
    const before = (await tock.schedules.list()).items.length;
    const doc: SyncDocument = { schedules: [{ key: 'ok-one', url: hook, cron: '0 1 * * *' }, { key: 'bad', url: hook, cron: '* * *' }] };
    const err = await tock.sync.apply(doc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('schedules[1].cron');
    expect((err as ValidationError).message).toMatch(/^schedules\[1\]\.cron: /);
    expect((await tock.schedules.list()).items.length).toBe(before);
    await expect(tock.sync.plan(doc)).rejects.toMatchObject({ field: 'schedules[1].cron' });
  });

  it('refuses an envelope that is not one, and a key without write scopes', async () => {
    await expect(tock.sync.plan(undefined as unknown as SyncDocument)).rejects.toBeInstanceOf(ValidationError);
    await expect(tock.sync.plan({ schedules: [], projects: [] } as unknown as SyncDocument)).rejects.toMatchObject({ field: 'projects' });
    const { secret } = await t.core.keys.createUnchecked({ accountId: a.principal.accountId, name: 'ro', scopes: ['read:jobs'] });
    const ro = srv.client(secret);
    expect((await ro.sync.plan({ schedules: [] }, { prune: true })).schedules.deleted.map((d) => d.key)).toEqual(['nightly']);
    await expect(ro.sync.apply({ schedules: [] }, { prune: true })).rejects.toBeInstanceOf(PermissionError);
    expect((await tock.schedules.list()).items.map((s) => s.key)).toEqual(['nightly']);
  });
});
