import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
type CheckRequest = { service: string };
type CheckResponse = { status: ServingStatus };
type Watcher = { call: grpc.ServerWritableStream<CheckRequest, CheckResponse>; sent: ServingStatus | null };

/** What health follows: the database this node serves from. */
export interface HealthDatabase {
  /** True when the database answers within the timeout (never hangs, never throws). */
  isReachable(timeoutMs?: number): Promise<boolean>;
}

export interface HealthOptions {
  database: HealthDatabase;
  /** How often the database is asked again while Watch streams are open (default 5 s). */
  pollMs?: number;
}

export interface HealthService {
  /** Answers NOT_SERVING from now on, tells every watcher, and ends their streams (for graceful shutdown). */
  shutdown(): void;
}

/** A database that answers slower than this is reported NOT_SERVING. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The standard grpc.health.v1.Health service. "" (the whole server) and each name in `services`
 * are SERVING while the database answers, NOT_SERVING while it does not and from shutdown on;
 * other names are NOT_FOUND for Check and SERVICE_UNKNOWN for Watch.
 *
 * Check and List ask the database (concurrent asks share one `select 1`). Watch sends the
 * current status, then each change: while any stream is open the database is asked every
 * `pollMs`; at shutdown watchers get NOT_SERVING and their streams end.
 */
export function addHealthService(server: grpc.Server, protos: PackageDefinition, services: readonly string[], opts: HealthOptions): HealthService {
  const names = ['', ...services];
  const pollMs = opts.pollMs ?? 5_000;
  let shutDown = false;
  let probing: Promise<boolean> | null = null;
  let poll: NodeJS.Timeout | null = null;
  const watchers = new Set<Watcher>();

  const databaseAnswers = (): Promise<boolean> => {
    probing ??= opts.database.isReachable(PROBE_TIMEOUT_MS).finally(() => {
      probing = null;
    });
    return probing;
  };
  const serverStatus = async (): Promise<ServingStatus> => (!shutDown && (await databaseAnswers()) ? 'SERVING' : 'NOT_SERVING');
  const statusOf = (service: string, server: ServingStatus): ServingStatus => (names.includes(service) ? server : 'SERVICE_UNKNOWN');

  const send = (w: Watcher, server: ServingStatus) => {
    const status = statusOf(w.call.request.service, server);
    if (status === w.sent || w.call.cancelled) return;
    w.sent = status;
    w.call.write({ status });
  };
  const stopPolling = () => {
    if (poll) clearInterval(poll);
    poll = null;
  };
  const startPolling = () => {
    if (poll || shutDown) return;
    poll = setInterval(() => {
      void serverStatus().then((s) => {
        if (!shutDown) for (const w of watchers) send(w, s);
      });
    }, pollMs);
    poll.unref();
  };

  server.addService(protos['grpc.health.v1.Health'] as grpc.ServiceDefinition, {
    Check(call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) {
      const service = call.request.service;
      if (!names.includes(service)) {
        callback({ code: grpc.status.NOT_FOUND, details: `Unknown service '${service}'` });
        return;
      }
      void serverStatus().then((status) => callback(null, { status }));
    },
    List(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      void serverStatus().then((status) => callback(null, { statuses: Object.fromEntries(names.map((n) => [n, { status }])) }));
    },
    Watch(call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) {
      const w: Watcher = { call, sent: null };
      if (shutDown) {
        send(w, 'NOT_SERVING');
        call.end();
        return;
      }
      watchers.add(w);
      startPolling();
      call.on('cancelled', () => {
        watchers.delete(w);
        if (watchers.size === 0) stopPolling();
      });
      void serverStatus().then((s) => {
        if (watchers.has(w)) send(w, s);
      });
    },
  });

  return {
    shutdown() {
      shutDown = true;
      stopPolling();
      for (const w of watchers) {
        send(w, 'NOT_SERVING');
        w.call.end();
      }
      watchers.clear();
    },
  };
}
