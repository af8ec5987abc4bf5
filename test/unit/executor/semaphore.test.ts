import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../server/executor/semaphore.js';

describe('Semaphore', () => {
  it('hands out permits up to its capacity without waiting', () => {
    const sem = new Semaphore(2);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(false);
    expect(sem.inUse).toBe(2);
  });

  it('wakes waiters in arrival order, one per release', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => sem.acquire().then(() => order.push(n)));
    expect(sem.waiting).toBe(3);

    sem.release();
    await waiters[0];
    expect(order).toEqual([1]);
    sem.release();
    sem.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(sem.inUse).toBe(1);
  });

  it('does not let a newcomer take a permit that was handed to a waiter', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const waiter = sem.acquire();
    sem.release();
    expect(sem.tryAcquire()).toBe(false);
    await waiter;
    sem.release();
    expect(sem.idle).toBe(true);
  });

  it('keeps FIFO order across thousands of waiters', async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const order: number[] = [];
    const all = Array.from({ length: 5000 }, (_, i) => sem.acquire().then(() => {
      order.push(i);
      sem.release();
    }));
    sem.release();
    await Promise.all(all);
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(sem.idle).toBe(true);
  });

  it('throws when released more often than acquired', () => {
    const sem = new Semaphore(1);
    expect(() => sem.release()).toThrow(/released more times/);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
