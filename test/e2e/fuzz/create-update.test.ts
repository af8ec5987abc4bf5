import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import { Job } from '../../../client/src/gen/tock/v1/job.js';
import { Monitor } from '../../../client/src/gen/tock/v1/monitor.js';
import { Schedule } from '../../../client/src/gen/tock/v1/schedule.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { grpcCall, grpcClients, type GrpcClients, type GrpcOutcome } from '../hardening/surfaces.js';

/**
 * Property test: the gRPC and tRPC create and update methods of schedules, jobs and monitors,
 * driven with generated strings (huge, unicode, lone surrogates, control characters, prototype
 * names) and numbers at and beyond their limits, against the whole server (`startTock`: real
 * HTTP and gRPC ports, PostgreSQL). Every answer is a success or a client error (4xx /
 * INVALID_ARGUMENT and kin), never 5xx / INTERNAL, no internal error is logged, and the server
 * answers its health checks afterwards. Deterministic: fast-check prints the seed and path of a
 * failure; TOCK_FUZZ_SEED replays it or explores another seed, TOCK_FUZZ_RUNS runs longer.
 */
const SEED = Number(process.env.TOCK_FUZZ_SEED ?? 20_261_201);
const RUNS = Number(process.env.TOCK_FUZZ_RUNS ?? 250);

let db: TestDatabase;
let tock: RunningTock;
let key: string;
let clients: GrpcClients;
let httpBase: string;
let health: grpc.Client & { Check: (req: object, opts: object, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void) => void };
const errorLines: string[] = [];
/** Answers seen, by surface and kind (`grpc ok`, `grpc INVALID_ARGUMENT`, `trpc 400`...), to show the run reached past validation. */
const seen = new Map<string, number>();
const count = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
const existing = { schedule: '', monitor: '' };

beforeAll(async () => {
  db = await createTestDatabase();
  const config = parseConfig({ DATABASE_URL: db.url, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', TOCK_SCHEDULER: 'false' });
  const logger = createLogger('error', {}, { write: (line: string) => void errorLines.push(line) });
  tock = await startTock(config, { logger });
  key = tock.bootstrapSecret!;
  httpBase = `http://127.0.0.1:${tock.http.port}`;
  clients = grpcClients(`127.0.0.1:${tock.grpc.port}`);
  const healthProtos = fileURLToPath(new URL('../../../server/surfaces/grpc/protos', import.meta.url));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [healthProtos], enums: String })) as any;
  health = new pkg.grpc.health.v1.Health(`127.0.0.1:${tock.grpc.port}`, grpc.credentials.createInsecure());
  const actor = await tock.core.actor(await tock.core.authenticate(key));
  existing.schedule = (await tock.core.schedules.create(actor, { url: 'https://example.com/fuzz', intervalSeconds: 60 })).id;
  existing.monitor = (await tock.core.monitors.create(actor, { periodSeconds: 60 })).id;
});
afterAll(async () => {
  health?.close();
  for (const c of clients?.all ?? []) c.close();
  await tock?.stop();
  await db?.close();
});

// ---- Generated values ----

const SPECIAL_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'host',
  'Content-Length',
  '\u0000',
  '\r\n',
  'a\rb',
  '\t',
  '\u007f',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '🙂',
  'é',
  'Ā',
  'ｈｔｔｐ',
  '%00',
  "'; drop table jobs; --",
  '{"$ne":null}',
  '*/5 * * * *',
  '0 0 31 2 *',
  '61 * * * *',
  '* * * * * * *',
  'UTC',
  'utc',
  'Europe/Riga',
  'Etc/GMT+14',
  '+01:00',
  'https://example.com/hook',
  'http://127.0.0.1/',
  'http://[::127.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::10.0.0.1]/',
  'http://localhost:1/',
  'http://u:p@example.com/',
  'javascript:alert(1)',
  'ftp://example.com/',
  'a@b.co',
  '1970-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '2099-01-01T00:00:00Z',
  'active',
  'paused',
  'allow',
  'forbid',
  'fire_once',
  'skip',
  'GET',
  'post',
  'sched_00000000000000000000000000',
  'x'.repeat(201),
  'x'.repeat(2_049),
  'x'.repeat(8_193),
];

/** Strings built from any UTF-16 code unit: lone surrogates and control characters included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
const controls = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 5 });
const huge = fc.constantFrom('h'.repeat(300_000), '0'.repeat(200_000) + ' * * * *', 'Zone/' + 'z'.repeat(250_000), '\ud800'.repeat(100_000));

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: anyUnits },
  { weight: 1, arbitrary: controls },
  { weight: 1, arbitrary: huge },
);

const LIMIT_NUMBERS = [
  0, -0, 1, -1, 0.5, -0.5, 1.5, 20, 21, 59, 60, 99, 100, 599, 600, 300_000, 300_001, 86_400_000, 86_400_001, 2_592_000, 2_592_001,
  366 * 86_400, 366 * 86_400 + 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, 1e21, -1e21, 1e300, -1e300,
  Number.MIN_VALUE, -8.64e15, 8.64e15, 8.64e15 + 1,
];
/** Any JSON number (NaN and the infinities do not exist in JSON). */
const number: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...LIMIT_NUMBERS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);
/** What a proto int32 field can carry: the same kinds of values, within int32. */
const int32 = number.map((n) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(n))));
const headerMap = fc.dictionary(text, text, { maxKeys: 4 });
const dates = fc.oneof(
  fc.constantFrom(new Date(-8.64e15), new Date(8.64e15), new Date(-1e14), new Date(0), new Date('1999-12-31T23:59:59Z')),
  fc.date({ noInvalidDate: true }),
);

/** A JSON value for a tRPC field: mostly of the field's type, sometimes any other type. */
function json<T>(typed: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: typed },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [1, 'a'], { a: 1 }) },
    { weight: 1, arbitrary: fc.oneof(text, number) },
  );
}

/** A field's plausible values mixed with generated text, so some input passes validation. */
const textLike = (...valid: fc.Arbitrary<string>[]) => fc.oneof({ weight: 2, arbitrary: fc.oneof(...valid) }, { weight: 2, arbitrary: text });
const numberLike = (min: number, max: number) => fc.oneof({ weight: 2, arbitrary: fc.integer({ min, max }) }, { weight: 2, arbitrary: number });

const url = textLike(fc.webUrl(), fc.constantFrom('https://example.com/hook', 'http://93.184.216.34:8080/x?y=1'));
const cron = textLike(fc.constantFrom('*/5 * * * *', '0 3 * * *', '30 */2 * * * *', '0 0 1 1 *', '0 9 * * MON-FRI'));
const zone = textLike(fc.constantFrom('UTC', 'Europe/Riga', 'America/New_York', 'utc', 'Asia/Kolkata'));
const userKey = textLike(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/));
const plain = textLike(fc.string({ minLength: 1, maxLength: 30 }));

interface FieldArb {
  proto: fc.Arbitrary<unknown>;
  json: fc.Arbitrary<unknown>;
}
const both = (a: fc.Arbitrary<unknown>, protoOnly?: fc.Arbitrary<unknown>): FieldArb => ({ proto: protoOnly ?? a, json: json(a) });
const int = (min: number, max: number): FieldArb => ({
  proto: numberLike(min, max).map((n) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.trunc(n)))),
  json: json(numberLike(min, max)),
});
const headers = both(fc.oneof(fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }), headerMap));
const expectedStatus: FieldArb = { proto: fc.array(int32, { maxLength: 3 }), json: json(fc.array(numberLike(100, 599), { maxLength: 3 })) };
const target: Record<string, FieldArb> = {
  url: both(url),
  method: both(textLike(fc.constantFrom('GET', 'POST', 'put', 'DELETE'))),
  headers,
  body: both(fc.oneof(text, fc.string({ maxLength: 50 }))),
  timeoutMs: int(1, 300_000),
  maxRetries: int(0, 20),
  retryBackoffMs: int(1, 86_400_000),
  retryBackoffMaxMs: int(1, 86_400_000),
  expectedStatus,
};

/** The fields of each kind, and a valid object the generated fields are laid over. */
const KINDS = {
  schedule: {
    base: { url: 'https://example.com/fuzz', intervalSeconds: 60 },
    fields: {
      ...target,
      key: both(userKey),
      name: both(plain),
      description: both(plain),
      cron: both(cron),
      timezone: both(zone),
      intervalSeconds: int(1, 366 * 86_400),
      overlap: both(textLike(fc.constantFrom('allow', 'forbid'))),
      misfire: both(textLike(fc.constantFrom('fire_once', 'skip'))),
      state: both(textLike(fc.constantFrom('active', 'paused'))),
      alertEmail: both(textLike(fc.emailAddress())),
      alertWebhook: both(url),
      alertOnFailure: { proto: fc.boolean(), json: json(fc.boolean()) },
      alertOnRecovery: { proto: fc.boolean(), json: json(fc.boolean()) },
    },
  },
  job: {
    base: { url: 'https://example.com/fuzz' },
    fields: {
      ...target,
      scheduledAt: { proto: dates, json: json(fc.oneof(text, number, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()))) },
      idempotencyKey: both(plain),
      webhookUrl: both(url),
    },
  },
  monitor: {
    base: { periodSeconds: 60 },
    fields: {
      key: both(userKey),
      name: both(plain),
      periodSeconds: int(1, 366 * 86_400),
      cron: both(cron),
      timezone: both(zone),
      graceSeconds: int(0, 2_592_000),
      alertEmail: both(textLike(fc.emailAddress())),
      alertWebhook: both(url),
    },
  },
} satisfies Record<string, { base: Record<string, unknown>; fields: Record<string, FieldArb> }>;

type Kind = keyof typeof KINDS;

/** The kind's valid base with up to three of its fields generated (for the proto or the JSON wire); JSON sometimes adds an unknown field. */
function fieldsOf(kind: Kind, wire: 'proto' | 'json'): fc.Arbitrary<Record<string, unknown>> {
  const { base, fields } = KINDS[kind];
  const names = Object.keys(fields) as Array<keyof typeof fields>;
  return fc
    .subarray(names, { maxLength: 3 })
    .chain((chosen) =>
      fc.record(Object.fromEntries(chosen.map((n) => [n, (fields[n] as FieldArb)[wire]])) as Record<string, fc.Arbitrary<unknown>>),
    )
    .chain((generated) =>
      (wire === 'json' ? fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.tuple(text, json(text)) }) : fc.constant(null)).map((extra) => ({
        ...base,
        ...generated,
        ...(extra ? { [extra[0]]: extra[1] } : {}),
      })),
    );
}

interface Case {
  kind: Kind;
  grpcFields: Record<string, unknown>;
  trpcFields: Record<string, unknown>;
  mask: string[];
  /** The updates name the existing object (null) or this generated id. */
  targetId: string | null;
}

const caseOf = (kind: Kind): fc.Arbitrary<Case> =>
  fc.record({
    kind: fc.constant(kind),
    grpcFields: fieldsOf(kind, 'proto'),
    trpcFields: fieldsOf(kind, 'json'),
    mask: fc.oneof(
      fc.constant<string[]>([]),
      fc.constant<string[]>(['*']),
      fc.array(fc.oneof(text, fc.constantFrom('url', 'cron', 'headers', 'timezone', 'interval_seconds', 'period_seconds', 'id')), { maxLength: 3 }),
    ),
    targetId: fc.option(text, { freq: 5 }),
  });

// ---- Checks ----

/** What a client may be told: its request was wrong, or refused; never that the server broke. */
const CLIENT_STATUSES = new Set([
  grpc.status.OK,
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.RESOURCE_EXHAUSTED,
]);

function checkGrpc(what: string, out: GrpcOutcome<unknown>): void {
  count(`grpc ${out.ok ? 'OK' : grpc.status[out.code]}`);
  if (out.ok) return;
  if (!CLIENT_STATUSES.has(out.code)) throw new Error(`${what}: gRPC ${grpc.status[out.code]} ${out.details.slice(0, 300)}`);
  if (out.details.length > 1_100) throw new Error(`${what}: a ${out.details.length}-character message`);
}

async function trpc(what: string, path: string, input: unknown): Promise<void> {
  const res = await fetch(`${httpBase}/trpc/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = await res.text();
  count(`trpc ${res.status}`);
  if (res.status >= 500) throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
  if (res.status >= 400 && res.status !== 413) {
    const message = (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? '';
    if (message.length > 1_100) throw new Error(`${what}: a ${message.length}-character message`);
  }
}

async function run(c: Case): Promise<void> {
  const g = clients;
  const id = c.targetId ?? (c.kind === 'monitor' ? existing.monitor : existing.schedule);
  if (c.kind === 'schedule') {
    const msg = Schedule.fromPartial(c.grpcFields as Partial<Schedule>);
    checkGrpc('CreateSchedule', await grpcCall(g.schedules, g.schedules.createSchedule, { schedule: msg }, key));
    checkGrpc('UpdateSchedule', await grpcCall(g.schedules, g.schedules.updateSchedule, { schedule: { ...msg, id }, updateMask: c.mask }, key));
    await trpc('schedules.create', 'schedules.create', c.trpcFields);
    await trpc('schedules.update', 'schedules.update', { id, patch: c.trpcFields });
  } else if (c.kind === 'monitor') {
    const msg = Monitor.fromPartial(c.grpcFields as Partial<Monitor>);
    checkGrpc('CreateMonitor', await grpcCall(g.monitors, g.monitors.createMonitor, { monitor: msg }, key));
    checkGrpc('UpdateMonitor', await grpcCall(g.monitors, g.monitors.updateMonitor, { monitor: { ...msg, id }, updateMask: c.mask }, key));
    await trpc('monitors.create', 'monitors.create', c.trpcFields);
    await trpc('monitors.update', 'monitors.update', { id, patch: c.trpcFields });
  } else {
    checkGrpc('CreateJob', await grpcCall(g.jobs, g.jobs.createJob, { job: Job.fromPartial(c.grpcFields as Partial<Job>) }, key));
    await trpc('jobs.create', 'jobs.create', c.trpcFields);
  }
}

describe(`create and update with generated input (fast-check seed ${SEED})`, () => {
  it('never answers 5xx or INTERNAL, logs no internal error, and the server stays healthy', { timeout: 120_000 }, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.oneof(caseOf('schedule'), caseOf('job'), caseOf('monitor')), (c) => run(c)),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`fuzz: ${RUNS} cases (seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(1)} s;`, Object.fromEntries([...seen].sort()));
    // Some generated input must get past validation, or the run only tested the first check.
    expect(seen.get('grpc OK') ?? 0).toBeGreaterThan(0);
    expect(seen.get('trpc 200') ?? 0).toBeGreaterThan(0);

    expect(errorLines).toEqual([]);
    const healthz = await fetch(`${httpBase}/healthz`);
    expect(healthz.status).toBe(200);
    const check = await new Promise<string | undefined>((resolve, reject) =>
      health.Check({ service: '' }, { deadline: Date.now() + 2_000 }, (err, res) => (err ? reject(err) : resolve(res?.status))),
    );
    expect(check).toBe('SERVING');
  });
});
