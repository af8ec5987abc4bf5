import { z } from 'zod';
import type { JobStatus, ScheduleState } from '../../core/types.js';

/**
 * Input schemas shared by the routers. Resource fields reuse the core's own schemas; the
 * wrappers here only add ids and paging, and are strict like the core's (unknown fields fail).
 */

const pageFields = {
  /** 0 or absent: the server default; larger than the maximum: the maximum (TOCK_PAGE_LIMITS). */
  pageSize: z.number().nullish(),
  /** `nextPageToken` of the previous page, unchanged. */
  pageToken: z.string().nullish(),
};

/** An object id (its format is checked by the core: a malformed id is simply not found). */
export const id = z.string({ message: 'must be a string id' });

/** `{ pageSize?, pageToken? }`, or nothing for the first page at the default size. */
export const pageInput = z.object(pageFields).strict().optional();
/** `{ id }`. */
export const idInput = z.object({ id }).strict();
/** `{ id, pageSize?, pageToken? }`: one page of a sub-list (executions). */
export const idPageInput = z.object({ id, ...pageFields }).strict();

const JOB_STATUSES = ['scheduled', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly JobStatus[];

/** Paging plus the `status` and `scheduleId` filters of `jobs.list`. */
export const jobListInput = z
  .object({
    ...pageFields,
    status: z.enum(JOB_STATUSES, { message: `must be one of ${JOB_STATUSES.join(', ')}` }).nullish(),
    scheduleId: z.string().nullish(),
  })
  .strict()
  .optional();

/** `{ id, patch }`: absent fields of `patch` stay unchanged, `null` clears a nullable one. */
export function updateInput<P extends z.ZodType>(patch: P) {
  return z.object({ id, patch }).strict();
}

const SCHEDULE_STATES = ['active', 'paused'] as const satisfies readonly ScheduleState[];

/** Paging plus the `state` filter of `schedules.list`. */
export const scheduleListInput = z
  .object({
    ...pageFields,
    state: z.enum(SCHEDULE_STATES, { message: `must be one of ${SCHEDULE_STATES.join(', ')}` }).nullish(),
  })
  .strict()
  .optional();

/** `{ id, keepPrevious? }` of `projects.rotateSigningSecret`. */
export const rotateSigningSecretInput = z
  .object({
    id,
    /** Absent or true: the old secret keeps signing alongside the new one until the next rotation; false drops it at once. */
    keepPrevious: z.boolean().optional(),
  })
  .strict();
