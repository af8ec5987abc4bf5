import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../client/src/index.js';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import { ListSchedulesRequest, ScheduleServiceClient, ScheduleServiceService } from '../../../client/src/gen/tock/v1/schedule.js';
import { createLogger } from '../../../server/logger.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { eventually } from '../../helpers/outage.js';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { parsePrometheus, samples, value, type Sample } from '../../helpers/prometheus.js';
import { Receiver } from '../../integration/timer/harness.js';
import { api, bearer } from '../grpc/harness.js';

/**
 * `/metrics` of a real server (the composition root, scheduler on, on this file's own
 * database): a REST dialect call, a tRPC call, a gRPC call and a ping each appear under their
 * surface and route template, a job fired to a loopback receiver appears in the timer's series,
 * and the pool, monitor and process series are there, all prefixed `tock_`.
 */

interface World {
  tock: RunningTock;
  database: TestDatabase;
  url: string;
  key: string;
  close(): Promise<void>;
}

async function startWorld(env: Record<string, string> = {}): Promise<World> {
  const database = await createTestDatabase();
  const config = parseConfig({
    DATABASE_URL: database.url,
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    TOCK_ALLOW_TARGETS: '127.0.0.1/32',
    TOCK_DB_POOL_SIZE: '4',
    ...env,
  });
  const tock = await startTock(config, { logger: createLogger('silent') });
  return {
    tock,
    database,
    url: `http://127.0.0.1:${tock.http.port}`,
    key: tock.bootstrapSecret!,
    async close() {
      await tock.stop();
      await database.close();
    },
  };
}

async function scrape(w: World, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(`${w.url}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

describe('/metrics of a node with the scheduler on', () => {
  let w: World;
  let receiver: Receiver;
  let all: Sample[];
  let pingToken: string;
  let fliqStatus: number;

  beforeAll(async () => {
    receiver = await new Receiver().listen();
    w = await startWorld({ TOCK_SCHEDULER: 'true' });

    // REST (Fliq): a one-time job due in a moment, to the loopback receiver.
    const created = await fetch(`${w.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/fired`, scheduled_at: new Date(Date.now() + 1_000).toISOString() }),
    });
    fliqStatus = created.status;
    expect(fliqStatus).toBe(201);

    // tRPC: one call, a monitor.
    const monitor = await createClient({ url: w.url, apiKey: w.key }).monitors.create({ name: 'nightly', periodSeconds: 3600 });
    pingToken = monitor.pingUrl.split('/').pop()!;

    // gRPC: one call.
    const channel = new ScheduleServiceClient(`127.0.0.1:${w.tock.grpc.port}`, grpc.credentials.createInsecure());
    try {
      await api(channel, ScheduleServiceService, bearer(w.key)).listSchedules(ListSchedulesRequest.fromPartial({}));
    } finally {
      channel.close();
    }

    // A ping by token, and a path no route serves.
    expect((await fetch(`${w.url}/ping/${pingToken}`)).status).toBe(200);
    expect((await fetch(`${w.url}/no/such/path/${pingToken}`)).status).toBe(404);

    // The job fires and its result is written.
    await eventually('the job fired and its result was counted', async () => {
      if (receiver.to('/fired').length === 0) return false;
      return value(await scrape(w), 'tock_timer_attempt_results_total', { result: 'succeeded' }) === 1;
    });
    all = await scrape(w);
  }, 60_000);

  afterAll(async () => {
    await w?.close();
    await receiver?.close();
  });

  it('prefixes every metric with tock_', () => {
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter((s) => !s.name.startsWith('tock_')).map((s) => s.name)).toEqual([]);
  });

  it('counts a REST dialect call under its dialect and route template, with its latency', () => {
    const labels = { surface: 'rest', dialect: 'fliq', route: '/v1/jobs', method: 'POST' };
    expect(value(all, 'tock_api_requests_total', { ...labels, status: String(fliqStatus) })).toBe(1);
    expect(value(all, 'tock_api_request_duration_seconds_count', labels)).toBe(1);
    expect(value(all, 'tock_api_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(1);
    expect(value(all, 'tock_api_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
  });

  it('counts a tRPC call under its procedure', () => {
    expect(value(all, 'tock_api_requests_total', { surface: 'trpc', route: 'monitors.create', method: 'POST', status: '200' })).toBe(1);
    expect(value(all, 'tock_api_request_duration_seconds_count', { surface: 'trpc', route: 'monitors.create', method: 'POST' })).toBe(1);
  });

  it('counts a gRPC call under its method path and status name', () => {
    expect(value(all, 'tock_api_requests_total', { surface: 'grpc', route: '/tock.v1.ScheduleService/ListSchedules', status: 'OK' })).toBe(1);
    expect(value(all, 'tock_api_request_duration_seconds_count', { surface: 'grpc', route: '/tock.v1.ScheduleService/ListSchedules' })).toBe(1);
  });

  it('counts a ping by kind and under the ping route template, never under its token', () => {
    expect(value(all, 'tock_pings_total', { kind: 'success' })).toBe(1);
    expect(value(all, 'tock_pings_total', { kind: 'start' })).toBe(0);
    expect(value(all, 'tock_pings_total', { kind: 'fail' })).toBe(0);
    expect(value(all, 'tock_api_requests_total', { surface: 'http', route: '/ping/:first', method: 'GET', status: '200' })).toBe(1);
    expect(value(all, 'tock_api_requests_total', { surface: 'http', route: '(unmatched)', method: 'GET', status: '404' })).toBe(1);
    expect(all.filter((s) => Object.values(s.labels).some((v) => v.includes(pingToken)))).toEqual([]);
  });

  it('reports the monitors by status', () => {
    expect(value(all, 'tock_monitors', { status: 'up' })).toBe(1);
    expect(value(all, 'tock_monitors', { status: 'new' })).toBe(0);
    expect(value(all, 'tock_monitors', { status: 'down' })).toBe(0);
    expect(value(all, 'tock_monitors', { status: 'paused' })).toBe(0);
  });

  it("reports the timer's fires, lateness, queue, in-flight calls, shards, takeovers and alerts under the node id", () => {
    const nodeId = w.tock.scheduler!.nodeId;
    expect(samples(all, 'tock_timer_attempt_results_total', { node: nodeId, result: 'succeeded' })).toHaveLength(1);
    expect(value(all, 'tock_timer_attempt_results_total', { result: 'failed' })).toBe(0);
    expect(value(all, 'tock_timer_attempt_results_total', { result: 'retry' })).toBe(0);
    expect(value(all, 'tock_timer_claimed_total', { kind: 'job' })).toBe(1);
    expect(value(all, 'tock_timer_fire_lateness_seconds_count')).toBe(1);
    expect(value(all, 'tock_timer_fire_lateness_seconds_bucket', { le: '+Inf' })).toBe(1);
    expect(value(all, 'tock_timer_owned', { state: 'inflight' })).toBe(0);
    expect(value(all, 'tock_timer_queued')).toBeGreaterThanOrEqual(0);
    expect(value(all, 'tock_timer_shards', { state: 'held' })).toBe(256);
    expect(value(all, 'tock_timer_shards', { state: 'draining' })).toBe(0);
    expect(value(all, 'tock_timer_lease_takeovers_total')).toBe(0);
    expect(value(all, 'tock_timer_leases_lost_total')).toBe(0);
    for (const channel of ['webhook', 'email']) {
      for (const outcome of ['delivered', 'retry', 'failed']) expect(value(all, 'tock_alerts_total', { channel, outcome })).toBe(0);
    }
  });

  it('reports the database pool and the process', () => {
    expect(value(all, 'tock_db_pool_max')).toBe(4);
    const busy = value(all, 'tock_db_pool_connections', { state: 'busy' });
    const idle = value(all, 'tock_db_pool_connections', { state: 'idle' });
    expect(busy + idle).toBeGreaterThan(0);
    expect(busy + idle).toBeLessThanOrEqual(4);
    expect(value(all, 'tock_db_pool_waiting')).toBe(0);
    expect(value(all, 'tock_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(all, 'tock_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples(all, 'tock_nodejs_eventloop_lag_seconds')).toHaveLength(1);
  });

  it('exports every series, with every label, that the starter Prometheus rules (docs/prometheus-rules.yml) select', async () => {
    const rules = parse(await readFile(new URL('../../../docs/prometheus-rules.yml', import.meta.url), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
    const selectors = rules.groups.flatMap((g) => g.rules).flatMap((r) => [...r.expr.matchAll(/\b(tock_[a-z_]+)(?:\{([^}]*)\})?/g)]);
    expect(selectors.length).toBeGreaterThan(5);
    for (const [, name, matchers] of selectors) {
      const series = samples(all, name);
      expect(series.length, `${name} is not exported`).toBeGreaterThan(0);
      for (const [, label] of (matchers ?? '').matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)) {
        expect(series.some((s) => label in s.labels), `${name} has no label ${label}`).toBe(true);
      }
    }
  });

  it('refuses other methods on /metrics with 405', async () => {
    const res = await fetch(`${w.url}/metrics`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('/metrics settings', () => {
  it('asks for the bearer token when TOCK_METRICS_TOKEN is set', async () => {
    const token = 'scrape-secret-0123456789';
    const w = await startWorld({ TOCK_SCHEDULER: 'false', TOCK_METRICS_TOKEN: token });
    try {
      const none = await fetch(`${w.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(await none.json()).toEqual({ error: { code: 'unauthenticated', message: 'GET /metrics needs Authorization: Bearer <TOCK_METRICS_TOKEN>' } });
      expect((await fetch(`${w.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
      expect((await fetch(`${w.url}/metrics`, { headers: { authorization: w.key } })).status).toBe(401);
      const ok = await scrape(w, { authorization: `Bearer ${token}` });
      // An API-only node has no timer series.
      expect(samples(ok, 'tock_timer_shards')).toEqual([]);
      expect(value(ok, 'tock_pings_total', { kind: 'success' })).toBe(0);
    } finally {
      await w.close();
    }
  });

  it('serves no /metrics when TOCK_METRICS=off', async () => {
    const w = await startWorld({ TOCK_SCHEDULER: 'false', TOCK_METRICS: 'off' });
    try {
      const res = await fetch(`${w.url}/metrics`);
      expect(res.status).toBe(404);
      expect((await fetch(`${w.url}/healthz`)).status).toBe(200);
    } finally {
      await w.close();
    }
  });
});
