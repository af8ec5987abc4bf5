import { BUSY_LIMIT, type ScheduleRuns } from '../store/job-transitions.js';

/**
 * Overlap `forbid`: for each schedule, its runs that are not terminal yet (a retry pending
 * included): the ones this node fired, plus the ones a claim found unfinished in the database
 * (fired by an earlier owner of the shard). A tick is skipped while an earlier run is here.
 */
export class UnfinishedRuns {
  private readonly bySchedule = new Map<string, { shard: number; jobs: Map<string, number> }>();
  private readonly scheduleOf = new Map<string, string>();

  add(scheduleId: string, shard: number, jobId: string, scheduledAtMs: number): void {
    let runs = this.bySchedule.get(scheduleId);
    if (!runs) {
      runs = { shard, jobs: new Map() };
      this.bySchedule.set(scheduleId, runs);
    }
    runs.jobs.set(jobId, scheduledAtMs);
    this.scheduleOf.set(jobId, scheduleId);
  }

  end(jobId: string): void {
    const scheduleId = this.scheduleOf.get(jobId);
    if (scheduleId === undefined) return;
    this.scheduleOf.delete(jobId);
    const runs = this.bySchedule.get(scheduleId);
    if (!runs) return;
    runs.jobs.delete(jobId);
    if (runs.jobs.size === 0) this.bySchedule.delete(scheduleId);
  }

  /** Whether a run of `scheduleId` scheduled before `scheduledAtMs` (other than `jobId`) is unfinished. */
  holdsBack(scheduleId: string, jobId: string, scheduledAtMs: number): boolean {
    const runs = this.bySchedule.get(scheduleId);
    if (!runs) return false;
    // Only an earlier run holds a tick back (a catch-up can claim several ticks at once).
    for (const [id, at] of runs.jobs) if (id !== jobId && at < scheduledAtMs) return true;
    return false;
  }

  /** Forgets the schedules on these shards (lost or released). */
  dropShards(shards: ReadonlySet<number>): void {
    for (const [id, runs] of this.bySchedule) {
      if (!shards.has(runs.shard)) continue;
      for (const jobId of runs.jobs.keys()) this.scheduleOf.delete(jobId);
      this.bySchedule.delete(id);
    }
  }

  /**
   * Brings the unfinished runs of claimed `forbid` schedules in line with what a claim read in
   * the database. That read is the truth as of the statement's snapshot; anything this node
   * changed about a job since the statement was sent (`unchanged` false: a result written, a
   * cancel told) is newer and wins. So a run fired by an earlier owner of the shard counts until
   * it ends here, and a run that ended where this node could not see it (a cancel whose notice
   * was lost) stops counting at the schedule's next claim. `complete`: the claim read each
   * schedule's whole list (a tick claim does; a job claim reads only the runs before each tick).
   */
  reconcile(
    unfinished: ReadonlyMap<string, ScheduleRuns>,
    complete: boolean,
    node: { claims(shard: number): boolean; unchanged(jobId: string): boolean; toldCancelled(jobId: string): boolean; owns(jobId: string): boolean },
  ): void {
    for (const [scheduleId, { shard, runs: runsInDb }] of unfinished) {
      if (!node.claims(shard)) continue;
      for (const r of runsInDb) {
        if (!this.scheduleOf.has(r.jobId) && node.unchanged(r.jobId) && !node.toldCancelled(r.jobId)) this.add(scheduleId, shard, r.jobId, r.scheduledAtMs);
      }
      // Only the whole list (under BUSY_LIMIT rows) can prove that a run ended.
      if (!complete || runsInDb.length >= BUSY_LIMIT) continue;
      const runs = this.bySchedule.get(scheduleId);
      if (!runs) continue;
      const inDb = new Set(runsInDb.map((r) => r.jobId));
      for (const id of [...runs.jobs.keys()]) if (!inDb.has(id) && !node.owns(id) && node.unchanged(id)) this.end(id);
    }
  }
}
