import { hostname } from 'node:os';
import type { Config } from './config.js';
import { createCore, type Core } from './core/index.js';
import { noopWaker, type Waker } from './core/wake.js';
import { HttpExecutor, TargetPolicy } from './executor/index.js';
import { createMailer } from './notify/email.js';
import { createLogger, type Logger } from './logger.js';
import { TockMetrics } from './metrics/index.js';
import { Database } from './store/database.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './store/embedded.js';
import { startGrpcServer, type GrpcServer } from './surfaces/grpc/server.js';
import type { SchedulerState } from './surfaces/http/health.js';
import { startHttpServer, type RunningHttpServer } from './surfaces/http/server.js';
import { restPlugin } from './surfaces/rest/index.js';
import { trpcPlugin } from './surfaces/trpc/index.js';
import { createNotifyWaker, startScheduler, type RunningScheduler } from './timer/index.js';

export interface RunningTock {
  core: Core;
  db: Database;
  http: RunningHttpServer;
  grpc: GrpcServer;
  /** null when TOCK_SCHEDULER=false (an API-only node). */
  scheduler: RunningScheduler | null;
  logger: Logger;
  /** The admin key created on this start (first start only), else null. */
  bootstrapSecret: string | null;
  stop(): Promise<void>;
}

/** Opens the configured database: PostgreSQL at DATABASE_URL, or the embedded PGlite under DATA_DIR. */
export async function openDatabase(
  config: Config,
  logger: Logger,
): Promise<{ db: Database; embedded: EmbeddedDatabase | null; mode: 'embedded' | 'postgres' }> {
  const onWarning = (message: string) => logger.warn({ message }, 'database pool');
  if (config.databaseUrl) {
    const db = await Database.connect({ url: config.databaseUrl, poolSize: config.dbPoolSize, onWarning });
    return { db, embedded: null, mode: 'postgres' };
  }
  const embedded = await startEmbeddedDatabase({ dataDir: config.dataDir });
  logger.info(
    { dataDir: config.dataDir, port: embedded.port },
    'embedded database (PGlite): single node only; set DATABASE_URL to a PostgreSQL server for production and several nodes',
  );
  // PGlite serialises statements; a small pool avoids queueing many connections on it.
  const db = await Database.connect({ url: embedded.url, poolSize: Math.min(config.dbPoolSize, 4), onWarning });
  return { db, embedded, mode: 'embedded' };
}

/** What `/readyz` reads of the scheduler: its stats, or null on an API-only node. */
function timerStats(scheduler: RunningScheduler | null): (() => Promise<SchedulerState>) | null {
  return scheduler ? () => scheduler.stats() : null;
}

/**
 * The composition root: config -> database (migrated) -> core -> timer -> surfaces.
 * Stopping reverses it: stop accepting, let in-flight work finish, close the database last.
 */
export async function startTock(config: Config, opts: { logger?: Logger } = {}): Promise<RunningTock> {
  const logger = opts.logger ?? createLogger(config.logLevel, { node: hostname() });
  const { db, embedded, mode } = await openDatabase(config, logger);
  const applied = await db.migrate();
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');

  const executor = new HttpExecutor({
    policy: new TargetPolicy(config.allowTargets),
    maxInFlight: config.maxInFlight,
    maxPerOrigin: config.maxPerOrigin,
  });
  // The core wakes the timer, and the timer decides monitor deadlines through the core: the core
  // comes first, with a waker that forwards to the timer once it runs (the timer's first full
  // refill covers anything woken before).
  let scheduler: RunningScheduler | null = null;
  let timerWaker: Waker = noopWaker;
  const waker: Waker = config.schedulerEnabled
    ? { wake: (kind, shard, dueAt) => timerWaker.wake(kind, shard, dueAt), cancelled: (kind, shard, id) => timerWaker.cancelled?.(kind, shard, id) }
    : mode === 'postgres'
      ? // An API-only node still tells the scheduler nodes about new due work.
        createNotifyWaker(db, { logger: logger.child({ component: 'wake' }) })
      : noopWaker;

  // TOCK_METRICS=off: nothing counted, no /metrics.
  const metrics = config.metrics.enabled ? new TockMetrics({ db }) : null;
  const core = createCore({
    db,
    waker,
    events: metrics?.events,
    publicUrl: config.publicUrl,
    pingLogSize: config.pingLogSize,
    allowTargets: config.allowTargets,
    dailyExecutionLimit: config.dailyExecutionLimit,
    monitorLimit: config.monitorLimit,
  });
  if (config.schedulerEnabled) {
    scheduler = await startScheduler({
      db,
      databaseUrl: mode === 'postgres' ? config.databaseUrl : null,
      executor,
      logger: logger.child({ component: 'timer' }),
      options: { misfireThresholdMs: config.misfireThresholdMs },
      monitorDeadlines: core.monitorDeadlines,
      retention: { defaultDays: config.retentionDays },
      alerts: { publicUrl: config.publicUrl, mailer: config.smtpUrl ? createMailer(config.smtpUrl) : null, from: config.alertFrom },
    });
    timerWaker = scheduler.waker;
    metrics?.attachTimer(scheduler.metrics);
    logger.info({ nodeId: scheduler.nodeId }, 'scheduler started');
  }
  const boot = await core.bootstrap();

  const http = await startHttpServer({
    core,
    db,
    logger,
    port: config.port,
    host: config.host,
    mode,
    scheduler: timerStats(scheduler),
    openSignup: config.openSignup,
    limits: config.http,
    metrics: metrics && { registry: metrics, token: config.metrics.token },
    trustProxy: config.trustProxy,
    mount: async (app) => {
      await app.register(trpcPlugin, { prefix: '/trpc', core, logger });
      await app.register(restPlugin, {
        core,
        logger,
        limits: {
          ratePerKey: config.http.apiRatePerKey,
          bodyLimit: config.http.apiBodyLimit,
          rateLimitKeys: config.http.rateLimitKeys,
          pingRatePerToken: config.http.pingRatePerToken,
          pingRatePerIp: config.http.pingRatePerIp,
          signupRatePerIp: config.http.signupRatePerIp,
        },
        openSignup: config.openSignup,
        databaseReachable: () => db.isReachable(),
      });
    },
  });
  logger.info({ port: http.port, mode }, 'HTTP listening (REST, tRPC, health)');
  const grpc = await startGrpcServer({
    core,
    port: config.grpcPort,
    host: config.host,
    logger,
    database: db,
    connection: { maxConnectionAgeMs: config.grpcMaxConnectionAgeMs },
    tls: config.grpcTls,
    observer: metrics,
  });

  let stopping: Promise<void> | null = null;
  return {
    core,
    db,
    http,
    grpc,
    scheduler,
    logger,
    bootstrapSecret: boot?.secret ?? null,
    stop() {
      stopping ??= (async () => {
        // Stop taking requests first, then let the timer finish in-flight calls and hand back
        // its leases (so another node takes over at once), and close the database last.
        await Promise.all([http.close(), grpc.close(5_000)]);
        await scheduler?.stop(config.shutdownDeadlineMs);
        await executor.close();
        await db.close();
        await embedded?.stop();
      })();
      return stopping;
    },
  };
}
