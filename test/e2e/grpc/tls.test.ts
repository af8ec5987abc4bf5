import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClients, type TockGrpcClients } from '../../../client/src/grpc.js';
import { ListProjectsRequest, type ListProjectsResponse } from '../../../client/src/gen/tock/v1/project.js';
import { parseConfig } from '../../../server/config.js';
import { startGrpcServer, type GrpcServer } from '../../../server/surfaces/grpc/server.js';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { selfSignedCert, type SelfSigned } from '../../helpers/tls.js';

let t: TestCore;
let a: TestTenant;
let cert: SelfSigned;
let server: GrpcServer;
const opened: TockGrpcClients[] = [];

beforeAll(async () => {
  cert = await selfSignedCert();
  t = await createTestCore();
  a = await t.tenant('a');
  // The certificate goes through the configuration, as at start-up.
  const { grpcTls } = parseConfig({ TOCK_GRPC_TLS_CERT: cert.certPath, TOCK_GRPC_TLS_KEY: cert.keyPath });
  server = await startGrpcServer({ core: t.core, database: t.database.db, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), tls: grpcTls });
});
afterAll(async () => {
  for (const c of opened) c.close();
  await server?.close(500);
  await t?.close();
  await cert?.remove();
});

function clients(opts: Partial<Parameters<typeof createGrpcClients>[0]>): TockGrpcClients {
  // The certificate names localhost (and 127.0.0.1); TLS names a server by host name, not by address.
  const clientOptions = { 'grpc.ssl_target_name_override': 'localhost' };
  const c = createGrpcClients({ address: `127.0.0.1:${server.port}`, apiKey: a.secret, clientOptions, ...opts });
  opened.push(c);
  return c;
}

function listProjects(c: TockGrpcClients): Promise<ListProjectsResponse> {
  return new Promise((resolve, reject) =>
    c.projects.listProjects(ListProjectsRequest.fromPartial({}), new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

describe('gRPC over TLS (TOCK_GRPC_TLS_CERT / TOCK_GRPC_TLS_KEY)', () => {
  it('serves a client that trusts the certificate', async () => {
    const res = await listProjects(clients({ tls: { ca: cert.cert } }));
    expect(res.projects.map((p) => p.id)).toEqual([a.projectId]);
  });

  it('refuses a plaintext client: the call fails without reaching a handler', async () => {
    const err = (await listProjects(clients({})).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('is refused by a client that does not trust the certificate', async () => {
    const err = (await listProjects(clients({ tls: true })).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('refuses tls and credentials together in the client', () => {
    expect(() => createGrpcClients({ address: 'localhost:1', apiKey: 'k', tls: true, credentials: grpc.credentials.createInsecure() })).toThrow(/either `tls` or `credentials`/);
  });
});
