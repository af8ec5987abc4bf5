import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_UPDATABLE } from '../../../server/core/monitors/service.js';
import { SCHEDULE_UPDATABLE, type ScheduleInput } from '../../../server/core/schedules/service.js';
import type { Schedule } from '../../../server/core/types.js';
import { mergeOf, replacementOf } from '../../../server/surfaces/shared/updates.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

/** The core's updatable fields, through the update styles of the surfaces (PUT, PATCH), on a real core. */

let t: TestCore;
let a: TestTenant;

beforeAll(async () => {
  t = await createTestCore();
  a = await t.tenant('a');
});
afterAll(() => t.close());

const customised = {
  key: 'report',
  name: 'report',
  description: 'the daily report',
  url: 'https://example.com/report',
  method: 'PUT',
  headers: { 'x-token': 'abc' },
  body: '{"a":1}',
  cron: '0 9 * * *',
  timezone: 'Europe/Riga',
  timeoutMs: 5_000,
  maxRetries: 4,
  retryBackoffMs: 2_000,
  retryBackoffMaxMs: 20_000,
  expectedStatus: [200, 204],
  overlap: 'forbid',
  misfire: 'skip',
  alertEmail: 'ops@example.com',
  alertWebhook: 'https://example.com/alerts',
  alertOnFailure: false,
  alertOnRecovery: false,
} satisfies ScheduleInput;

/** What a caller set on a schedule (no ids, times or derived fields). */
const settings = ({ id: _i, projectId: _p, shard: _s, createdAt: _c, updatedAt: _u, nextRunAt: _n, lastRunAt: _l, lastStatus: _x, ...rest }: Schedule) => rest;

describe('replacing a schedule (PUT)', () => {
  it('gives every field left out the value a new schedule would have', async () => {
    const s = await t.core.schedules.create(a.actor, customised);
    const body = { name: 'report', url: 'https://example.com/v2', intervalSeconds: 300 };
    const replaced = await t.core.schedules.update(a.actor, s.id, replacementOf(SCHEDULE_UPDATABLE, body));
    const fresh = await t.core.schedules.create(a.actor, body);
    expect(settings(replaced)).toEqual(settings(fresh));
    expect(replaced).toMatchObject({ key: null, description: null, timezone: 'UTC', headers: {}, maxRetries: 0, alertOnFailure: true });
  });

  it('refuses a replacement without a name or URL, naming the field', async () => {
    const s = await t.core.schedules.create(a.actor, { ...customised, key: 'no-name' });
    await expect(t.core.schedules.update(a.actor, s.id, replacementOf(SCHEDULE_UPDATABLE, { url: 'https://example.com/x', cron: '* * * * *' }))).rejects.toMatchObject({
      code: 'invalid_argument',
      field: 'name',
    });
    await expect(t.core.schedules.update(a.actor, s.id, replacementOf(SCHEDULE_UPDATABLE, { name: 'x', cron: '* * * * *' }))).rejects.toMatchObject({
      field: 'url',
    });
  });
});

describe('merging into a schedule (PATCH)', () => {
  it('changes given fields, keeps absent ones and clears nulls, also of fields that are not nullable', async () => {
    const s = await t.core.schedules.create(a.actor, { ...customised, key: 'merged' });
    const merged = await t.core.schedules.update(a.actor, s.id, mergeOf(SCHEDULE_UPDATABLE, { maxRetries: 7, timeoutMs: null, description: null, headers: null }));
    expect(merged).toMatchObject({ maxRetries: 7, timeoutMs: 30_000, description: null, headers: {}, method: 'PUT', cron: '0 9 * * *', alertOnFailure: false });
  });
});

describe('replacing a monitor', () => {
  it('resets grace and clears the alert targets left out', async () => {
    const m = await t.core.monitors.create(a.actor, { name: 'backup', periodSeconds: 600, graceSeconds: 30, alertEmail: 'ops@example.com' });
    const replaced = await t.core.monitors.update(a.actor, m.id, replacementOf(MONITOR_UPDATABLE, { name: 'backup', cron: '0 3 * * *' }));
    expect(replaced).toMatchObject({ name: 'backup', cron: '0 3 * * *', periodSeconds: null, graceSeconds: 60, alertEmail: null, timezone: 'UTC' });
  });
});
