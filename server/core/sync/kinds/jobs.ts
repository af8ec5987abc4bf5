import { JobEntity } from '../../../store/entities.js';
import { IdempotencyConflictError } from '../../errors.js';
import { jobInput } from '../../jobs/service.js';
import type { Job } from '../../types.js';
import type { syncJobEntry } from '../input.js';
import { loadKeyed } from '../stored.js';
import { inputFields, type SyncKind, type SyncKindDeps } from './kind.js';
import type { z } from 'zod';

type Entry = z.output<typeof syncJobEntry>;

const FIELDS = inputFields<Job>()(jobInput.shape);
// Without `scheduled_at` a job is due when it is created: a later sync of the same entry is
// the same job, whenever it runs.
const WITHOUT_SCHEDULED_AT = FIELDS.filter((f) => f !== 'scheduledAt');

/**
 * One-time jobs: a record of one call, not configuration. A sync creates each once; it has no
 * `update` (a different call under a used idempotency key is refused, as a create is) and no
 * `remove` (prune leaves jobs alone: they finish by themselves, and idempotency keys are also
 * used by API clients that never sync).
 */
export function jobKind(deps: SyncKindDeps): SyncKind<Entry, Job> {
  return {
    name: 'jobs',
    resource: 'job',
    readScope: 'read:jobs',
    writeScope: 'write:jobs',
    matchOf: (e) => e.idempotencyKey,
    storedMatchOf: (j) => j.idempotencyKey,
    comparedFields: (e) => (e.scheduledAt == null ? WITHOUT_SCHEDULED_AT : FIELDS),
    build: (actor, e) => deps.jobs.build(actor, e),
    load: (actor, keys) => loadKeyed(deps.db, JobEntity, actor.projectId, 'idempotencyKey', keys),
    async create(actor, e) {
      try {
        const { job, created } = await deps.jobs.createOrGet(actor, e);
        return created ? job : null;
      } catch (err) {
        if (err instanceof IdempotencyConflictError) return null;
        throw err;
      }
    },
  };
}
