import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TockClient } from '../../../client/src/index.js';
import { Monitor as ProtoMonitor } from '../../../client/src/gen/tock/v1/monitor.js';
import { startHarness, bearer, type Clients, type Harness } from '../grpc/harness.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';

/**
 * gRPC and tRPC encode the same shared views: a field the core has reaches both, under the same
 * name, with the same value (here `lastAlertAt`, which only tRPC used to send).
 */

let h: Harness;
let trpc: TrpcServer;
let grpcApi: Clients;
let tock: TockClient;

beforeAll(async () => {
  h = await startHarness();
  trpc = await startTrpcServer(h.t);
  const a = await h.t.tenant('a');
  grpcApi = h.clients(bearer(a.secret));
  tock = trpc.client(a.secret);
});
afterAll(async () => {
  await trpc?.close();
  await h?.close();
});

describe('the shared views on gRPC and tRPC', () => {
  it("show a monitor's last alert on both surfaces", async () => {
    const created = await tock.monitors.create({ name: 'backup', periodSeconds: 3600 });
    expect(created.lastAlertAt).toBeNull();
    expect((await grpcApi.monitors.getMonitor({ id: created.id })).lastAlertAt).toBeUndefined();

    const alertedAt = new Date('2026-03-02T06:00:00.000Z');
    await h.t.database.db.execute('update monitors set last_alert_at = ? where id = ?', [alertedAt, created.id]);
    expect((await tock.monitors.get(created.id)).lastAlertAt).toEqual(alertedAt);
    expect((await grpcApi.monitors.getMonitor({ id: created.id })).lastAlertAt).toEqual(alertedAt);
  });

  it('give gRPC every field of its Monitor message, and tRPC the same values', async () => {
    const viaTrpc = await tock.monitors.create({ name: 'fields', periodSeconds: 60, graceSeconds: 5, key: 'fields' });
    const viaGrpc = await grpcApi.monitors.getMonitor({ id: viaTrpc.id });
    for (const field of Object.keys(ProtoMonitor.fromPartial({})) as Array<keyof ProtoMonitor>) {
      const fromTrpc = (viaTrpc as unknown as Record<string, unknown>)[field];
      // proto3 spells "absent" as unset (optional and message fields) or "" (plain strings).
      const fromGrpc = viaGrpc[field] === undefined || viaGrpc[field] === '' ? null : viaGrpc[field];
      expect([field, fromGrpc]).toEqual([field, fromTrpc]);
    }
  });
});
