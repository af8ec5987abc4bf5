import { describe, expect, it } from 'vitest';
import { Coalescer, type Outcome } from '../../../server/store/coalescer.js';

/** A `run` whose batches are answered by hand, recording each batch it was given. */
function manualRun() {
  const batches: number[][] = [];
  const answers: Array<(o: Outcome<string>[] | Error) => void> = [];
  const run = (items: number[]) =>
    new Promise<Outcome<string>[]>((resolve, reject) => {
      batches.push(items);
      answers.push((o) => (o instanceof Error ? reject(o) : resolve(o)));
    });
  const ok = (items: number[]) => items.map((i) => ({ ok: true as const, value: `v${i}` }));
  return { batches, answers, run, ok };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('sends a lone call at once, without waiting for company', async () => {
    const m = manualRun();
    const c = new Coalescer(m.run, { maxBatch: 10, maxInFlight: 1 });
    const p = c.submit(1);
    expect(m.batches).toEqual([[1]]);
    m.answers[0](m.ok([1]));
    expect(await p).toBe('v1');
  });

  it('groups the calls that arrive while a batch is out into the next one, up to maxBatch', async () => {
    const m = manualRun();
    const c = new Coalescer(m.run, { maxBatch: 3, maxInFlight: 1 });
    const all = [1, 2, 3, 4, 5, 6].map((i) => c.submit(i));
    expect(m.batches).toEqual([[1]]);
    m.answers[0](m.ok([1]));
    await tick();
    expect(m.batches).toEqual([[1], [2, 3, 4]]);
    m.answers[1](m.ok([2, 3, 4]));
    await tick();
    expect(m.batches[2]).toEqual([5, 6]);
    m.answers[2](m.ok([5, 6]));
    expect(await Promise.all(all)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('closes a batch at maxWeight, and still sends an item heavier than it alone', async () => {
    const m = manualRun();
    const c = new Coalescer(m.run, { maxBatch: 100, maxInFlight: 1, maxWeight: 10, weight: (i: number) => i });
    const all = [1, 4, 5, 2, 30, 3].map((i) => c.submit(i));
    m.answers[0](m.ok([1]));
    await tick();
    expect(m.batches[1]).toEqual([4, 5]);
    m.answers[1](m.ok([4, 5]));
    await tick();
    expect(m.batches[2]).toEqual([2]);
    m.answers[2](m.ok([2]));
    await tick();
    expect(m.batches[3]).toEqual([30]);
    m.answers[3](m.ok([30]));
    await tick();
    expect(m.batches[4]).toEqual([3]);
    m.answers[4](m.ok([3]));
    expect(await Promise.all(all)).toEqual(['v1', 'v4', 'v5', 'v2', 'v30', 'v3']);
  });

  it('keeps at most maxInFlight batches out', async () => {
    const m = manualRun();
    const c = new Coalescer(m.run, { maxBatch: 100, maxInFlight: 2 });
    const all = [1, 2, 3, 4].map((i) => c.submit(i));
    expect(m.batches).toEqual([[1], [2]]);
    m.answers[1](m.ok([2]));
    await tick();
    expect(m.batches).toEqual([[1], [2], [3, 4]]);
    m.answers[0](m.ok([1]));
    m.answers[2](m.ok([3, 4]));
    expect(await Promise.all(all)).toEqual(['v1', 'v2', 'v3', 'v4']);
  });

  it('fails only the items whose outcome failed, and a whole batch when run throws', async () => {
    const m = manualRun();
    const c = new Coalescer(m.run, { maxBatch: 10, maxInFlight: 1 });
    const first = c.submit(1);
    const [a, b] = [c.submit(2), c.submit(3)];
    m.answers[0](new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    m.answers[1]([{ ok: false, error: new Error('bad row') }, { ok: true, value: 'v3' }]);
    await expect(a).rejects.toThrow('bad row');
    expect(await b).toBe('v3');
  });
});
