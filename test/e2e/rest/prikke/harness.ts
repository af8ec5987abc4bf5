import { request } from 'undici';
import { expect } from 'vitest';
import type { Scope } from '../../../../server/core/types.js';
import type { DialectLimits } from '../../../../server/surfaces/rest/dialect.js';
import { restPlugin } from '../../../../server/surfaces/rest/index.js';
import { startHttpServer, type RunningHttpServer } from '../../../../server/surfaces/http/server.js';
import { createLogger } from '../../../../server/logger.js';
import { trpcPlugin } from '../../../../server/surfaces/trpc/index.js';
import { createClient, type TockClient } from '../../../../client/src/index.js';
import { Receiver, timerWorld, type TimerWorld } from '../../../integration/timer/harness.js';
import type { TestTenant } from '../../../helpers/core.js';

/**
 * Tock's HTTP port with the REST dialects on 127.0.0.1 (port 0), over a core whose waker reaches
 * the scheduler nodes a test starts (`world.node()`), and a loopback receiver the jobs can call.
 */
export interface PrikkeServer {
  url: string;
  world: TimerWorld;
  receiver: Receiver;
  http: RunningHttpServer;
  /** A new account (its default project, a key with every scope). */
  tenant(name?: string): Promise<TestTenant>;
  /** A `@tock/client` (tRPC) of this server acting with `apiKey`. */
  trpc(apiKey: string): TockClient;
  /** Another key of the tenant's account with only these scopes. */
  keyWith(tenant: TestTenant, scopes: Scope[]): Promise<string>;
  close(): Promise<void>;
}

export async function startPrikke(opts: { limits?: Partial<DialectLimits> } = {}): Promise<PrikkeServer> {
  const world = await timerWorld();
  const receiver = await new Receiver().listen();
  const logger = createLogger('silent');
  const http = await startHttpServer({
    core: world.t.core,
    db: world.db,
    logger,
    mode: 'postgres',
    port: 0,
    host: '127.0.0.1',
    // As the composition root mounts them: tRPC at /trpc, the REST dialects at their own paths.
    mount: async (app) => {
      await app.register(trpcPlugin, { prefix: '/trpc', core: world.t.core, logger: { error: () => {} } });
      await app.register(restPlugin, { core: world.t.core, logger, limits: { ratePerKey: 0, ...opts.limits } });
    },
  });
  return {
    url: `http://127.0.0.1:${http.port}`,
    world,
    receiver,
    http,
    tenant: (name) => world.t.tenant(name),
    trpc: (apiKey) => createClient({ url: `http://127.0.0.1:${http.port}`, apiKey }),
    async keyWith(tenant, scopes) {
      return (await world.t.core.keys.createUnchecked({ accountId: tenant.principal.accountId, name: scopes.join(' '), scopes })).secret;
    },
    async close() {
      http.server.closeAllConnections();
      await http.close();
      await receiver.close();
      await world.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when empty). */
  body: any;
  text: string;
}

/** One request as a user's HTTP client makes it (undici against the real port). */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { key?: string | null; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(`${base}${path}`, { method: method as never, headers, body });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}

/** Ids and times by shape. */
export const SCHEDULE_ID = expect.stringMatching(/^sched_[0-9a-z]{26}$/);
export const JOB_ID = expect.stringMatching(/^job_[0-9a-z]{26}$/);
export const EXECUTION_ID = expect.stringMatching(/^exec_[0-9a-z]{26}$/);
export const TIME = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
