import type { Database } from '../store/database.js';
import type { Clock } from './clock.js';
import type { TargetAllowList } from './targets.js';
import type { PingKind } from './types.js';
import type { Waker } from './wake.js';

/** What every core service is built with. Surfaces never see these. */
export interface CoreDeps {
  db: Database;
  clock: Clock;
  waker: Waker;
  /** Base URL for URLs Tock hands out (monitor ping URLs, links in alerts). */
  publicUrl: string;
  /** Pings kept per monitor (TOCK_PING_LOG_SIZE); older ones are dropped as new ones arrive. */
  pingLogSize: number;
  /** The operator's TOCK_ALLOW_TARGETS: literal IP targets outside it are refused when stored. */
  allowTargets: TargetAllowList;
  /** Executions per project per UTC day after which creates are refused (TOCK_DAILY_EXECUTION_LIMIT); 0 = no limit. */
  dailyExecutionLimit: number;
  /** Monitors an account may have over all its projects (TOCK_MONITOR_LIMIT); 0 = no limit. */
  monitorLimit: number;
  /** Told what happened once it is stored (metrics count it). */
  events: CoreEvents;
}

/** What the core reports as it happens. Called synchronously after the change is stored; must not throw. */
export interface CoreEvents {
  /** A ping was recorded on a monitor (through any surface). */
  pinged(kind: PingKind): void;
}

export const noCoreEvents: CoreEvents = { pinged() {} };

export const DEFAULT_PING_LOG_SIZE = 100;
