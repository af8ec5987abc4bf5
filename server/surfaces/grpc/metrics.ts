import * as grpc from '@grpc/grpc-js';
import type { ApiObserver } from '../../metrics/index.js';

/** grpc-js status numbers to their names (`NOT_FOUND`), the label values of gRPC calls. */
const STATUS_NAMES = new Map<number, string>(
  Object.entries(grpc.status)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/**
 * A server interceptor that reports each call once to `observer`: its full method path (only
 * registered methods reach interceptors, so the label set is closed), its status, and the time
 * from the call's start to its status. A call the client cancels counts as CANCELLED.
 */
export function metricsInterceptor(observer: ApiObserver): grpc.ServerInterceptor {
  return (method, call) => {
    const started = performance.now();
    let reported = false;
    const report = (code: number) => {
      if (reported) return;
      reported = true;
      observer.observe({ surface: 'grpc', route: method.path, status: STATUS_NAMES.get(code) ?? String(code) }, (performance.now() - started) / 1000);
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({ onCancel: () => report(grpc.status.CANCELLED) }),
      sendStatus: (status, next) => {
        report(status.code);
        next(status);
      },
    });
  };
}
