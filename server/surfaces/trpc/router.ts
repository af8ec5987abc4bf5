import { activityRouter } from './routers/activity.js';
import { alertsRouter } from './routers/alerts.js';
import { flipsRouter } from './routers/flips.js';
import { jobsRouter } from './routers/jobs.js';
import { monitorPingsRouter } from './routers/monitor-pings.js';
import { monitorsRouter } from './routers/monitors.js';
import { projectPingKeysRouter } from './routers/project-ping-keys.js';
import { projectsRouter } from './routers/projects.js';
import { schedulesRouter } from './routers/schedules.js';
import { mergeRouters, router } from './trpc.js';
import { syncRouter } from './routers/sync.js';

/**
 * The tRPC surface: the operations of the gRPC contract (proto/tock/v1), same names in
 * camelCase, grouped by service, plus declarative sync (`sync.plan`, `sync.run`) and the last
 * hour's executions per minute (`activity.lastHour`). Queries: get, list*, listExecutions,
 * getSigningSecrets, activity.lastHour; everything else is a mutation.
 */
export const appRouter = router({
  schedules: schedulesRouter,
  jobs: jobsRouter,
  monitors: mergeRouters(monitorsRouter, monitorPingsRouter),
  projects: mergeRouters(projectsRouter, projectPingKeysRouter),
  alerts: alertsRouter,
  flips: flipsRouter,
  sync: syncRouter,
  activity: activityRouter,
});

/** Type of the tRPC router, for `@trpc/client` and for checking `@tock/client`'s wire types. */
export type AppRouter = typeof appRouter;
