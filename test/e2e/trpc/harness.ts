import { newId } from '../../../server/core/ids.js';
import type { ExecutionStatus, Job } from '../../../server/core/types.js';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer } from '../../../server/surfaces/http/server.js';
import { trpcPlugin } from '../../../server/surfaces/trpc/index.js';
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
 * The HTTP app on 127.0.0.1 (port 0) with the tRPC plugin registered at /trpc, as the
 * composition root registers it; tRPC's log lines are collected in `logs`.
 */
export async function startTrpcServer(t: TestCore): Promise<TrpcServer> {
  const logs: LogLine[] = [];
  const logger = { error: (obj: object, msg: string) => void logs.push({ obj, msg }) };
  const http = await startHttpServer({
    core: t.core,
    db: t.database.db,
    logger: createLogger('silent'),
    mode: 'postgres',
    port: 0,
    host: '127.0.0.1',
    mount: (app) => app.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger }),
  });
  const url = `http://127.0.0.1:${http.port}`;
  return {
    url,
    logs,
    client: (apiKey, opts = {}) => createClient({ url, apiKey, ...opts }),
    close: async () => {
      http.server.closeAllConnections();
      await http.close();
    },
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
