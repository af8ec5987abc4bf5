import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { eventually, outagesPossible, startOutage } from '../../helpers/outage.js';

/**
 * grpc.health.v1.Health follows the database: NOT_SERVING while it does not answer (Check,
 * List and Watch), SERVING again once it does.
 */

/** Clients loaded from .proto files at run time are untyped. */
type Any = any;

const healthProtos = fileURLToPath(new URL('../../../server/surfaces/grpc/protos', import.meta.url));
const healthPkg = (
  grpc.loadPackageDefinition(protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [healthProtos], keepCase: true, enums: String })) as Any
).grpc.health.v1;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function serve(t: TestCore): Promise<{ server: GrpcServer; health: Any }> {
  const server = await startGrpcServer({
    core: t.core,
    database: t.database.db,
    healthPollMs: 100,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
  const health = new healthPkg.Health(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  cleanups.push(() => server.close(1_000), () => health.close());
  return { server, health };
}

const check = (health: Any, service = ''): Promise<string> =>
  new Promise((resolve, reject) => health.Check({ service }, (err: Error | null, res: Any) => (err ? reject(err) : resolve(res.status))));

/** A Watch stream and every status it has sent so far. */
function watch(health: Any, service = ''): { seen: string[]; next(status: string): Promise<void> } {
  const call = health.Watch({ service });
  cleanups.push(() => call.cancel());
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  call.on('data', (res: { status: string }) => {
    seen.push(res.status);
    waiters.splice(0).forEach((w) => w());
  });
  call.on('error', () => {});
  return {
    seen,
    next: (status) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${status} on the Watch stream; seen ${seen.join(', ')}`)), 15_000);
        const look = () => {
          if (seen.at(-1) === status) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(look);
        };
        look();
      }),
  };
}

describe('gRPC health following the database', () => {
  it.skipIf(!outagesPossible())('answers NOT_SERVING while the database refuses connections, and SERVING once it answers again', async () => {
    const t = await createTestCore();
    cleanups.push(() => t.close());
    const { health } = await serve(t);
    const watcher = watch(health);
    await watcher.next('SERVING');
    expect(await check(health)).toBe('SERVING');
    expect(await check(health, 'tock.v1.JobService')).toBe('SERVING');

    const outage = await startOutage(t.database.url);
    try {
      expect(await check(health)).toBe('NOT_SERVING');
      expect(await check(health, 'tock.v1.ScheduleService')).toBe('NOT_SERVING');
      const list: Any = await new Promise((resolve, reject) => health.List({}, (err: Error | null, r: Any) => (err ? reject(err) : resolve(r))));
      expect(list.statuses[''].status).toBe('NOT_SERVING');
      await watcher.next('NOT_SERVING');
    } finally {
      await outage.end();
    }
    await watcher.next('SERVING');
    await eventually('Check answers SERVING again', async () => (await check(health)) === 'SERVING');
    expect(watcher.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
  });

  it('answers NOT_SERVING once its database is dropped, and still NOT_FOUND for a service it does not serve', async () => {
    const t = await createTestCore();
    const { health } = await serve(t);
    const watcher = watch(health);
    await watcher.next('SERVING');
    await t.close();
    expect(await check(health)).toBe('NOT_SERVING');
    await watcher.next('NOT_SERVING');
    await expect(check(health, 'tock.v1.Nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});
