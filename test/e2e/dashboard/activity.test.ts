import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../server/core/clock.js';
import { newId } from '../../../server/core/ids.js';
import type { ExecutionStatus } from '../../../server/core/types.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';

/** The dashboard's chart query: a project's executions per minute over the last hour. */
const NOW = new Date('2026-03-01T12:30:20Z');
const clock = new ManualClock(NOW);
let t: TestCore;
let server: TrpcServer;
let tenant: TestTenant;
let other: TestTenant;

async function jobAt(who: TestTenant, scheduledAt: Date): Promise<string> {
  return (await t.core.jobs.create(who.actor, { url: 'https://example.com/hook', scheduledAt: scheduledAt.toISOString() })).id;
}

async function execution(who: TestTenant, jobId: string, attempt: number, startedAt: Date, status: ExecutionStatus = 'succeeded'): Promise<void> {
  await t.database.db.execute(
    `insert into executions (id, job_id, project_id, schedule_id, attempt, status, status_code, duration_ms, response_body, error, started_at, finished_at)
     values (?, ?, ?, null, ?, ?, ?, 5, null, null, ?, ?)`,
    [newId('execution'), jobId, who.projectId, attempt, status, status === 'succeeded' ? 200 : 500, startedAt, new Date(startedAt.getTime() + 5)],
  );
}

const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  t = await createTestCore({ clock });
  server = await startTrpcServer(t);
  tenant = await t.tenant('charted');
  other = await t.tenant('elsewhere');

  // 12:10: a first attempt 250 ms late, and its retry a minute later (counted, not as lateness).
  const a = await jobAt(tenant, at('2026-03-01T12:10:00Z'));
  await execution(tenant, a, 1, at('2026-03-01T12:10:00.250Z'), 'failed');
  await execution(tenant, a, 2, at('2026-03-01T12:11:30Z'));
  // 12:29: two first attempts, 100 ms and 900 ms late.
  const b = await jobAt(tenant, at('2026-03-01T12:29:00Z'));
  await execution(tenant, b, 1, at('2026-03-01T12:29:00.100Z'));
  const c = await jobAt(tenant, at('2026-03-01T12:29:10Z'));
  await execution(tenant, c, 1, at('2026-03-01T12:29:10.900Z'));
  // Outside the window (more than an hour ago), and another project's execution inside it.
  const d = await jobAt(tenant, at('2026-03-01T11:20:00Z'));
  await execution(tenant, d, 1, at('2026-03-01T11:20:00Z'));
  const e = await jobAt(other, at('2026-03-01T12:29:00Z'));
  await execution(other, e, 1, at('2026-03-01T12:29:05Z'));
});

afterAll(async () => {
  await server?.close();
  await t?.close();
});

describe('activity of the last hour', () => {
  it('has every minute of the hour up to the current one, counting by outcome and first-attempt lateness', async () => {
    const a = await t.core.jobs.activity(tenant.actor);
    expect(a.minutes).toHaveLength(60);
    expect(a.to).toEqual(at('2026-03-01T12:31:00Z'));
    expect(a.from).toEqual(at('2026-03-01T11:31:00Z'));
    const byMinute = new Map(a.minutes.map((m) => [m.minute.toISOString(), m]));
    expect(byMinute.get('2026-03-01T12:10:00.000Z')).toEqual({
      minute: at('2026-03-01T12:10:00Z'),
      executions: 1,
      succeeded: 0,
      failed: 1,
      latenessMeanMs: 250,
      latenessMaxMs: 250,
    });
    // The retry counts as an execution but has no lateness of its own.
    expect(byMinute.get('2026-03-01T12:11:00.000Z')).toMatchObject({ executions: 1, succeeded: 1, latenessMeanMs: null, latenessMaxMs: null });
    expect(byMinute.get('2026-03-01T12:29:00.000Z')).toMatchObject({ executions: 2, succeeded: 2, failed: 0, latenessMeanMs: 500, latenessMaxMs: 900 });
    expect(a.minutes.reduce((n, m) => n + m.executions, 0)).toBe(4);
    expect(byMinute.get('2026-03-01T12:30:00.000Z')).toMatchObject({ executions: 0, latenessMeanMs: null });
  });

  it('is served over tRPC as activity.lastHour with ISO minutes, for the key\'s own project only', async () => {
    const res = await fetch(`${server.url}/trpc/activity.lastHour`, { headers: { authorization: `Bearer ${other.secret}` } });
    expect(res.status).toBe(200);
    const data = ((await res.json()) as { result: { data: { from: string; minutes: { minute: string; executions: number }[] } } }).result.data;
    expect(data.from).toBe('2026-03-01T11:31:00.000Z');
    expect(data.minutes.filter((m) => m.executions > 0)).toEqual([expect.objectContaining({ minute: '2026-03-01T12:29:00.000Z', executions: 1 })]);
  });

  it('needs read:jobs', async () => {
    const { secret } = await t.core.keys.createUnchecked({ accountId: tenant.principal.accountId, name: 'monitors only', scopes: ['read:monitors'] });
    const res = await fetch(`${server.url}/trpc/activity.lastHour`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(403);
  });
});
