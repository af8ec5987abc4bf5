import type { Database } from '../store/database.js';
import type { Clock } from './clock.js';
import type { TargetAllowList } from './targets.js';
import type { Waker } from './wake.js';

/** What every core service is built with. Surfaces never see these. */
export interface CoreDeps {
  db: Database;
  clock: Clock;
  waker: Waker;
  /** Base URL for URLs Tock hands out (monitor ping URLs). */
  publicUrl: string;
  /** The operator's TOCK_ALLOW_TARGETS: literal IP targets outside it are refused when stored. */
  allowTargets: TargetAllowList;
}
