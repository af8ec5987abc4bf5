import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildHttpApp, type HttpAppOptions } from './app.js';

export interface HttpServerOptions extends HttpAppOptions {
  port: number;
  host?: string;
}

export interface RunningHttpServer {
  app: FastifyInstance;
  server: Server;
  port: number;
  /** Stops accepting, closes idle connections, and resolves once requests in flight are answered. */
  close(): Promise<void>;
}

/** Builds the HTTP app (see `buildHttpApp`) and listens on `host:port`. */
export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const app = await buildHttpApp(opts);
  await app.listen({ port: opts.port, host: opts.host ?? '0.0.0.0' });
  return {
    app,
    server: app.server,
    port: (app.server.address() as AddressInfo).port,
    close: () => app.close(),
  };
}
