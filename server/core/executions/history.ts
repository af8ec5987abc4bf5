import { ExecutionEntity } from '../../store/entities.js';
import type { Database } from '../../store/database.js';
import { findPage } from '../../store/pages.js';
import type { Execution, Page, PageRequest } from '../types.js';

/**
 * Attempt history, newest first. Callers check that the job or schedule is the actor's first;
 * the project condition here is a second fence, not the access check.
 */
export function listExecutions(
  db: Database,
  of: { jobId: string } | { scheduleId: string },
  projectId: string,
  page: PageRequest,
): Promise<Page<Execution>> {
  return findPage(db.em(), ExecutionEntity, { ...of, projectId }, page, 'desc');
}
