import { z } from 'zod';
import type { Database } from '../store/database.js';
import { AuthCaches } from './auth/cache.js';
import { systemClock, type Clock } from './clock.js';
import { AlertService } from './alerts/service.js';
import { DEFAULT_PING_LOG_SIZE, noCoreEvents, type CoreDeps, type CoreEvents } from './deps.js';
import { JobService } from './jobs/service.js';
import { KeyService } from './keys/service.js';
import { MonitorDeadlines } from './monitors/deadlines.js';
import { MonitorService } from './monitors/service.js';
import { ProjectService } from './projects/service.js';
import { Heartbeats } from './schedules/heartbeat.js';
import { ScheduleService } from './schedules/service.js';
import { SyncService } from './sync/service.js';
import type { Actor, ApiKey, Principal, Project } from './types.js';
import { noopWaker, type Waker } from './wake.js';
import { email, name, parse } from './validation.js';
import { AlreadyExistsError } from './errors.js';
import { isUniqueViolation } from '../store/errors.js';
import { TargetAllowList } from './targets.js';
import type { Account } from './types.js';

export const signUpInput = z.object({ email, name: name.optional() }).strict();

/**
 * The domain core: every operation of every surface goes through one of these services.
 * Surfaces authenticate a key (`authenticate`), pick the project (`actor`), and call a service.
 */
export class Core {
  readonly projects: ProjectService;
  readonly keys: KeyService;
  readonly schedules: ScheduleService;
  readonly jobs: JobService;
  readonly monitors: MonitorService;
  readonly sync: SyncService;
  /** The timer's side of monitors: which deadlines are due, and deciding them. */
  readonly monitorDeadlines: MonitorDeadlines;
  /** Flips and alerts of a monitor, schedule or job. */
  readonly alerts: AlertService;

  /** `deps` reach the services only: surfaces call services, never the database or the waker. */
  constructor(deps: CoreDeps) {
    const caches = new AuthCaches(deps.clock);
    this.projects = new ProjectService(deps, caches);
    this.keys = new KeyService(deps, caches);
    this.monitors = new MonitorService(deps);
    this.schedules = new ScheduleService(deps, new Heartbeats(deps, this.monitors));
    this.jobs = new JobService(deps);
    this.sync = new SyncService({ db: deps.db, schedules: this.schedules, monitors: this.monitors, jobs: this.jobs, projects: this.projects });
    this.monitorDeadlines = new MonitorDeadlines(deps);
    this.alerts = new AlertService(deps);
  }

  authenticate(secret: string | null | undefined): Promise<Principal> {
    return this.keys.authenticate(secret);
  }

  /** The actor for a request: the principal acting on the chosen (or default) project. */
  async actor(principal: Principal, projectId?: string | null): Promise<Actor> {
    const id = await this.projects.resolveId(principal, projectId);
    return { accountId: principal.accountId, keyId: principal.keyId, projectId: id, scopes: principal.scopes };
  }

  /**
   * Self-service sign-up: a new account with its first project and an all-scopes key. With
   * `alertsToEmail`, the project's notification email is the account's, so every monitor and
   * schedule of it alerts there (services whose documents promise alerts to the account email).
   */
  async signUp(input: unknown, opts: { alertsToEmail?: boolean } = {}): Promise<{ account: Account; project: Project; secret: string }> {
    const p = parse(signUpInput, input);
    try {
      const { account, project } = await this.projects.createAccount({
        name: p.name ?? p.email,
        email: p.email,
        notifyEmail: opts.alertsToEmail ? p.email : null,
      });
      const { secret } = await this.keys.createUnchecked({ accountId: account.id, name: 'signup', scopes: ['*'] });
      return { account, project, secret };
    } catch (err) {
      if (isUniqueViolation(err, 'accounts_email_uq')) throw new AlreadyExistsError('account', 'email', p.email);
      throw err;
    }
  }

  /**
   * First start: with no key in the database, creates an admin account, its default project and
   * a key with every scope. Returns the secret to print once, or null when keys exist.
   */
  async bootstrap(): Promise<{ project: Project; key: ApiKey; secret: string } | null> {
    if ((await this.keys.countAll()) > 0) return null;
    const { account, project } = await this.projects.createAccount({ name: 'admin' });
    const { key, secret } = await this.keys.createUnchecked({ accountId: account.id, name: 'admin', scopes: ['*'] });
    return { project, key, secret };
  }
}

/** `allowTargets`: TOCK_ALLOW_TARGETS entries (CIDRs, IPs, host names); none by default. */
export function createCore(opts: {
  db: Database;
  clock?: Clock;
  waker?: Waker;
  publicUrl: string;
  pingLogSize?: number;
  allowTargets?: readonly string[];
  dailyExecutionLimit?: number;
  /** Monitors per account (TOCK_MONITOR_LIMIT); 0 or absent = no limit. */
  monitorLimit?: number;
  /** Told of pings as they are recorded (metrics); default nobody. */
  events?: CoreEvents;
}): Core {
  return new Core({
    db: opts.db,
    clock: opts.clock ?? systemClock,
    waker: opts.waker ?? noopWaker,
    publicUrl: opts.publicUrl,
    pingLogSize: opts.pingLogSize ?? DEFAULT_PING_LOG_SIZE,
    allowTargets: new TargetAllowList(opts.allowTargets ?? []),
    dailyExecutionLimit: opts.dailyExecutionLimit ?? 0,
    monitorLimit: opts.monitorLimit ?? 0,
    events: opts.events ?? noCoreEvents,
  });
}

export type { CoreEvents } from './deps.js';
export * from './errors.js';
export * from './sync/index.js';
export type * from './types.js';
