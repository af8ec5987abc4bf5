import { z } from 'zod';

/**
 * Request shapes of the Krafter dialect: the document's field names and JSON types, strict
 * (an unknown field is refused by name, so a misspelt one is never silently dropped). What a
 * value may be (cron, time zone, URL, method, ranges) is the core's to check; the form of a
 * schedule for its `schedule_type` is the codec's.
 */

const required = (type: string) => (iss: { input: unknown }) => (iss.input === undefined ? 'is required' : `must be ${type}`);
const text = () => z.string({ error: required('a string') });
const number = () => z.number({ error: required('a number') });
const bool = () => z.boolean({ error: required('true or false') });

export const SCHEDULE_TYPES = ['cron', 'interval'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];

const jobFields = {
  name: text().describe('Shown in lists'),
  schedule_type: z.enum(SCHEDULE_TYPES, { error: required("'cron' or 'interval'") }),
  schedule: text().describe('A cron expression (schedule_type cron) or an interval preset every_<n>s|m|h|d (schedule_type interval)'),
  timezone: text().optional().describe('IANA time zone of a cron schedule; default UTC'),
  url: text().describe('The http(s) URL called on each run'),
  method: text().optional().describe('HTTP method; default POST'),
  headers: z
    .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header names to string values' })
    .optional()
    .describe('Default {}'),
  timeout_ms: number().optional().describe('Default 30000'),
  max_retries: number().optional().describe('Default 3'),
  enabled: bool().optional().describe('Default true'),
  failure_notify: bool().optional().describe('Alert the project on a failed run and on the recovery; default false'),
};

/**
 * Fields a job answer carries that nobody sets: accepted (and ignored) by PUT and PATCH, so a
 * job read with GET can be sent back as it is.
 */
const readOnly = {
  id: z.unknown().optional().describe('Read-only; ignored'),
  last_status: z.unknown().optional().describe('Read-only; ignored'),
  last_run_at: z.unknown().optional().describe('Read-only; ignored'),
  next_run_at: z.unknown().optional().describe('Read-only; ignored'),
  created_at: z.unknown().optional().describe('Read-only; ignored'),
  updated_at: z.unknown().optional().describe('Read-only; ignored'),
};

const OBJECT = { error: 'must be a JSON object' };

export const createBody = z.object(jobFields, OBJECT).strict();
export type JobBody = z.infer<typeof createBody>;
/** PUT: the whole job, as on create (what it leaves out takes the document's default). */
export const replaceBody = z.object({ ...jobFields, ...readOnly }, OBJECT).strict();
/** PATCH: only the fields given change. */
export const patchBody = z.object({ ...jobFields, ...readOnly }, OBJECT).partial().strict();
export type JobPatchBody = z.infer<typeof patchBody>;

export const jobParams = z.object({ id: z.string().describe('The job id (a UUID)') });

const page = {
  limit: z.coerce.number({ error: 'must be a whole number from 1' }).int('must be a whole number from 1').min(1, 'must be a whole number from 1').optional(),
  cursor: z.string().optional().describe('From the Link header (rel="next") of the previous page'),
};

/** Query parameters other than these are ignored, as most APIs do (cache busters and the like). */
export const listQuery = z.object({
  ...page,
  enabled: z.enum(['true', 'false'], { error: "must be 'true' or 'false'" }).optional().describe('Only enabled (true) or paused (false) jobs'),
});
export const executionsQuery = z.object(page);
