import { z } from 'zod';

/**
 * Request shapes of the Prikke API: field names and JSON types as its document gives them,
 * strict (an unknown field answers 400 naming it). Values (cron syntax, URLs, methods, header
 * names, lengths, dates) are the core's to check: these schemas only say what type each field is.
 */

/** A type error that says what to send: "is required" when the field is missing. */
const typed = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) });

const text = z.string(typed('a string'));
const headers = z.record(text, z.string(typed('a string (header values are text)')), typed('an object of header names to values'));
const flag = z.boolean(typed('true or false'));

/** Fields every job takes, recurring or one-time. */
const jobFields = {
  key: text.optional().describe('Unique key for this job (your identifier); generated from the name when left out.'),
  name: text.optional().describe('A name for this job.'),
  url: text.describe('The URL to call (http or https).'),
  method: text.optional().describe('HTTP method (default POST). Tock also takes PUT, PATCH, DELETE and HEAD.'),
  headers: headers.optional().describe('Custom headers to send.'),
  body: text.nullish().describe('Request body.'),
  enabled: flag.optional().describe('Whether a recurring job fires (default true).'),
};

export const createJobBody = z
  .object({
    ...jobFields,
    cron: text.nullish().describe('Cron expression for recurring jobs (5 fields, or 6 with seconds first), in UTC.'),
    run_at: text.nullish().describe('ISO 8601 timestamp for one-time jobs; now or a moment ago runs it at once.'),
  })
  .strict();
export type CreateJobBody = z.infer<typeof createJobBody>;

/** PATCH: every field optional; null clears what can be cleared (key, headers, body). */
export const patchJobBody = z
  .object({
    key: text.nullable().optional(),
    name: text.optional(),
    url: text.optional(),
    method: text.optional(),
    headers: headers.nullable().optional(),
    body: text.nullable().optional(),
    enabled: flag.optional(),
    cron: z.string({ error: (issue) => (issue.input === null ? 'a recurring job needs a cron expression; DELETE it to stop it' : 'must be a string') }).optional(),
    // Taken so that a job read with GET can be sent back whole; a value other than null is refused.
    run_at: text.nullable().optional(),
  })
  .strict();
export type PatchJobBody = z.infer<typeof patchJobBody>;

/** One job of a sync file: recurring only. */
const syncJob = z
  .object({
    ...jobFields,
    key: text.describe('Unique key for this job: the sync matches stored jobs by it.'),
    cron: text.describe('Cron expression (5 fields, or 6 with seconds first), in UTC.'),
    run_at: z.never({ error: 'PUT /sync manages recurring jobs (cron) only; create one-time jobs with POST /jobs' }).optional(),
  })
  .strict();
export type SyncJob = z.infer<typeof syncJob>;

const notifications = z
  .object({
    email: text.nullable().optional().describe('Email address for alerts (null to disable).'),
    webhook_url: text.nullable().optional().describe('Webhook URL for alerts (null to disable); Slack and Discord URLs get their own format.'),
  })
  .strict();
export type NotificationsBody = z.infer<typeof notifications>;

export const syncBody = z
  .object({
    jobs: z
      .array(syncJob, typed('an array of jobs'))
      .optional()
      .describe('Every recurring job of the project, matched by key. Left out: no job is touched.'),
    notifications: notifications.optional().describe('Notification settings. Left out: not touched; given: a setting it leaves out is disabled.'),
    delete_removed: flag.optional().describe('Delete keyed jobs this config no longer names (default false).'),
  })
  .strict();
export type SyncBody = z.infer<typeof syncBody>;

export const projectBody = z.object({ notifications: notifications.optional() }).strict();
export type ProjectBody = z.infer<typeof projectBody>;

/** Lists page by cursor; a query parameter the document does not name is ignored. */
export const pageQuery = z.object({
  limit: z.coerce.number(typed('a whole number')).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').optional(),
  cursor: text.optional().describe('The next_cursor of the previous page.'),
});
export type PageQuery = z.infer<typeof pageQuery>;

export const idParams = z.object({ id: text.describe('A job id (sched_... for recurring jobs, job_... for one-time jobs).') });
export const keyParams = z.object({ key: text });
