import { AlertEntity, FlipEntity, JobEntity, MonitorEntity, ScheduleEntity, type AlertRow } from '../../store/entities.js';
import { findPage } from '../../store/pages.js';
import { requireScope } from '../auth/scopes.js';
import type { CoreDeps } from '../deps.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { isId } from '../ids.js';
import type { Actor, Alert, AlertSubject, Flip, FlipSubject, Page, PageRequest } from '../types.js';

/**
 * History of what happened to a subject: its flips (every status change) and its alerts (what
 * was sent where, and how delivery went). Both newest first, for a subject of the actor's
 * project only (another tenant's id is not found).
 */

const SUBJECTS = {
  monitor: { entity: MonitorEntity, scope: 'read:monitors' },
  schedule: { entity: ScheduleEntity, scope: 'read:jobs' },
  job: { entity: JobEntity, scope: 'read:jobs' },
} as const;

/** An alert as listed: the outbox row without the headers its webhook carries (they may hold a receiver's token). */
function toAlert(row: AlertRow): Alert {
  const { headers: _h, ...alert } = row;
  return alert;
}

export class AlertService {
  constructor(private readonly deps: CoreDeps) {}

  /** Alerts about a monitor, schedule or job, newest first. */
  async list(actor: Actor, subjectType: AlertSubject, subjectId: string, page: PageRequest = {}): Promise<Page<Alert>> {
    await this.checkSubject(actor, subjectType, subjectId);
    const rows = await findPage(this.deps.db.em(), AlertEntity, { projectId: actor.projectId, subjectId }, page, 'desc');
    return { items: rows.items.map(toAlert), nextPageToken: rows.nextPageToken };
  }

  /** Status changes of a monitor or schedule, newest first. */
  async listFlips(actor: Actor, subjectType: FlipSubject, subjectId: string, page: PageRequest = {}): Promise<Page<Flip>> {
    await this.checkSubject(actor, subjectType, subjectId);
    return findPage(this.deps.db.em(), FlipEntity, { projectId: actor.projectId, subjectId }, page, 'desc');
  }

  private async checkSubject(actor: Actor, type: AlertSubject, id: string): Promise<void> {
    const subject = SUBJECTS[type];
    if (!subject) throw new InvalidArgumentError('subject_type: must be one of monitor, schedule, job', 'subject_type');
    requireScope(actor.scopes, subject.scope);
    const found = isId(type, id) ? await this.deps.db.em().count(subject.entity as typeof MonitorEntity, { id, projectId: actor.projectId }) : 0;
    if (found === 0) throw new NotFoundError(type, id);
  }
}
