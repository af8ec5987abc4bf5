import type { Database } from '../../../store/database.js';
import type { JobService } from '../../jobs/service.js';
import type { MonitorService } from '../../monitors/service.js';
import type { ScheduleService } from '../../schedules/service.js';
import type { ResourceKind } from '../../errors.js';
import type { Actor, Scope } from '../../types.js';
import type { SyncKindName } from '../input.js';

/** What a kind of object needs to take part in a sync. */
export interface SyncKindDeps {
  db: Database;
  schedules: ScheduleService;
  monitors: MonitorService;
  jobs: JobService;
}

/**
 * One kind of object a sync manages (a plug-in: the engine knows none of them by name).
 * `E` is the kind's sync entry (its create input with the match field required), `O` its
 * stored object. Writes go through the kind's own service, so every rule of a create, update
 * or delete (next run, cancelling pending runs, waking the timer) is the service's own.
 */
export interface SyncKind<E extends object, O extends { id: string }> {
  name: SyncKindName;
  resource: ResourceKind;
  readScope: Scope;
  writeScope: Scope;
  /** The value the entry is matched by (key, or idempotency key for one-time jobs). */
  matchOf(entry: E): string;
  storedMatchOf(object: O): string | null;
  /** Fields compared between a stored object and what the entry makes it. */
  comparedFields(entry: E): readonly (keyof O & string)[];
  /** What `create` would store for the entry (throws the service's own validation errors). */
  build(actor: Actor, entry: E): O;
  /** Stored objects of the actor's project matched by these values, or every keyed one. */
  load(actor: Actor, matches: readonly string[] | 'all'): Promise<O[]>;
  /** Creates the object; null when another writer created one with the same match first. */
  create(actor: Actor, entry: E): Promise<O | null>;
  /** Sets the changed fields; null when the object is gone. Absent: the kind cannot be changed. */
  update?(actor: Actor, stored: O, patch: Partial<O>): Promise<O | null>;
  /** Deletes the object (already gone is fine). Absent: the kind is never pruned. */
  remove?(actor: Actor, stored: O): Promise<void>;
}

/** The fields of a create input that the stored object has, i.e. the fields a sync compares. */
export function inputFields<O>() {
  return <S extends Record<string, unknown>>(shape: S & Record<Exclude<keyof S, keyof O>, never>): (keyof S & keyof O & string)[] =>
    Object.keys(shape) as (keyof S & keyof O & string)[];
}
