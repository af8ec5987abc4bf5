/**
 * The API's hot statements on `jobs`: insert jobs (one, or many in one statement), read one by
 * id or by idempotency key. Lean: prepared statements through `Database.query`, rows mapped to
 * the domain `Job` here and nowhere else (the ORM entity in ../entities.ts maps the same columns
 * for the other paths).
 */
import type { Job } from '../../core/types.js';
import type { Database, Querier } from '../database.js';
import { pgArray } from '../sql/values.js';
import type { Outcome } from '../coalescer.js';
import { dateOf, isoOf, jsonOf, msColumn } from './columns.js';

const SELECT = `select id, project_id, schedule_id, shard, source, url, method, headers, body, ${msColumn('scheduled_at')},
       timeout_ms, max_retries, retry_backoff_ms, retry_backoff_max_ms, expected_status, idempotency_key, webhook_url,
       webhook_headers, name, status, attempts, ${msColumn('next_attempt_at')}, last_status_code, last_error, ${msColumn('created_at')},
       ${msColumn('updated_at')}, ${msColumn('finished_at')}
  from jobs`;

const BY_ID_SQL = `${SELECT} where id = $1 and project_id = $2`;
const BY_IDEMPOTENCY_KEY_SQL = `${SELECT} where project_id = $1 and idempotency_key = $2`;
const BY_IDEMPOTENCY_KEYS_SQL = `${SELECT} where project_id = $1 and idempotency_key = any($2::text[])`;

const COLUMNS = `id, project_id, schedule_id, shard, source, url, method, headers, body, scheduled_at, timeout_ms, max_retries,
  retry_backoff_ms, retry_backoff_max_ms, expected_status, idempotency_key, webhook_url, status, attempts, next_attempt_at,
  last_status_code, last_error, created_at, updated_at, finished_at, webhook_headers, name`;

// A reused idempotency key inserts nothing (its id is missing from RETURNING); the caller reads
// what holds the key. Any other violation fails the statement.
const ON_CONFLICT = `on conflict (project_id, idempotency_key) where idempotency_key is not null do nothing returning id`;

const INSERT_ONE_SQL = `insert into jobs (${COLUMNS})
values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::timestamptz, $11, $12, $13, $14, $15::jsonb, $16, $17, $18, $19,
        $20::timestamptz, $21, $22, $23::timestamptz, $24::timestamptz, $25::timestamptz, $26::jsonb, $27)
${ON_CONFLICT}`;

// Many jobs as one array per column: the parameters are parsed once per column, not once per row
// and field as jsonb_to_recordset would, and no row is built as a JSON object first. The jsonb
// columns travel as text and are cast per element.
const INSERT_MANY_SQL = `insert into jobs (${COLUMNS})
select id, project_id, schedule_id, shard, source, url, method, headers::jsonb, body, scheduled_at, timeout_ms, max_retries,
       retry_backoff_ms, retry_backoff_max_ms, expected_status::jsonb, idempotency_key, webhook_url, status, attempts,
       next_attempt_at, last_status_code, last_error, created_at, updated_at, finished_at, webhook_headers::jsonb, name
  from unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
              $10::timestamptz[], $11::int[], $12::int[], $13::int[], $14::int[], $15::text[], $16::text[], $17::text[],
              $18::text[], $19::int[], $20::timestamptz[], $21::int[], $22::text[], $23::timestamptz[], $24::timestamptz[],
              $25::timestamptz[], $26::text[], $27::text[])
    as t(id, project_id, schedule_id, shard, source, url, method, headers, body, scheduled_at, timeout_ms, max_retries,
         retry_backoff_ms, retry_backoff_max_ms, expected_status, idempotency_key, webhook_url, status, attempts,
         next_attempt_at, last_status_code, last_error, created_at, updated_at, finished_at, webhook_headers, name)
${ON_CONFLICT}`;

interface JobRecord {
  id: string;
  project_id: string;
  schedule_id: string | null;
  shard: number;
  source: Job['source'];
  url: string;
  method: Job['method'];
  headers: Record<string, string> | string;
  body: string | null;
  scheduled_at: number;
  timeout_ms: number;
  max_retries: number;
  retry_backoff_ms: number;
  retry_backoff_max_ms: number;
  expected_status: number[] | string;
  idempotency_key: string | null;
  webhook_url: string | null;
  webhook_headers: Record<string, string> | string;
  name: string | null;
  status: Job['status'];
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

function toJob(r: JobRecord): Job {
  return {
    id: r.id,
    projectId: r.project_id,
    scheduleId: r.schedule_id,
    shard: r.shard,
    source: r.source,
    url: r.url,
    method: r.method,
    headers: jsonOf(r.headers),
    body: r.body,
    scheduledAt: new Date(r.scheduled_at),
    timeoutMs: r.timeout_ms,
    maxRetries: r.max_retries,
    retryBackoffMs: r.retry_backoff_ms,
    retryBackoffMaxMs: r.retry_backoff_max_ms,
    expectedStatus: jsonOf(r.expected_status),
    idempotencyKey: r.idempotency_key,
    webhookUrl: r.webhook_url,
    webhookHeaders: jsonOf(r.webhook_headers),
    name: r.name,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: dateOf(r.next_attempt_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    finishedAt: dateOf(r.finished_at),
  };
}

type Param = string | number | null;

function params(j: Job, iso: (d: Date | null) => string | null = isoOf): Param[] {
  return [
    j.id,
    j.projectId,
    j.scheduleId,
    j.shard,
    j.source,
    j.url,
    j.method,
    JSON.stringify(j.headers),
    j.body,
    iso(j.scheduledAt),
    j.timeoutMs,
    j.maxRetries,
    j.retryBackoffMs,
    j.retryBackoffMaxMs,
    JSON.stringify(j.expectedStatus),
    j.idempotencyKey,
    j.webhookUrl,
    j.status,
    j.attempts,
    iso(j.nextAttemptAt),
    j.lastStatusCode,
    j.lastError,
    iso(j.createdAt),
    iso(j.updatedAt),
    iso(j.finishedAt),
    JSON.stringify(j.webhookHeaders),
    j.name,
  ];
}

/**
 * One element of a PostgreSQL array literal: always quoted (so "NULL" and "" stay text), with
 * only `"` and backslash escaped. Writing the literals here rather than passing JS arrays spares the
 * driver's per-element conversion, two regex replaces and a string each, on every cell.
 */
function element(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPED, '\\$&')}"` : `"${v}"`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** The parameters of INSERT_MANY_SQL: for each column of params(), one array literal of every job's value. */
function columnParams(jobs: readonly Job[]): string[] {
  const columns: string[][] = Array.from({ length: PARAM_COUNT }, () => new Array<string>(jobs.length));
  // Jobs of one call share their creation time: its text is worked out once.
  let lastMs = NaN;
  let lastIso = '';
  const iso = (d: Date | null) => {
    if (d === null) return null;
    const ms = d.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastIso = d.toISOString();
    }
    return lastIso;
  };
  for (let r = 0; r < jobs.length; r++) {
    const row = params(jobs[r], iso);
    for (let c = 0; c < PARAM_COUNT; c++) columns[c][r] = element(row[c]);
  }
  return columns.map((values) => `{${values.join(',')}}`);
}
const PARAM_COUNT = 27;

/** What inserting a job did: `inserted`, or nothing because its idempotency key is taken in its project. */
export type JobInsert = 'inserted' | 'key_taken';

/**
 * Inserts `jobs` in one statement and answers, per job, what it did. When the statement fails
 * (a job's project or schedule deleted meanwhile, ...), each job is tried alone, so one bad row
 * costs only its own outcome.
 */
export async function insertJobs(db: Database, jobs: Job[]): Promise<Outcome<JobInsert>[]> {
  if (jobs.length === 1) {
    try {
      const rows = await db.query<{ id: string }>(INSERT_ONE_SQL, params(jobs[0]), 'tock_job_insert');
      return [{ ok: true, value: rows.length === 1 ? 'inserted' : 'key_taken' }];
    } catch (error) {
      return [{ ok: false, error }];
    }
  }
  let inserted: Set<string>;
  try {
    const rows = await db.query<{ id: string }>(INSERT_MANY_SQL, columnParams(jobs), 'tock_job_insert_many');
    inserted = new Set(rows.map((r) => r.id));
  } catch {
    return (await Promise.all(jobs.map((j) => insertJobs(db, [j])))).flat();
  }
  return jobs.map((j) => ({ ok: true, value: inserted.has(j.id) ? 'inserted' : 'key_taken' }));
}

/** One job alone (see insertJobs); a failure throws. */
export async function insertJob(db: Database, job: Job): Promise<JobInsert> {
  const [o] = await insertJobs(db, [job]);
  if (!o.ok) throw o.error;
  return o.value;
}

/** The job `id` of project `projectId`, or null. */
export async function findJob(db: Database, projectId: string, id: string): Promise<Job | null> {
  const [row] = await db.query<JobRecord>(BY_ID_SQL, [id, projectId], 'tock_job_by_id');
  return row ? toJob(row) : null;
}

export async function findJobByIdempotencyKey(db: Database, projectId: string, key: string): Promise<Job | null> {
  const [row] = await db.query<JobRecord>(BY_IDEMPOTENCY_KEY_SQL, [projectId, key], 'tock_job_by_idempotency_key');
  return row ? toJob(row) : null;
}

/** The jobs of project `projectId` that hold any of `keys`, in one statement. */
export async function findJobsByIdempotencyKeys(db: Database, projectId: string, keys: readonly string[]): Promise<Job[]> {
  if (keys.length === 0) return [];
  const rows = await db.query<JobRecord>(BY_IDEMPOTENCY_KEYS_SQL, [projectId, keys], 'tock_jobs_by_idempotency_keys');
  return rows.map(toJob);
}

const BY_IDS_SQL = `${SELECT} where id = any($1::text[])`;

/** The jobs of these ids (any project), on `q` (inside the caller's transaction). */
export async function findJobsByIds(q: Querier, ids: readonly string[]): Promise<Job[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<JobRecord>(BY_IDS_SQL, [pgArray(ids)], 'tock_jobs_by_ids');
  return rows.map(toJob);
}
