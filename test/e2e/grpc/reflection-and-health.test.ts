import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../../server/surfaces/grpc/server.js';
import { startHarness, type Harness } from './harness.js';

/** Clients loaded from .proto files at run time are untyped. */
type Any = any;

/** Reflection v1alpha as grpcurl speaks it, from the proto shipped inside @grpc/reflection. */
const reflectionProtos = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
const reflection = (
  grpc.loadPackageDefinition(protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', { includeDirs: [reflectionProtos], keepCase: true })) as Any
).grpc.reflection.v1alpha;

/** The health service as any client would load it: from the vendored standard health.proto. */
const healthProtos = fileURLToPath(new URL('../../../server/surfaces/grpc/protos', import.meta.url));
const healthPkg = (
  grpc.loadPackageDefinition(protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [healthProtos], keepCase: true, enums: String })) as Any
).grpc.health.v1;

const TOCK = ['tock.v1.ScheduleService', 'tock.v1.JobService', 'tock.v1.MonitorService', 'tock.v1.ProjectService', 'tock.v1.AlertService'];

let h: Harness;
let reflectionClient: Any;
let health: Any;

beforeAll(async () => {
  h = await startHarness();
  reflectionClient = new reflection.ServerReflection(h.address, grpc.credentials.createInsecure());
  health = new healthPkg.Health(h.address, grpc.credentials.createInsecure());
});
afterAll(async () => {
  reflectionClient.close();
  health.close();
  await h.close();
});

/** One request on the reflection stream, its one response. */
function reflect(request: object): Promise<Any> {
  return new Promise((resolve, reject) => {
    const call = reflectionClient.ServerReflectionInfo();
    call.on('data', (res: Any) => {
      resolve(res);
      call.end();
    });
    call.on('error', reject);
    call.write(request);
  });
}

const check = (service: string): Promise<Any> =>
  new Promise((resolve, reject) => health.Check({ service }, (err: Error | null, res: Any) => (err ? reject(err) : resolve(res))));

describe('server reflection', () => {
  it('lists the tock services, health and reflection', async () => {
    const res = await reflect({ list_services: '*' });
    const names = res.list_services_response.service.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining([...TOCK, 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']));
  });

  it('describes a tock service with the descriptors it depends on', async () => {
    // proto-loader merges the files of one package into one descriptor named after the package.
    const res = await reflect({ file_containing_symbol: 'tock.v1.ScheduleService' });
    const files = (res.file_descriptor_response.file_descriptor_proto as Buffer[]).map((b) => b.toString('latin1'));
    expect(files.some((f) => f.includes('tock.v1') && f.includes('CreateSchedule') && f.includes('update_mask'))).toBe(true);
    expect(files.some((f) => f.includes('google.protobuf') && f.includes('Timestamp'))).toBe(true);
  });

  it('gives a strict Go client (buf curl, like grpcurl) descriptors it accepts, so it can call a method with maps and timestamps', async () => {
    const { secret } = await h.t.tenant('buf-curl');
    const buf = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));
    const request = JSON.stringify({ schedule: { url: 'https://example.com/from-go', cron: '0 * * * *', headers: { 'X-From': 'buf' } } });
    const { stdout } = await promisify(execFile)(buf, [
      'curl', '--protocol', 'grpc', '--http2-prior-knowledge', '-H', `authorization: Bearer ${secret}`, '-d', request,
      `http://${h.address}/tock.v1.ScheduleService/CreateSchedule`,
    ]);
    const created = JSON.parse(stdout);
    expect(created).toMatchObject({ url: 'https://example.com/from-go', headers: { 'X-From': 'buf' }, state: 'active' });
    expect(Date.parse(created.nextRunAt)).toBeGreaterThan(Date.now());
  });

  it('answers an unknown symbol with a NOT_FOUND error response on the stream', async () => {
    const res = await reflect({ file_containing_symbol: 'tock.v1.Nope' });
    expect(res.error_response.error_code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('health checking', () => {
  it('reports SERVING for the whole server and for each tock service', async () => {
    for (const service of ['', ...TOCK]) expect((await check(service)).status).toBe('SERVING');
  });

  it('answers NOT_FOUND for a service it does not serve', async () => {
    await expect(check('tock.v1.Nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('lists the status of every service', async () => {
    const res: Any = await new Promise((resolve, reject) => health.List({}, (err: Error | null, r: Any) => (err ? reject(err) : resolve(r))));
    expect(Object.keys(res.statuses)).toEqual(expect.arrayContaining(['', ...TOCK]));
    expect(res.statuses['tock.v1.JobService'].status).toBe('SERVING');
  });

  it('sends the current status to a watcher, and NOT_SERVING then the end of the stream when the server closes', async () => {
    const server = await startGrpcServer({ core: h.t.core, database: h.t.database.db, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }) });
    const client = new healthPkg.Health(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const call = client.Watch({ service: '' });
      const seen: string[] = [];
      const ended = new Promise<void>((resolve) => call.on('status', () => resolve()));
      await new Promise<void>((resolve) =>
        call.on('data', (res: { status: string }) => {
          seen.push(res.status);
          resolve();
        }),
      );
      expect(seen).toEqual(['SERVING']);
      const started = Date.now();
      await server.close(10_000);
      await ended;
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
    }
  });
});
