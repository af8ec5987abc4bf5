import { startTock, type RunningTock } from '../../../../server/app.js';
import { parseConfig } from '../../../../server/config.js';
import type { Scope } from '../../../../server/core/types.js';
import { createTestDatabase, type TestDatabase } from '../../../helpers/db.js';
import { Receiver, until } from '../../../integration/timer/harness.js';

/**
 * Tock as `npm start` runs it (config parsed from an environment, migrations, HTTP and gRPC
 * ports, the timer), on this test file's own database, with a loopback receiver its jobs may
 * call. Requests go through `fetch` to the listening port, as a user's curl would.
 */
export interface KrafterWorld {
  tock: RunningTock;
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** The first start's admin key (all scopes). */
  key: string;
  receiver: Receiver;
  /** A new account with its own project and a key with `scopes`. */
  tenant(name: string, scopes?: Scope[]): Promise<{ key: string; projectId: string }>;
  /** One request to the dialect; `body` is sent as given (a string) or as JSON. */
  call(method: string, path: string, opts?: { key?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (null when the body is empty). */
  json: any;
}

export async function startKrafterWorld(): Promise<KrafterWorld> {
  const database: TestDatabase = await createTestDatabase();
  const receiver = await new Receiver((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')).listen();
  const tock = await startTock(
    parseConfig({
      DATABASE_URL: database.url,
      PORT: '0',
      GRPC_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      TOCK_ALLOW_TARGETS: '127.0.0.1/32',
      TOCK_SHUTDOWN_DEADLINE_MS: '2000',
    }),
  );
  if (!tock.bootstrapSecret) throw new Error('expected a first start with an admin key');
  const url = `http://127.0.0.1:${tock.http.port}`;
  const key = tock.bootstrapSecret;
  return {
    tock,
    url,
    key,
    receiver,
    async tenant(name, scopes = ['*']) {
      const { account, project } = await tock.core.projects.createAccount({ name });
      const { secret } = await tock.core.keys.createUnchecked({ accountId: account.id, name, scopes });
      return { key: secret, projectId: project.id };
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const k = opts.key === undefined ? key : opts.key;
      if (k !== null) headers.authorization = `Bearer ${k}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
    },
    async close() {
      await tock.stop();
      await receiver.close();
      await database.close();
    },
  };
}

export { until };

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A time as the document writes one: RFC 3339 UTC, whole seconds. */
export const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
