import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../server/core/ids.js';
import { writeAttempts } from '../../../server/store/job-transitions.js';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

let w: TimerWorld;
let r: Receiver;

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver().listen();
});
afterEach(async () => {
  // Each test drives its own nodes: whatever one left (a failed test skips its stop), the next
  // starts with every lease free.
  await w.db.execute(`update shard_leases set owner = null, expires_at = null`);
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

describe('epoch fencing and crash recovery (driven step by step)', () => {
  it('a node whose lease was taken over cannot claim ticks or jobs on that shard', async () => {
    const n = w.manual({}, 'fenced');
    await n.leaseStep();
    expect(n.leases.held.size).toBe(256);
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/fenced`, cron: '* * * * * *' });
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/fenced-job`, scheduledAt: new Date(Date.now() + 500) });
    await n.refillStep([s.shard, job.shard]);
    expect(n.queue.has('schedule', s.id) && n.queue.has('job', job.id)).toBe(true);

    // Another node takes the shards over (as after this node missed its renewals).
    await w.db.execute(
      `update shard_leases set owner = 'node_thief', epoch = epoch + 1, expires_at = now() + interval '1 minute' where shard = any(?::int[])`,
      [`{${s.shard},${job.shard}}`],
    );
    const before = await w.t.core.schedules.get(w.tenant.actor, s.id);
    const res = await n.claimStep(new Date(Date.now() + 2_000));
    expect(res.jobs).toBe(0);
    expect(res.lostRaces).toBeGreaterThanOrEqual(2);
    const [{ n: ticks }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from jobs where schedule_id = ?`, [s.id]);
    expect(ticks).toBe(0);
    expect((await w.t.core.schedules.get(w.tenant.actor, s.id)).nextRunAt?.toISOString()).toBe(before.nextRunAt?.toISOString());
    expect((await w.t.core.jobs.get(w.tenant.actor, job.id)).status).toBe('scheduled');

    // Its next lease step learns it lost them.
    const change = await n.leaseStep();
    expect(change.lost.sort()).toEqual([...new Set([s.shard, job.shard])].sort());
    await w.t.core.schedules.delete(w.tenant.actor, s.id);
    await w.t.core.jobs.cancel(w.tenant.actor, job.id);
    await n.stop(500);
    await w.db.execute(`update shard_leases set owner = null, expires_at = null where owner = 'node_thief'`);
  });

  it("a schedule's tick is claimed ahead under the lease epoch and marked before its time; at its due moment the timer fires it without a statement", async () => {
    const n = w.manual({}, 'ahead');
    await n.leaseStep();
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/ahead`, cron: '*/5 * * * * *' });
    const due = (await w.t.core.schedules.get(w.tenant.actor, s.id)).nextRunAt!.getTime();
    await n.refillStep([s.shard]);
    expect(n.queue.has('schedule', s.id)).toBe(true);

    // Claimed 900 ms before its time (claimAheadMs 1 000): the tick's job exists, running under
    // this node's epoch, not yet marked; the schedule's next_run_at moved past it.
    expect((await n.claimStep(new Date(due - 900))).jobs).toBe(1);
    const [tick] = await w.db.execute<{ id: string; status: string; dispatched: boolean; fenced: boolean; next_ms: number }>(
      `select j.id, j.status, j.dispatched_at is not null as dispatched, j.lease_epoch = l.epoch as fenced,
              floor(extract(epoch from s.next_run_at) * 1000)::float8 as next_ms
         from jobs j join shard_leases l on l.shard = j.shard join schedules s on s.id = j.schedule_id
        where j.schedule_id = ? and j.scheduled_at = to_timestamp(?::float8 / 1000)`,
      [s.id, due],
    );
    expect(tick).toMatchObject({ status: 'running', dispatched: false, fenced: true, next_ms: due + 5_000 });
    // A second claim step finds nothing more of it to claim (the next occurrence is 5 s later).
    expect((await n.claimStep(new Date(due - 800))).jobs).toBe(0);
    expect(await n.markStep(new Date(due - 200))).toBe(1);
    expect((await w.jobState(tick.id)).dispatched).toBe(true);

    // The due moment: no statement between the fire and the call's arrival.
    const statements: string[] = [];
    const { query, execute } = w.db;
    w.db.query = ((text: string, ...rest: unknown[]) => (statements.push(text), query.call(w.db, text, ...(rest as [])))) as typeof w.db.query;
    w.db.execute = ((sql: string, ...rest: unknown[]) => (statements.push(sql), execute.call(w.db, sql, ...(rest as [])))) as typeof w.db.execute;
    try {
      expect(n.fireDueStep(new Date(due))).toBe(1);
      await until(() => r.to('/ahead').length === 1);
      expect(statements).toEqual([]);
    } finally {
      w.db.query = query;
      w.db.execute = execute;
    }
    expect(r.to('/ahead')[0].headers['webhook-id']).toBe(tick.id);
    await n.idle();
    expect((await w.jobState(tick.id)).status).toBe('succeeded');
    await w.t.core.schedules.delete(w.tenant.actor, s.id);
    await n.stop(500);
  });

  it('schedules due a few ms apart within one claim batch each get their tick from the same claim step', async () => {
    const n = w.manual({}, 'batch');
    await n.leaseStep();
    const a = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/batch-a`, cron: '*/5 * * * * *' });
    const b = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/batch-b`, cron: '*/5 * * * * *' });
    const due = (await w.t.core.schedules.get(w.tenant.actor, a.id)).nextRunAt!.getTime() + 5_000;
    // b is due 80 ms after a: inside the claim batch window (claimBatchMs 100) of a's claim moment.
    await w.db.execute(`update schedules set next_run_at = to_timestamp(?::float8 / 1000) where id = ?`, [due, a.id]);
    await w.db.execute(`update schedules set next_run_at = to_timestamp(?::float8 / 1000) where id = ?`, [due + 80, b.id]);
    await n.refillStep([a.shard, b.shard]);

    expect(await n.claimStep(new Date(due - 1_000))).toMatchObject({ claimed: 2, jobs: 2 });
    const ticks = await w.db.execute<{ schedule_id: string; at: number }>(
      `select schedule_id, floor(extract(epoch from scheduled_at) * 1000)::float8 as at from jobs where schedule_id = any(?::text[]) order by at`,
      [`{${a.id},${b.id}}`],
    );
    expect(ticks).toEqual([
      { schedule_id: a.id, at: due },
      { schedule_id: b.id, at: due + 80 },
    ]);
    await w.t.core.schedules.delete(w.tenant.actor, a.id);
    await w.t.core.schedules.delete(w.tenant.actor, b.id);
    await n.stop(500);
  });

  it('a claimed job whose lease was lost before it fired is not fired', async () => {
    const n = w.manual({}, 'late-writer');
    await n.leaseStep();
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/late-writer`, scheduledAt: new Date(Date.now() + 300) });
    await n.refillStep([job.shard]);
    expect((await n.claimStep()).jobs).toBe(1);
    await w.db.execute(`update shard_leases set owner = 'node_thief', epoch = epoch + 1, expires_at = now() + interval '1 minute' where shard = ?`, [job.shard]);
    // The successor re-claims it under its epoch (as its refill would).
    await w.db.execute(`update jobs set lease_epoch = lease_epoch + 1 where id = ?`, [job.id]);
    await n.leaseStep();
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(0);
    await n.idle();
    expect(r.to('/late-writer')).toHaveLength(0);
    expect((await w.t.core.jobs.get(w.tenant.actor, job.id)).status).toBe('running');
    await n.stop(500);
    await w.db.execute(`update shard_leases set owner = null, expires_at = null where owner = 'node_thief'`);
    await w.db.execute(`update jobs set status = 'cancelled', next_attempt_at = null where id = ?`, [job.id]);
  });

  it('a claim is marked dispatched only under a live lease and while not cancelled; only marked work fires', async () => {
    const n = w.manual({}, 'marker');
    await n.leaseStep();
    const kept = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/mark-kept`, scheduledAt: new Date(Date.now() + 900) });
    const cancelled = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/mark-cancelled`, scheduledAt: new Date(Date.now() + 900) });
    await n.refillStep([kept.shard, cancelled.shard]);
    // Due beyond the mark window (dispatchMarkMs 250 + 50): claimed, not marked by the claim.
    expect((await n.claimStep()).jobs).toBe(2);
    // Claimed, not marked: nothing fires, whatever the time.
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(0);
    // Cancelled behind the node's back (this core's waker does not reach manual nodes).
    expect((await w.t.core.jobs.cancel(w.tenant.actor, cancelled.id)).status).toBe('cancelled');
    expect(await n.markStep(new Date(Date.now() + 1_000))).toBe(2);
    expect((await n.stats()).cancelled.refusedAtMark).toBe(1);
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(1);
    await n.idle();
    expect(r.to('/mark-kept')).toHaveLength(1);
    expect(r.to('/mark-cancelled')).toHaveLength(0);

    // A lease taken over before the mark: refused, not fired (the new owner recovers the claim).
    const orphan = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/mark-orphan`, scheduledAt: new Date(Date.now() + 900) });
    await n.refillStep([orphan.shard]);
    expect((await n.claimStep()).jobs).toBe(1);
    await w.db.execute(`update shard_leases set owner = 'node_thief', epoch = epoch + 1, expires_at = now() + interval '1 minute' where shard = ?`, [
      orphan.shard,
    ]);
    expect(await n.markStep(new Date(Date.now() + 1_000))).toBe(1);
    expect((await n.stats()).cancelled.refusedAtMark).toBe(2);
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(0);
    const [row] = await w.db.execute<{ status: string; dispatched: boolean }>(`select status, dispatched_at is not null as dispatched from jobs where id = ?`, [
      orphan.id,
    ]);
    expect(row).toEqual({ status: 'running', dispatched: false });
    await n.stop(500);
    await w.db.execute(`update shard_leases set owner = null, expires_at = null where owner = 'node_thief'`);
    await w.db.execute(`update jobs set status = 'cancelled', next_attempt_at = null where id = ?`, [orphan.id]);
  });

  it('a claim refused at its dispatch mark because the lease lapsed (nobody took it) fires once the lease is renewed', async () => {
    const n = w.manual({}, 'lapsed');
    await n.leaseStep();
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/lapsed`, scheduledAt: new Date(Date.now() + 900) });
    await n.refillStep([job.shard]);
    expect((await n.claimStep()).jobs).toBe(1);
    // The lease runs out in the database (renewals too slow), still ours: nobody took it.
    await w.db.execute(`update shard_leases set expires_at = now() - interval '1 second' where shard = ?`, [job.shard]);
    expect(await n.markStep(new Date(Date.now() + 1_000))).toBe(1);
    expect((await n.stats()).cancelled.refusedAtMark).toBe(1);
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(0);
    const [row] = await w.db.execute<{ status: string; dispatched: boolean }>(`select status, dispatched_at is not null as dispatched from jobs where id = ?`, [
      job.id,
    ]);
    expect(row).toEqual({ status: 'running', dispatched: false });

    // Renewed under the same epoch: the job is this node's own claim again, and nobody else's
    // to recover. The next full refill reads it back, and it runs once.
    const change = await n.leaseStep();
    expect(change.lost).toEqual([]);
    expect(await n.refillStep()).toBeGreaterThanOrEqual(1);
    expect((await n.claimStep(new Date(Date.now() + 1_000))).jobs).toBe(1);
    await n.markStep(new Date(Date.now() + 1_000));
    expect(n.fireDueStep(new Date(Date.now() + 10_000))).toBe(1);
    await n.idle();
    expect(r.to('/lapsed')).toHaveLength(1);
    expect((await w.t.core.jobs.get(w.tenant.actor, job.id)).status).toBe('succeeded');
    await n.stop(500);
  });

  it('a result written under an older epoch records the execution but cannot move the re-claimed job', async () => {
    const n = w.manual({}, 'old-epoch');
    await n.leaseStep();
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/old-epoch`, scheduledAt: new Date(Date.now() + 300) });
    await n.refillStep([job.shard]);
    await n.claimStep();
    const [{ epoch }] = await w.db.execute<{ epoch: string }>(`select lease_epoch::text as epoch from jobs where id = ?`, [job.id]);
    // The successor's claim bumps the job's epoch.
    await w.db.execute(`update jobs set lease_epoch = lease_epoch + 1 where id = ?`, [job.id]);
    const now = new Date();
    const updated = await writeAttempts(w.db, [
      {
        executionId: newId('execution'),
        jobId: job.id,
        projectId: w.tenant.projectId,
        scheduleId: null,
        attempt: 1,
        status: 'succeeded',
        statusCode: 200,
        durationMs: 3,
        responseBody: 'ok',
        error: null,
        startedAt: now,
        finishedAt: now,
        jobStatus: 'succeeded',
        nextAttemptAt: null,
        epoch: Number(epoch),
        run: true,
      },
    ]);
    expect(updated.size).toBe(0);
    expect((await w.t.core.jobs.get(w.tenant.actor, job.id)).status).toBe('running');
    const [{ n: execs }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from executions where job_id = ?`, [job.id]);
    expect(execs).toBe(1);
    await n.stop(500);
    await w.db.execute(`update jobs set status = 'cancelled', next_attempt_at = null where id = ?`, [job.id]);
  });

  it('after a node dies, the new owner runs the ticks it had claimed but not fired, each exactly once', async () => {
    const dead = w.manual({ claimAheadMs: 2_000 }, 'dead');
    await dead.leaseStep();
    const s = await w.t.core.schedules.create(w.tenant.actor, { url: `${r.url}/recovered`, cron: '* * * * * *' });
    await dead.refillStep([s.shard]);
    await dead.claimStep();
    // (Other jobs on that shard, handed back by nodes stopped in earlier tests, may be claimed too.)
    const runningBefore = await w.db.execute<{ id: string }>(`select id from jobs where schedule_id = ? and status = 'running'`, [s.id]);
    expect(runningBefore.length).toBeGreaterThanOrEqual(2);
    // It dies without firing or releasing: simulate its leases expiring.
    await w.db.execute(`update shard_leases set expires_at = now() - interval '1 second' where owner = ?`, [dead.nodeId]);
    await w.db.execute(`update scheduler_nodes set heartbeat_at = now() - interval '1 hour' where id = ?`, [dead.nodeId]);

    const heir = await w.node({}, 'heir');
    await until(() => r.to('/recovered').length >= runningBefore.length + 2, { timeoutMs: 8_000 });
    await w.t.core.schedules.pause(w.tenant.actor, s.id);
    const got = r.to('/recovered');
    const ids = got.map((q) => String(q.headers['webhook-id']));
    for (const { id } of runningBefore) expect(ids.filter((x) => x === id)).toHaveLength(1);
    const times = got.map((q) => String(q.headers['x-tock-scheduled-at']));
    expect(new Set(times).size).toBe(times.length);
    await heir.stop(1_000);
  });
});
