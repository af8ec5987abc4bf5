import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { restPlugin } from '../../../server/surfaces/rest/index.js';
import { appRouter } from '../../../server/surfaces/trpc/index.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { probeDialect } from '../../helpers/probe-dialect.js';
import { answerSummary, runRestFuzz, type RestFuzzReport } from '../../helpers/rest-fuzz.js';

/**
 * Property test of the HTTP port (issue 10, section 4): generated requests to every route it
 * serves — health, pings, sign-up, tRPC, /openapi.json and every REST dialect registered —
 * with bodies near-valid for each route's schema (from /openapi.json) or garbage, paths with
 * wrong, long and undecodable segments, and a valid, invalid, missing or duplicated key (see
 * test/helpers/rest-fuzz.ts). No answer is 5xx, every error is a JSON body, nothing is logged
 * at error level, and the port answers /healthz afterwards. The second test runs the same driver
 * against a small dialect of this file's own, so the driver is known to reach a dialect's
 * schemas, codec and core calls whatever DIALECTS holds.
 *
 * Deterministic: fast-check prints the seed and the shrunk request of a failure; TOCK_FUZZ_SEED
 * replays it or explores another seed, TOCK_FUZZ_RUNS sets how many requests the port gets in
 * all (shared among its routes, at least 10 each).
 */
const SEED = Number(process.env.TOCK_FUZZ_SEED ?? 20_261_210);
const RUNS = Number(process.env.TOCK_FUZZ_RUNS ?? 2_400);

function errorSink(lines: string[]) {
  return createLogger('error', {}, { write: (line: string) => void lines.push(line) });
}

async function healthz(baseUrl: string): Promise<number> {
  const res = await request(`${baseUrl}/healthz`);
  await res.body.dump();
  return res.statusCode;
}

/** How many answers of `route` had a status in [lo, hi]. */
function answered(report: RestFuzzReport, route: string, lo: number, hi: number, method?: string): number {
  let n = 0;
  for (const [k, c] of report.answers.get(route) ?? []) {
    const [m, status] = k.split(' ');
    if ((!method || m === method) && Number(status) >= lo && Number(status) <= hi) n += c;
  }
  return n;
}

describe(`the HTTP port of a whole server with generated requests (fast-check seed ${SEED})`, () => {
  let db: TestDatabase;
  let tock: RunningTock;
  const errorLines: string[] = [];
  let baseUrl = '';
  let keys: string[] = [];
  let ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = parseConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      TOCK_SCHEDULER: 'false',
      TOCK_OPEN_SIGNUP: 'true',
    });
    tock = await startTock(config, { logger: errorSink(errorLines) });
    baseUrl = `http://127.0.0.1:${tock.http.port}`;
    const admin = tock.bootstrapSecret!;
    const principal = await tock.core.authenticate(admin);
    const actor = await tock.core.actor(principal);
    const readOnly = await tock.core.keys.createUnchecked({ accountId: principal.accountId, name: 'read-only', scopes: ['read:jobs', 'read:monitors', 'read:projects'] });
    const schedule = await tock.core.schedules.create(actor, { key: 'fuzz-nightly', url: 'https://example.com/fuzz', cron: '0 3 * * *' });
    const job = await tock.core.jobs.create(actor, { url: 'https://example.com/once', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
    const monitor = await tock.core.monitors.create(actor, { key: 'fuzz-backup', periodSeconds: 3_600 });
    keys = [admin, readOnly.secret];
    ids = [schedule.id, job.id, monitor.id, monitor.pingToken, actor.projectId, 'fuzz-nightly', 'fuzz-backup'];
  });
  afterAll(async () => {
    await tock?.stop();
    await db?.close();
  });

  it('answers every generated request below 500 with JSON errors, logs no error, and stays healthy', { timeout: 180_000 }, async () => {
    const report = await runRestFuzz({
      baseUrl,
      app: tock.http.app,
      keys,
      ids,
      words: Object.keys(appRouter._def.procedures),
      seed: SEED,
      runs: RUNS,
    });
    console.log(`rest fuzz: ${report.requests} requests to ${report.routes.length} routes (seed ${SEED}) in ${(report.ms / 1000).toFixed(1)} s`, answerSummary(report));

    // Every route the port serves was fuzzed: its own endpoints, and each one /openapi.json documents.
    const fuzzed = report.routes.map((r) => r.path);
    for (const own of ['/healthz', '/ping/:first', '/ping/:first/:second', '/ping/:first/:second/:third', '/signup', '/trpc/:path', '/openapi.json']) expect(fuzzed).toContain(own);
    const doc = (await (await request(`${baseUrl}/openapi.json`)).body.json()) as { paths: Record<string, unknown> };
    for (const p of Object.keys(doc.paths)) expect(fuzzed).toContain(p.replace(/\{([^}]+)\}/g, ':$1'));
    for (const r of report.routes) expect(answered(report, r.path, 100, 599), r.path).toBeGreaterThanOrEqual(10);
    expect(answered(report, '/healthz', 200, 200, 'GET')).toBeGreaterThan(0);
    expect(answered(report, '/openapi.json', 200, 200, 'GET')).toBeGreaterThan(0);
    // Once dialects are registered, some of their generated requests get past authentication and
    // validation (the second test shows the driver does that on a dialect of its own).
    const documented = report.routes.filter((r) => r.operations.length);
    const accepted = documented.reduce((n, r) => n + answered(report, r.path, 200, 299), 0);
    expect(accepted > 0 || documented.length === 0).toBe(true);

    expect(errorLines).toEqual([]);
    expect(await healthz(baseUrl)).toBe(200);
  });
});

describe(`the fuzz driver on a dialect's routes (fast-check seed ${SEED})`, () => {
  let t: TestCore;
  let http: RunningHttpServer;
  const errorLines: string[] = [];
  let baseUrl = '';
  let keys: string[] = [];
  let ids: string[] = [];

  beforeAll(async () => {
    t = await createTestCore();
    const a = await t.tenant('fuzz');
    const logger = errorSink(errorLines);
    http = await startHttpServer({
      core: t.core,
      db: t.database.db,
      logger,
      mode: 'postgres',
      port: 0,
      host: '127.0.0.1',
      mount: (app) => app.register(restPlugin, { core: t.core, logger, dialects: [probeDialect] }),
    });
    baseUrl = `http://127.0.0.1:${http.port}`;
    const s = await t.core.schedules.create(a.actor, { url: 'https://example.com/probe', intervalSeconds: 60 });
    keys = [a.secret];
    ids = [s.id, a.projectId];
  });
  afterAll(async () => {
    await http?.close();
    await t?.close();
  });

  it("sends schema-shaped bodies that a dialect's routes accept, refuse and pass to the core, with no 5xx", { timeout: 120_000 }, async () => {
    const report = await runRestFuzz({ baseUrl, app: http.app, keys, ids, seed: SEED, runs: Math.max(300, Math.round(RUNS / 4)) });
    console.log(`rest fuzz (test dialect): ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s`, answerSummary(report));

    const create = report.routes.find((r) => r.path === '/fuzzprobe/schedules');
    expect(create?.operations.find((o) => o.method === 'POST')?.body).toMatchObject({ type: 'object', required: ['url', 'every_seconds'] });
    expect(report.routes.find((r) => r.path === '/fuzzprobe/schedules/:id')?.operations.map((o) => o.method).sort()).toEqual(['DELETE', 'GET', 'PATCH']);
    // Generated bodies were created (201), refused by the schema or the core (400), and unauthenticated (401).
    expect(answered(report, '/fuzzprobe/schedules', 201, 201, 'POST')).toBeGreaterThan(0);
    expect(answered(report, '/fuzzprobe/schedules', 400, 400, 'POST')).toBeGreaterThan(0);
    expect(answered(report, '/fuzzprobe/schedules', 401, 401) + answered(report, '/fuzzprobe/schedules/:id', 401, 401)).toBeGreaterThan(0);
    expect(answered(report, '/fuzzprobe/schedules', 200, 200, 'GET')).toBeGreaterThan(0);
    // Real ids in the path found the schedule; other segments did not.
    expect(answered(report, '/fuzzprobe/schedules/:id', 200, 299)).toBeGreaterThan(0);
    expect(answered(report, '/fuzzprobe/schedules/:id', 404, 404)).toBeGreaterThan(0);

    expect(errorLines).toEqual([]);
    expect(await healthz(baseUrl)).toBe(200);
  });
});
