import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
type CheckRequest = { service: string };
type CheckResponse = { status: ServingStatus };

export interface HealthService {
  /** Answers NOT_SERVING from now on, tells every watcher, and ends their streams (for graceful shutdown). */
  shutdown(): void;
}

/**
 * The standard grpc.health.v1.Health service. "" (the whole server) and each name in `services`
 * are SERVING until shutdown; other names are NOT_FOUND for Check and SERVICE_UNKNOWN for Watch.
 * Watch sends the current status once and then only the change to NOT_SERVING at shutdown.
 */
export function addHealthService(server: grpc.Server, protos: PackageDefinition, services: readonly string[]): HealthService {
  const names = ['', ...services];
  let serving = true;
  const watchers = new Set<grpc.ServerWritableStream<CheckRequest, CheckResponse>>();
  const statusOf = (service: string): ServingStatus => (!names.includes(service) ? 'SERVICE_UNKNOWN' : serving ? 'SERVING' : 'NOT_SERVING');

  server.addService(protos['grpc.health.v1.Health'] as grpc.ServiceDefinition, {
    Check(call: grpc.ServerUnaryCall<CheckRequest, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) {
      const status = statusOf(call.request.service);
      if (status === 'SERVICE_UNKNOWN') callback({ code: grpc.status.NOT_FOUND, details: `Unknown service '${call.request.service}'` });
      else callback(null, { status });
    },
    List(_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
      callback(null, { statuses: Object.fromEntries(names.map((n) => [n, { status: statusOf(n) }])) });
    },
    Watch(call: grpc.ServerWritableStream<CheckRequest, CheckResponse>) {
      call.write({ status: statusOf(call.request.service) });
      watchers.add(call);
      call.on('cancelled', () => watchers.delete(call));
    },
  });

  return {
    shutdown() {
      serving = false;
      for (const call of watchers) {
        if (names.includes(call.request.service)) call.write({ status: 'NOT_SERVING' });
        call.end();
      }
      watchers.clear();
    },
  };
}
