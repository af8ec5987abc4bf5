import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Forks a TypeScript entry point under tsx (`node --import tsx`) with an IPC channel, and offers
 * request/response calls over it: the parent sends `{ rpc, method, args }`, the child answers
 * `{ rpc, ok, result | error }` (see `serveRpc`).
 */

export interface RpcError extends Error {
  code?: string;
}

interface RpcReply {
  rpc: number;
  ok: boolean;
  result?: unknown;
  error?: { message: string; code?: string; stack?: string };
}

export class ChildRpc {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #exited = false;
  readonly exit: Promise<number | null>;

  constructor(readonly child: ChildProcess, readonly label: string) {
    child.on('message', (m: unknown) => {
      const msg = m as RpcReply;
      if (typeof msg?.rpc !== 'number') return;
      const p = this.#pending.get(msg.rpc);
      if (!p) return;
      this.#pending.delete(msg.rpc);
      if (msg.ok) p.resolve(msg.result);
      else {
        const e = new Error(`${label}: ${msg.error?.message ?? 'failed'}`) as RpcError;
        if (msg.error?.code) e.code = msg.error.code;
        p.reject(e);
      }
    });
    this.exit = once(child, 'exit').then(([code]) => {
      this.#exited = true;
      for (const p of this.#pending.values()) p.reject(new Error(`${label} exited (code ${code}) during a call`));
      this.#pending.clear();
      return code as number | null;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.label} has exited`));
    const rpc = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ rpc, method, args }, (err) => {
        if (err) {
          this.#pending.delete(rpc);
          reject(err);
        }
      });
    });
  }

  /** Disconnects and waits for exit; SIGKILLs this child (by pid) if it has not exited in `graceMs`. */
  async close(graceMs = 5000): Promise<void> {
    if (this.#exited) return;
    if (this.child.connected) this.child.disconnect();
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(t);
  }
}

/**
 * Forks `entry` (a path relative to `bench/`, e.g. `sink.ts`) under tsx; resolves once it says
 * ready. `execArgv` adds Node options (e.g. `--cpu-prof`).
 */
export async function forkTs(
  entry: string,
  args: string[] = [],
  opts: { label?: string; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Promise<ChildRpc> {
  const file = fileURLToPath(new URL(`../${entry}`, import.meta.url));
  const child = fork(file, args, {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...opts.env },
  });
  const rpc = new ChildRpc(child, opts.label ?? entry);
  const ready = new Promise<void>((resolve, reject) => {
    const onMsg = (m: unknown) => {
      if ((m as { ready?: boolean })?.ready) {
        child.off('message', onMsg);
        resolve();
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`${opts.label ?? entry} exited (code ${code}) before it was ready`)));
  });
  await ready;
  return rpc;
}

type Handler = (...args: any[]) => unknown;

/**
 * Child side: answers RPC calls with `handlers[method](...args)`, and tells the parent it is
 * ready. Exits when the parent disconnects (so a crashed orchestrator leaves no orphans).
 */
export function serveRpc(handlers: Record<string, Handler>, onDisconnect: () => Promise<void> | void = () => {}): void {
  if (!process.send) throw new Error('serveRpc: not started with an IPC channel (use forkTs)');
  process.on('message', async (m: unknown) => {
    const msg = m as { rpc?: number; method?: string; args?: unknown[] };
    if (typeof msg?.rpc !== 'number' || typeof msg.method !== 'string') return;
    const h = handlers[msg.method];
    try {
      if (!h) throw new Error(`unknown method ${msg.method}`);
      const result = await h(...(msg.args ?? []));
      process.send!({ rpc: msg.rpc, ok: true, result });
    } catch (err) {
      const e = err as Error & { code?: string };
      process.send!({ rpc: msg.rpc, ok: false, error: { message: e?.message ?? String(err), code: e?.code, stack: e?.stack } });
    }
  });
  process.on('disconnect', async () => {
    try {
      await onDisconnect();
    } finally {
      process.exit(0);
    }
  });
  process.send({ ready: true });
}
