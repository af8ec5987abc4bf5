import { MonitorEntity } from '../../../store/entities.js';
import { AlreadyExistsError, NotFoundError } from '../../errors.js';
import { monitorInput, type MonitorPatch } from '../../monitors/service.js';
import type { Monitor } from '../../types.js';
import type { syncMonitorEntry } from '../input.js';
import { loadKeyed } from '../stored.js';
import { inputFields, type SyncKind, type SyncKindDeps } from './kind.js';
import type { z } from 'zod';

type Entry = z.output<typeof syncMonitorEntry>;

const FIELDS = inputFields<Monitor>()(monitorInput.shape);

export function monitorKind(deps: SyncKindDeps): SyncKind<Entry, Monitor> {
  return {
    name: 'monitors',
    resource: 'monitor',
    readScope: 'read:monitors',
    writeScope: 'write:monitors',
    matchOf: (e) => e.key,
    storedMatchOf: (m) => m.key,
    comparedFields: () => FIELDS,
    build: (actor, e) => deps.monitors.build(actor, e),
    load: (actor, keys) => loadKeyed(deps.db, MonitorEntity, actor.projectId, 'key', keys),
    async create(actor, e) {
      try {
        return await deps.monitors.create(actor, e);
      } catch (err) {
        if (err instanceof AlreadyExistsError) return null;
        throw err;
      }
    },
    async update(actor, stored, patch) {
      try {
        return await deps.monitors.update(actor, stored.id, patch as MonitorPatch);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
    },
    async remove(actor, stored) {
      try {
        await deps.monitors.delete(actor, stored.id);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },
  };
}
