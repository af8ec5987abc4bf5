import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) with its data in
 * `<dataDir>/pg`, served on a loopback port by pglite-socket so MikroORM and `pg` connect to it
 * as to any PostgreSQL. One process owns the data directory; it writes `<dataDir>/embedded.json`
 * with its pid and port so other processes (`tock keys create`) connect to it instead of
 * opening the files a second time.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface EmbeddedInfo {
  pid: number;
  port: number;
}

const infoPath = (dataDir: string) => join(resolve(dataDir), 'embedded.json');

export async function startEmbeddedDatabase(opts: { dataDir: string | null; port?: number }): Promise<EmbeddedDatabase> {
  let db: PGlite;
  if (opts.dataDir) {
    const pgDir = join(resolve(opts.dataDir), 'pg');
    await mkdir(pgDir, { recursive: true });
    db = await PGlite.create(pgDir);
  } else {
    db = await PGlite.create();
  }
  // Statements from all connections are serialised inside PGlite, as in one backend.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: opts.port ?? 0, maxConnections: 32 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  if (opts.dataDir) {
    const info: EmbeddedInfo = { pid: process.pid, port };
    await writeFile(infoPath(opts.dataDir), JSON.stringify(info));
  }
  let stopped = false;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      if (opts.dataDir) await rm(infoPath(opts.dataDir), { force: true });
    },
  };
}

/** URL of the embedded database served by another live process on this data directory, if any. */
export async function findRunningEmbeddedDatabase(dataDir: string): Promise<string | null> {
  let info: EmbeddedInfo;
  try {
    info = JSON.parse(await readFile(infoPath(dataDir), 'utf8')) as EmbeddedInfo;
  } catch {
    return null;
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    return null;
  }
  const reachable = await new Promise<boolean>((done) => {
    const socket = connect({ host: '127.0.0.1', port: info.port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.once('timeout', () => {
      socket.destroy();
      done(false);
    });
  });
  return reachable ? `postgresql://postgres@127.0.0.1:${info.port}/postgres` : null;
}
