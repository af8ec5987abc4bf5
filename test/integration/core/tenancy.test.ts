import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../server/core/errors.js';
import type { Job, Monitor, Schedule } from '../../../server/core/types.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';

let t: TestCore;
let owner: TestTenant;
let intruder: TestTenant;
let schedule: Schedule;
let job: Job;
let monitor: Monitor;

beforeAll(async () => {
  t = await createTestCore();
  owner = await t.tenant('owner');
  intruder = await t.tenant('intruder');
  schedule = await t.core.schedules.create(owner.actor, { url: 'https://e.com/s', cron: '* * * * *' });
  job = await t.core.jobs.create(owner.actor, { url: 'https://e.com/j', scheduledAt: new Date(Date.now() + 3600_000) });
  monitor = await t.core.monitors.create(owner.actor, { periodSeconds: 60 });
});
afterAll(() => t.close());

describe("another account's objects", () => {
  const cases: [string, () => Promise<unknown>][] = [
    ['get schedule', () => t.core.schedules.get(intruder.actor, schedule.id)],
    ['update schedule', () => t.core.schedules.update(intruder.actor, schedule.id, { name: 'pwned' })],
    ['pause schedule', () => t.core.schedules.pause(intruder.actor, schedule.id)],
    ['resume schedule', () => t.core.schedules.resume(intruder.actor, schedule.id)],
    ['trigger schedule', () => t.core.schedules.trigger(intruder.actor, schedule.id)],
    ['list schedule executions', () => t.core.schedules.listExecutions(intruder.actor, schedule.id)],
    ['delete schedule', () => t.core.schedules.delete(intruder.actor, schedule.id)],
    ['get job', () => t.core.jobs.get(intruder.actor, job.id)],
    ['cancel job', () => t.core.jobs.cancel(intruder.actor, job.id)],
    ['list job executions', () => t.core.jobs.listExecutions(intruder.actor, job.id)],
    ['get monitor', () => t.core.monitors.get(intruder.actor, monitor.id)],
    ['update monitor', () => t.core.monitors.update(intruder.actor, monitor.id, { name: 'pwned' })],
    ['ping monitor by id', () => t.core.monitors.recordPing(intruder.actor, monitor.id)],
    ['pause monitor', () => t.core.monitors.pause(intruder.actor, monitor.id)],
    ['delete monitor', () => t.core.monitors.delete(intruder.actor, monitor.id)],
    ['get project', () => t.core.projects.get(intruder.principal, owner.projectId)],
    ['rename project', () => t.core.projects.update(intruder.principal, owner.projectId, { name: 'pwned' })],
    ['delete project', () => t.core.projects.delete(intruder.principal, owner.projectId)],
    ['act in project', () => t.core.actor(intruder.principal, owner.projectId)],
    ['revoke key', () => t.core.keys.revoke(intruder.principal, owner.principal.keyId)],
    ['make a key for project', () => t.core.keys.create(intruder.principal, { projectId: owner.projectId })],
  ];

  it.each(cases)('answer not found to %s', async (_name, op) => {
    await expect(op()).rejects.toBeInstanceOf(NotFoundError);
  });

  it('are left unchanged and never listed', async () => {
    expect((await t.core.schedules.get(owner.actor, schedule.id)).name).toBe(schedule.name);
    expect((await t.core.schedules.get(owner.actor, schedule.id)).state).toBe('active');
    expect((await t.core.jobs.get(owner.actor, job.id)).status).toBe('scheduled');
    expect((await t.core.monitors.get(owner.actor, monitor.id)).pingCount).toBe(0);
    expect((await t.core.projects.get(owner.principal, owner.projectId)).name).toBe('Default');
    await expect(t.core.authenticate(owner.secret)).resolves.toBeTruthy();
    expect((await t.core.schedules.list(intruder.actor)).items).toEqual([]);
    expect((await t.core.jobs.list(intruder.actor)).items).toEqual([]);
    expect((await t.core.monitors.list(intruder.actor)).items).toEqual([]);
    expect((await t.core.projects.list(intruder.principal)).items.map((p) => p.id)).toEqual([intruder.projectId]);
    expect((await t.core.keys.list(intruder.principal)).items.map((k) => k.id)).toEqual([intruder.principal.keyId]);
  });
});
