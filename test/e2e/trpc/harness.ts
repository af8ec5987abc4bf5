import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId } from '../../../server/core/ids.js';
import type { ExecutionStatus, Job } from '../../../server/core/types.js';
import { createTrpcHandler } from '../../../server/surfaces/trpc/index.js';
import { createClient, type TockClient } from '../../../client/src/index.js';
import type { TestCore } from '../../helpers/core.js';

/** One log line the tRPC surface wrote. */
export interface LogLine {
  obj: object;
  msg: string;
}

export interface TrpcServer {
  /** Base URL, e.g. http://127.0.0.1:43123 (the client appends /trpc). */
  url: string;
  /** Lines logged through the handler's logger. */
  logs: LogLine[];
  /** A `@tock/client` of this server acting with `apiKey`. */
  client(apiKey: string, opts?: { project?: string; fetch?: typeof fetch }): TockClient;
  close(): Promise<void>;
}

/**
 * Mounts `createTrpcHandler` under /trpc of a real HTTP server on 127.0.0.1 (port 0), as the
 * main HTTP server does; other paths answer 404 without reaching it.
 */
export async function startTrpcServer(t: TestCore): Promise<TrpcServer> {
  const logs: LogLine[] = [];
  const logger = { error: (obj: object, msg: string) => void logs.push({ obj, msg }) };
  const handler = createTrpcHandler({ core: t.core, logger });
  const server: Server = createServer((req, res) => {
    if (req.url === '/trpc' || req.url?.startsWith('/trpc/')) {
      void handler(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    logs,
    client: (apiKey, opts = {}) => createClient({ url, apiKey, ...opts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A fetch that records the URL of every HTTP request the client makes. */
export function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      return fetch(input, init);
    },
  };
}

/** Writes an execution row as the executor would (no executor runs in these tests). */
export async function insertExecution(
  t: TestCore,
  job: Pick<Job, 'id' | 'projectId' | 'scheduleId'>,
  attempt: number,
  status: ExecutionStatus = 'succeeded',
): Promise<string> {
  const id = newId('execution');
  const startedAt = new Date(Date.UTC(2026, 0, 1, 12, 0, attempt));
  await t.database.db.execute(
    `insert into executions (id, job_id, project_id, schedule_id, attempt, status, status_code, duration_ms, response_body, error, started_at, finished_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, job.id, job.projectId, job.scheduleId, attempt, status, status === 'succeeded' ? 200 : 500, 42, 'ok', null, startedAt, new Date(startedAt.getTime() + 42)],
  );
  return id;
}
