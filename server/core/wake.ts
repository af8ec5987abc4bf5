/**
 * How the core tells the timer about changes to due work it may already hold. The timer
 * implements it (in-process always; NOTIFY to other nodes on PostgreSQL); without a timer it is
 * a no-op and the next refill picks the change up.
 *
 * - `wake`: something became due sooner than the timer knows (`alert`: alert rows were
 *   committed, due now, on the shard).
 * - `cancelled`: a job the timer may have claimed but not dispatched was cancelled in the
 *   database (by a job cancel, or a schedule pause/delete). The database already decided (see
 *   `jobs.dispatched_at`): the timer would find out at its dispatch mark anyway; this lets the
 *   owning node drop the job at once. Only called for cancels that won.
 */
export type WakeKind = 'schedule' | 'job' | 'monitor' | 'alert';
export type CancelKind = 'job';

export interface Waker {
  wake(kind: WakeKind, shard: number, dueAt: Date): void;
  /** Optional so that a bare `{ wake }` stays a Waker (the cancel is decided in the database). */
  cancelled?(kind: CancelKind, shard: number, id: string): void;
}

export const noopWaker: Waker = { wake: () => {}, cancelled: () => {} };
