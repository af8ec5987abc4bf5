import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../../client/src/gen/tock/v1/job.js';
import { createLogger } from '../../../server/logger.js';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { trpcPlugin } from '../../../server/surfaces/trpc/index.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { grpcCall, grpcClients, type GrpcClients } from './surfaces.js';

/**
 * An insert the database refuses is an internal error, logged once. The log line must not carry
 * what the row held: knex puts the whole statement with its values in the error message, and
 * PostgreSQL's `detail` quotes the failing row, target headers and body included.
 */
let t: TestCore;
let tenant: TestTenant;
let grpc: GrpcServer;
let clients: GrpcClients;
let http: RunningHttpServer;
let trpcUrl: string;
const lines: string[] = [];

const SECRET = 'sk_live_0123456789abcdefSECRET';
const BODY_SECRET = 'password=correct-horse-battery-staple';

beforeAll(async () => {
  t = await createTestCore();
  tenant = await t.tenant('logs');
  // This file's own database refuses one kind of row, so an ordinary create fails inside PostgreSQL.
  await t.database.db.execute(`alter table jobs add constraint jobs_no_teapots check (url not like '%teapot%')`);
  const logger = createLogger('info', {}, { write: (line: string) => void lines.push(line) });
  grpc = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger });
  clients = grpcClients(`127.0.0.1:${grpc.port}`);
  http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger,
    port: 0,
    host: '127.0.0.1',
    mode: 'postgres',
    mount: (app) => app.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger }),
  });
  trpcUrl = `http://127.0.0.1:${http.port}`;
});
afterAll(async () => {
  for (const c of clients?.all ?? []) c.close();
  await grpc?.close(1_000);
  await http?.close();
  await t?.close();
});

const errorLines = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => (l.level as number) >= 50);

describe('the log line of an internal error', () => {
  it('names the database error by code and constraint without the SQL, its values or the row, over gRPC', async () => {
    // Job creates go through the lean statements (raw pg), so the error is the driver's own class.
    const job = Job.fromPartial({ url: 'https://example.com/teapot', headers: { Authorization: `Bearer ${SECRET}` }, body: BODY_SECRET });
    const out = await grpcCall(clients.jobs, clients.jobs.createJob, { job }, tenant.secret);
    expect(out).toMatchObject({ ok: false, code: status.INTERNAL, details: 'internal error' });

    const logged = errorLines();
    expect(logged).toHaveLength(1);
    expect(logged[0].err).toMatchObject({ code: '23514', constraint: 'jobs_no_teapots', table: 'jobs', type: 'DatabaseError' });
    expect((logged[0].err as { message: string }).message).toBe('new row for relation "jobs" violates check constraint "jobs_no_teapots"');
    const line = JSON.stringify(logged[0]);
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(BODY_SECRET);
    expect(line).not.toMatch(/insert into/i);
  });

  it('does the same over tRPC', async () => {
    lines.length = 0;
    const res = await fetch(`${trpcUrl}/trpc/jobs.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/teapot', headers: { 'X-Api-Key': SECRET }, body: BODY_SECRET }),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('internal error');

    const logged = errorLines();
    expect(logged.length).toBeGreaterThanOrEqual(1);
    for (const l of logged) {
      expect(l.err).toMatchObject({ code: '23514', constraint: 'jobs_no_teapots' });
      const line = JSON.stringify(l);
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(BODY_SECRET);
    }
  });
});
