import { z } from 'zod';
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobStatus, ScheduleState } from '../../core/types.js';
import { parse } from '../../core/validation.js';

/**
 * Procedure inputs. A resource's fields (create inputs, update patches) are the core's: tRPC
 * only types them and the core parses them, once, as it does for every surface. What tRPC adds
 * around them (ids, paging, list filters) is an envelope parsed here with the core's parser, so
 * its errors read like the core's; envelopes are strict like the core's inputs (unknown fields fail).
 */

/** An input the core parses: typed for tRPC and the client, passed on as sent once it is an object at all. */
export function coreInput<T>(): (raw: unknown) => T {
  return (raw) => {
    isObject(raw);
    return raw as T;
  };
}

/**
 * An envelope parsed with the core's parser. A problem with the whole input (not one field)
 * is reported as `input: ...`: the input of a procedure is one value.
 */
export function envelope<S extends z.ZodType>(schema: S): (raw: unknown) => z.output<S> {
  return (raw) => {
    try {
      return parse(schema, raw);
    } catch (err) {
      if (err instanceof InvalidArgumentError && err.field === null) throw new InvalidArgumentError(`input: ${err.message}`);
      throw err;
    }
  };
}

const isObject = envelope(z.looseObject({}));

const pageFields = {
  /** 0 or absent: the server default; larger than the maximum: the maximum (TOCK_PAGE_LIMITS). */
  pageSize: z.number().nullish(),
  /** `nextPageToken` of the previous page, unchanged. */
  pageToken: z.string().nullish(),
};

/** An object id (its format is checked by the core: a malformed id is simply not found). */
export const id = z.string({ message: 'must be a string id' });

/** `{ pageSize?, pageToken? }`, or nothing for the first page at the default size. */
export const pageInput = envelope(z.object(pageFields).strict().optional());
/** `{ id }`. */
export const idInput = envelope(z.object({ id }).strict());
/** A value only the core knows the range of (a status, a kind): typed here, checked by the core. */
export const coreValue = <T extends string>() => z.custom<T>();

/** `{ id, pageSize?, pageToken? }`: one page of a sub-list (executions). */
export const idPageInput = envelope(z.object({ id, ...pageFields }).strict());

/** Paging plus the `status` and `scheduleId` filters of `jobs.list`. */
export const jobListInput = envelope(
  z
    .object({
      ...pageFields,
      status: coreValue<JobStatus>().nullish(),
      scheduleId: z.string().nullish(),
    })
    .strict()
    .optional(),
);

/** `{ id, patch }` of an update: absent fields of `patch` stay unchanged, `null` clears a nullable one. The core parses `patch`. */
export function updateInput<P>(): (raw: unknown) => { id: string; patch: P } {
  const parseEnvelope = envelope(z.object({ id, patch: z.looseObject({}) }).strict());
  return (raw) => parseEnvelope(raw) as { id: string; patch: P };
}

/** Paging plus the `state` filter of `schedules.list`. */
export const scheduleListInput = envelope(
  z
    .object({
      ...pageFields,
      state: coreValue<ScheduleState>().nullish(),
    })
    .strict()
    .optional(),
);

/** `{ id, keepPrevious? }` of `projects.rotateSigningSecret`. */
export const rotateSigningSecretInput = envelope(
  z
    .object({
      id,
      /** Absent or true: the old secret keeps signing alongside the new one until the next rotation; false drops it at once. */
      keepPrevious: z.boolean().optional(),
    })
    .strict(),
);

/** `{ jobs }` of `jobs.createMany`: each job is the core's input (the core parses each, and checks how many). */
export function jobBatchInput<T>(): (raw: unknown) => { jobs: T[] } {
  const parseEnvelope = envelope(z.object({ jobs: z.array(z.unknown(), { message: 'must be an array of jobs' }) }).strict());
  return (raw) => parseEnvelope(raw) as { jobs: T[] };
}
