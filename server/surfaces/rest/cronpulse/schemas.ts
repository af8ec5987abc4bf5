import { z } from 'zod';

/**
 * CronPulse's request shapes: field names and JSON types as the document shows them, strict
 * (an unknown field is refused, naming it). Values (URLs, cron, methods, ranges) are the core's
 * to check; its errors are spelled in these names by errors.ts.
 */

const required = (type: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${type}`);
const text = () => z.string({ error: required('a string') });
const number = () => z.number({ error: required('a number') });
const wholeNumber = () => z.number({ error: required('a number') }).int('must be a whole number');
const bool = () => z.boolean({ error: required('true or false') });
/** The body as a whole: a JSON object whose unknown fields are refused. */
const body = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, { error: (iss) => (iss.code === 'invalid_type' ? 'must be a JSON object' : undefined) });

const headers = () =>
  z.record(z.string(), z.string({ error: 'header values must be strings' }), { error: 'must be an object of header names to string values' });

export const idParams = z.object({ id: z.string() });

export const projectCreateBody = body({
  name: text(),
  url: text().nullish(),
});

/** `PUT /projects/:id`: the fields to change (`url: null` clears it); no body changes nothing. */
export const projectUpdateBody = body({
  name: text().optional(),
  url: text().nullish(),
}).nullish();

const jobFields = {
  name: text(),
  projectId: text(),
  url: text(),
  method: text(),
  schedule: text().describe('Cron, 5 fields (or 6 with seconds first), in UTC'),
  heartbeat: bool().optional(),
  heartbeatTolerance: wholeNumber().nullish().describe('Minutes a heartbeat may be late (default 5)'),
  timeout: number().nullish().describe('Seconds (default 30)'),
  expectedStatusCode: wholeNumber().nullish().describe('The status that counts as success (default: any 2xx)'),
  headers: headers().nullish(),
  body: text().nullish(),
};

export const jobCreateBody = body(jobFields);

/**
 * `PUT /jobs/:id`: "All fields are optional. Only include fields you want to update"; null clears
 * an optional one; no body changes nothing.
 */
export const jobUpdateBody = body({
  name: jobFields.name.optional(),
  projectId: jobFields.projectId.optional(),
  url: jobFields.url.optional(),
  method: jobFields.method.optional(),
  schedule: jobFields.schedule.optional(),
  heartbeat: jobFields.heartbeat,
  heartbeatTolerance: jobFields.heartbeatTolerance,
  timeout: jobFields.timeout,
  expectedStatusCode: jobFields.expectedStatusCode,
  headers: jobFields.headers,
  body: jobFields.body,
}).nullish();

/** `GET /jobs?projectId=`: other query parameters are ignored. */
export const jobListQuery = z.object({ projectId: z.string().optional() });

export type ProjectCreateBody = z.output<typeof projectCreateBody>;
export type ProjectUpdateBody = NonNullable<z.output<typeof projectUpdateBody>>;
export type JobCreateBody = z.output<typeof jobCreateBody>;
export type JobUpdateBody = NonNullable<z.output<typeof jobUpdateBody>>;

/** Every field name the schemas take, by the snake_case path the kit reports a schema failure at. */
export const DOCUMENT_FIELDS: ReadonlyMap<string, string> = new Map(
  [...Object.keys(jobFields), ...Object.keys(projectCreateBody.shape)].map((f) => [f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), f]),
);
