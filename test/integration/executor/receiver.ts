import { EventEmitter } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type ReceiverHandler = (req: ReceivedRequest, res: ServerResponse) => void;

/**
 * A real HTTP server on 127.0.0.1 that records what reaches it. `open` counts requests whose
 * response has not closed yet; `maxOpen` is its high-water mark. `until` resolves when a condition
 * over the counters becomes true, re-checked on every request and response close.
 */
export class Receiver extends EventEmitter {
  readonly requests: ReceivedRequest[] = [];
  connections = 0;
  open = 0;
  maxOpen = 0;
  port = 0;
  readonly #server: http.Server;

  constructor(handler: ReceiverHandler) {
    super();
    this.#server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      res.once('close', () => {
        this.open--;
        this.emit('change');
      });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: ReceivedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(received);
        handler(received, res);
        this.emit('change');
      });
    });
    this.#server.on('connection', () => {
      this.connections++;
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (condition()) {
          this.off('change', check);
          resolve();
        }
      };
      this.on('change', check);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export async function startReceiver(handler: ReceiverHandler): Promise<Receiver> {
  return new Receiver(handler).listen();
}

/** Resolves when `condition` holds, re-checked whenever any of `receivers` changes. */
export function untilAny(receivers: readonly Receiver[], condition: () => boolean): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (!condition()) return;
      for (const r of receivers) r.off('change', check);
      resolve();
    };
    for (const r of receivers) r.on('change', check);
  });
}
