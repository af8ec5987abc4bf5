import { ScheduleEntity } from '../../../store/entities.js';
import { AlreadyExistsError, NotFoundError } from '../../errors.js';
import { scheduleInput, type SchedulePatch } from '../../schedules/service.js';
import type { Schedule } from '../../types.js';
import type { syncScheduleEntry } from '../input.js';
import { loadKeyed } from '../stored.js';
import { inputFields, type SyncKind, type SyncKindDeps } from './kind.js';
import type { z } from 'zod';

type Entry = z.output<typeof syncScheduleEntry>;

const FIELDS = inputFields<Schedule>()(scheduleInput.shape);
// Pausing is an operation of its own (pause/resume, the dashboard): a file that does not name
// `state` leaves it as it is rather than resuming every paused schedule on the next deploy.
const WITHOUT_STATE = FIELDS.filter((f) => f !== 'state');

export function scheduleKind(deps: SyncKindDeps): SyncKind<Entry, Schedule> {
  return {
    name: 'schedules',
    resource: 'schedule',
    readScope: 'read:jobs',
    writeScope: 'write:jobs',
    matchOf: (e) => e.key,
    storedMatchOf: (s) => s.key,
    comparedFields: (e) => (e.state === undefined ? WITHOUT_STATE : FIELDS),
    build: (actor, e) => deps.schedules.build(actor, e),
    load: (actor, keys) => loadKeyed(deps.db, ScheduleEntity, actor.projectId, 'key', keys),
    async create(actor, e) {
      try {
        return await deps.schedules.create(actor, e);
      } catch (err) {
        if (err instanceof AlreadyExistsError) return null;
        throw err;
      }
    },
    async update(actor, stored, patch) {
      try {
        return await deps.schedules.update(actor, stored.id, patch as SchedulePatch);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
    async remove(actor, stored) {
      try {
        await deps.schedules.delete(actor, stored.id);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },
  };
}
