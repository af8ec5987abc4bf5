import type { Database } from '../store/database.js';
import type { Clock } from './clock.js';
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
  /**
   * Why the executor's target policy would refuse to call `url` whatever it resolves to (a
   * literal IP it does not allow), or null. Checked when a call target is stored, so such a
   * target is refused up front instead of on every run; host names are judged at connect time.
   */
  targetRefusal: (url: string) => string | null;
}

export const DEFAULT_PING_LOG_SIZE = 100;
