/**
 * How the core tells the timer that something became due sooner than the timer knows. The
 * timer implements it (in-process always; NOTIFY to other nodes on PostgreSQL); without a
 * timer it is a no-op and the next refill picks the change up.
 */
export type WakeKind = 'schedule' | 'job' | 'monitor';

export interface Waker {
  wake(kind: WakeKind, shard: number, dueAt: Date): void;
}

export const noopWaker: Waker = { wake: () => {} };
