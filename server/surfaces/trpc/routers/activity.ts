import type { Activity } from '../../../core/executions/activity.js';
import type { IsoDates } from '../codec.js';
import { projectProcedure as p, router } from '../trpc.js';

/** One minute of activity on the wire. */
export type WireActivityMinute = IsoDates<Activity['minutes'][number]>;
/** The last hour of the project's executions on the wire, oldest minute first. */
export interface WireActivity {
  from: string;
  to: string;
  minutes: WireActivityMinute[];
}

/** Read-only summaries of the project's executions (what the dashboard charts). */
export const activityRouter = router({
  /** Executions per minute of the last 60 minutes: by outcome, with first-attempt lateness (mean and max, ms). */
  lastHour: p.query(async ({ ctx }): Promise<WireActivity> => {
    const a = await ctx.core.jobs.activity(ctx.actor);
    return {
      from: a.from.toISOString(),
      to: a.to.toISOString(),
      minutes: a.minutes.map((m) => ({ ...m, minute: m.minute.toISOString() })),
    };
  }),
});
