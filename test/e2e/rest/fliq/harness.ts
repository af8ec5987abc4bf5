import { request } from 'undici';
import type { Clock } from '../../../../server/core/clock.js';
import type { Scope } from '../../../../server/core/types.js';
import type { Waker } from '../../../../server/core/wake.js';
import { HttpExecutor } from '../../../../server/executor/index.js';
import { createLogger } from '../../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../../server/surfaces/http/server.js';
import { restPlugin } from '../../../../server/surfaces/rest/index.js';
import { trpcPlugin } from '../../../../server/surfaces/trpc/index.js';
import { startScheduler, type RunningScheduler } from '../../../../server/timer/index.js';
import { createTestCore, LOOPBACK_TARGETS, type TestCore, type TestTenant } from '../../../helpers/core.js';
import { LOOPBACK_POLICY, TEST_OPTIONS, testLogger } from '../../../integration/timer/harness.js';

/**
 * A real Tock HTTP port on 127.0.0.1 (port 0) with the REST dialects and tRPC mounted as the
 * composition root mounts them, its own database, and optionally a timer node that calls
 * loopback receivers. Requests go through undici over a real socket, as a user's curl would.
 */

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined for an empty one). */
  json: any;
  text: string;
}

export interface FliqServer {
  url: string;
  t: TestCore;
  /** An account with an all-scopes key. */
  admin: TestTenant;
  /** `path` under the server; `body` is sent as JSON unless it is a string (sent as is). */
  call(method: string, path: string, opts?: { body?: unknown; key?: string | null; headers?: Record<string, string> }): Promise<Answer>;
  /** A new key of `tenant`'s account with only these scopes. */
  keyWith(tenant: TestTenant, scopes: Scope[]): Promise<string>;
  /** Starts a timer node (calls go to loopback only). */
  startTimer(): Promise<RunningScheduler>;
  close(): Promise<void>;
}

export async function startFliqServer(
  opts: { clock?: Clock; dailyExecutionLimit?: number; bodyLimit?: number; ratePerKey?: number } = {},
): Promise<FliqServer> {
  const wakers: Waker[] = [];
  const t = await createTestCore({
    clock: opts.clock,
    // Calls go to receivers on this machine, as TOCK_ALLOW_TARGETS would allow.
    allowTargets: LOOPBACK_TARGETS,
    dailyExecutionLimit: opts.dailyExecutionLimit,
    waker: {
      wake: (k, s, d) => wakers.forEach((w) => w.wake(k, s, d)),
      cancelled: (k, s, id) => wakers.forEach((w) => w.cancelled?.(k, s, id)),
    },
  });
  const admin = await t.tenant('fliq-admin');
  const logger = createLogger('silent');
  const http: RunningHttpServer = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger,
    mode: 'postgres',
    port: 0,
    host: '127.0.0.1',
    mount: async (app) => {
      await app.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger });
      await app.register(restPlugin, { core: t.core, logger, limits: { bodyLimit: opts.bodyLimit, ratePerKey: opts.ratePerKey ?? 0 } });
    },
  });
  const url = `http://127.0.0.1:${http.port}`;
  const executor = new HttpExecutor({ policy: LOOPBACK_POLICY });
  const timers: RunningScheduler[] = [];
  return {
    url,
    t,
    admin,
    async call(method, path, o = {}) {
      const key = o.key === undefined ? admin.secret : o.key;
      const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...o.headers };
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await request(`${url}${path}`, { method: method as 'GET', headers, body });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, json, text };
    },
    async keyWith(tenant, scopes) {
      const { secret } = await t.core.keys.createUnchecked({ accountId: tenant.actor.accountId, name: scopes.join(' '), scopes });
      return secret;
    },
    async startTimer() {
      const node = await startScheduler({
        db: t.database.db,
        databaseUrl: null,
        executor,
        logger: testLogger('fliq'),
        options: TEST_OPTIONS,
      });
      timers.push(node);
      wakers.push(node.waker);
      return node;
    },
    async close() {
      await Promise.allSettled(timers.map((n) => n.stop(1000)));
      await executor.close(500);
      http.server.closeAllConnections();
      await http.close();
      await t.close();
    },
  };
}

/** ISO 8601 UTC without fraction digits, as Fliq writes times. */
export const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
/** An ISO 8601 UTC time, with or without milliseconds. */
export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;
/** Tock's TypeID-style ids (a UUIDv7 inside): `job_01hx...`, `sched_01hx...`, `exec_01hx...`. */
export const idOf = (prefix: string) => new RegExp(`^${prefix}_0[0-9a-hjkmnp-tv-z]{25}$`);
