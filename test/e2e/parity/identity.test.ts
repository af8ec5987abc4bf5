import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListSchedulesRequest } from '../../../client/src/gen/tock/v1/schedule.js';
import { startHarness, type Harness } from '../grpc/harness.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';
import type { TestTenant } from '../../helpers/core.js';

/**
 * gRPC metadata and tRPC request headers are read by the same code: the same headers must
 * authenticate (or not) and pick the same project on both surfaces.
 */

let h: Harness;
let trpc: TrpcServer;
let a: TestTenant;
let second: string;

beforeAll(async () => {
  h = await startHarness();
  trpc = await startTrpcServer(h.t);
  a = await h.t.tenant('a');
  second = (await h.t.core.projects.create(a.principal, { name: 'second' })).id;
  await h.t.core.schedules.create(await h.t.core.actor(a.principal, second), { url: 'https://example.com/x', intervalSeconds: 60, name: 'in second' });
});
afterAll(async () => {
  await trpc?.close();
  await h?.close();
});

/** What a list of schedules called with `headers` saw: 'unauthenticated', or the names of the schedules listed. */
async function overGrpc(headers: Record<string, string>): Promise<string | string[]> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  try {
    const res = await h.clients(md).schedules.listSchedules(ListSchedulesRequest.fromPartial({}));
    return res.schedules.map((s) => s.name);
  } catch (err) {
    if ((err as grpc.ServiceError).code === grpc.status.UNAUTHENTICATED) return 'unauthenticated';
    throw err;
  }
}

async function overTrpc(headers: Record<string, string>): Promise<string | string[]> {
  const res = await fetch(`${trpc.url}/trpc/schedules.list`, { headers });
  const body = (await res.json()) as { result?: { data: { items: Array<{ name: string }> } } };
  if (res.status === 401) return 'unauthenticated';
  expect(res.status).toBe(200);
  return body.result!.data.items.map((s) => s.name);
}

describe('the caller read from headers, on gRPC and tRPC alike', () => {
  const cases: Array<[string, (key: string) => Record<string, string>, string | string[]]> = [
    ['a Bearer token', (key) => ({ authorization: `Bearer ${key}` }), []],
    // (HTTP/2 drops header values with blanks around them, so only inner blanks can be compared.)
    ['a lower-case bearer scheme with several blanks', (key) => ({ authorization: `bearer   ${key}` }), []],
    ['X-API-Key', (key) => ({ 'x-api-key': key }), []],
    ['a Bearer token winning over a wrong X-API-Key', (key) => ({ authorization: `Bearer ${key}`, 'x-api-key': 'tock_wrong' }), []],
    ['X-API-Key behind an Authorization of another scheme', (key) => ({ authorization: 'Basic dTpw', 'x-api-key': key }), []],
    ['an Authorization of another scheme alone', () => ({ authorization: 'Basic dTpw' }), 'unauthenticated'],
    ['no key', () => ({}), 'unauthenticated'],
    ['X-Tock-Project naming the second project', (key) => ({ 'x-api-key': key, 'x-tock-project': '__second__' }), ['in second']],
  ];

  it.each(cases)('treats %s the same way', async (_name, make, expected) => {
    const headers = Object.fromEntries(Object.entries(make(a.secret)).map(([k, v]) => [k, v === '__second__' ? second : v]));
    const [viaGrpc, viaTrpc] = await Promise.all([overGrpc(headers), overTrpc(headers)]);
    expect(viaGrpc).toEqual(expected);
    expect(viaTrpc).toEqual(expected);
  });
});
