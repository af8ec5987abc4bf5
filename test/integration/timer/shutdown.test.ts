import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Receiver, timerWorld, until, type TimerWorld } from './harness.js';

/**
 * Graceful stop (what SIGTERM runs): stop claiming, hand back what is claimed but not sent,
 * let calls in flight finish up to the deadline and write their results, release the leases.
 */

let w: TimerWorld;
let r: Receiver;
/** Responses held back by the test, released at will. */
const held: Array<() => void> = [];

beforeAll(async () => {
  w = await timerWorld();
  r = await new Receiver((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('slow'), 1_200);
    else if (req.url === '/held') held.push(() => res.writeHead(200).end('held'));
    else res.writeHead(200).end('ok');
  }).listen();
});
afterEach(async () => {
  held.splice(0).forEach((release) => release());
  await w.db.execute(`update shard_leases set owner = null, expires_at = null`);
});
afterAll(async () => {
  await w?.close();
  await r?.close();
});

async function leaseEpoch(id: string): Promise<string | null> {
  const [row] = await w.db.execute<{ lease_epoch: string | null }>(`select lease_epoch from jobs where id = ?`, [id]);
  return row.lease_epoch;
}

describe('a graceful stop', () => {
  it('finishes the call in flight and writes its result, hands back the claimed job it had not sent, and frees its shards', async () => {
    const a = await w.node({}, 'A');
    const due = Date.now() + 1_500;
    const inFlight = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/slow`, scheduledAt: new Date(due) });
    const claimed = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/fast`, scheduledAt: new Date(due + 500) });
    await until(() => r.to('/slow').length === 1, { timeoutMs: 5_000 });
    // The second job is due within the claim-ahead window: claimed by A, not sent.
    expect(await w.jobState(claimed.id)).toMatchObject({ status: 'running', attempts: 1 });

    await a.stop(5_000);

    // The slow call ran to its end and its result is in before stop() returned.
    expect(await w.jobState(inFlight.id)).toMatchObject({ status: 'succeeded', attempts: 1, executions: 1 });
    // The claimed job went back as it was before the claim, unsent.
    expect(await w.jobState(claimed.id)).toEqual({ status: 'scheduled', attempts: 0, dispatched: false, executions: 0 });
    expect(await leaseEpoch(claimed.id)).toBeNull();
    expect(r.to('/fast')).toHaveLength(0);
    const [{ n: heldByA }] = await w.db.execute<{ n: number }>(`select count(*)::int as n from shard_leases where owner = ?`, [a.nodeId]);
    expect(heldByA).toBe(0);

    // The next node sends the handed-back job, once.
    const b = await w.node({}, 'B');
    await until(async () => (await w.jobState(claimed.id)).status === 'succeeded', { timeoutMs: 5_000 });
    expect(r.to('/fast').map((q) => q.headers['webhook-id'])).toEqual([claimed.id]);
    expect(await w.jobState(claimed.id)).toMatchObject({ attempts: 1, executions: 1 });
    await b.stop(1_000);
  });

  it('leaves a call still in flight at the deadline to the next owner, which calls it again with the same webhook-id', async () => {
    const a = await w.node({}, 'A2');
    const job = await w.t.core.jobs.create(w.tenant.actor, { url: `${r.url}/held`, scheduledAt: new Date(Date.now() + 1_200) });
    await until(() => held.length === 1, { timeoutMs: 5_000 });

    await a.stop(300);
    // stop() returned while the call was still unanswered: no result, the job still running.
    expect(held).toHaveLength(1);
    expect(await w.jobState(job.id)).toMatchObject({ status: 'running', executions: 0 });

    const b = await w.node({}, 'B2');
    await until(() => held.length === 2, { timeoutMs: 5_000, message: 'the next owner did not call again' });
    held.splice(0).forEach((release) => release());
    await until(async () => (await w.jobState(job.id)).status === 'succeeded', { timeoutMs: 5_000 });
    // Delivered at least once: two calls, one webhook-id for the receiver to dedupe on.
    expect(r.to('/held').map((q) => q.headers['webhook-id'])).toEqual([job.id, job.id]);
    await b.stop(1_000);
  });
});
