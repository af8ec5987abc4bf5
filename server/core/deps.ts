import type { Database } from '../store/database.js';
import type { Clock } from './clock.js';
import type { Waker } from './wake.js';

/** What every core service is built with. Surfaces never see these. */
export interface CoreDeps {
  db: Database;
  clock: Clock;
  waker: Waker;
  /** Base URL for URLs Tock hands out (monitor ping URLs). */
  publicUrl: string;
}
