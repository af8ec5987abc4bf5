import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../client/src/index.js';
import { run, startTs, type Started } from '../../helpers/process.js';

/**
 * `npm start` as a user runs it: no DATABASE_URL, so the embedded database under DATA_DIR.
 * Ports are 0 (random) and read back from the log line.
 */
let dataDir: string;
const env = () => ({ DATA_DIR: dataDir, PORT: '0', GRPC_PORT: '0', DATABASE_URL: '', HOST: '127.0.0.1' });

const listeningPort = (s: Started) =>
  s.waitFor((l) => (typeof l === 'object' && l.msg === 'HTTP listening (REST, tRPC, health)' ? Number(l.port) : undefined));
const adminKey = (out: string) => /^\s+(tock_[0-9A-Za-z]{40})$/m.exec(out)?.[1] ?? null;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tock-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('starting on the embedded database', () => {
  it('serves health, prints one admin key on the first start only, and keeps data across restarts', async () => {
    const first = startTs('server/main.ts', [], env());
    let port: number;
    let scheduleId = '';
    let key: string | null = null;
    try {
      port = await listeningPort(first);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', mode: 'embedded' });
      expect(first.stdout()).toContain('"msg":"embedded database (PGlite): single node only');
      key = adminKey(first.stdout());
      expect(key).not.toBeNull();
      const client = createClient({ url: `http://127.0.0.1:${port}`, apiKey: key! });
      scheduleId = (await client.schedules.create({ name: 'kept', url: 'https://example.com/hook', cron: '0 3 * * *' })).id;
      const grpcPort = await first.waitFor((l) => (typeof l === 'object' && l.msg === 'gRPC server listening' ? Number(l.port) : undefined));
      expect(grpcPort).toBeGreaterThan(0);

      // The CLI reaches the embedded database through the running server.
      const created = await run(process.execPath, ['bin/tock.js', 'keys', 'create', '--scopes', 'read:jobs'], env());
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^tock_[0-9A-Za-z]{40}\n$/);
      expect(created.stderr).toContain('with scopes read:jobs');
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }

    const second = startTs('server/main.ts', [], env());
    try {
      port = await listeningPort(second);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(adminKey(second.stdout())).toBeNull();
      const client = createClient({ url: `http://127.0.0.1:${port}`, apiKey: key! });
      expect(await client.schedules.get(scheduleId)).toMatchObject({ id: scheduleId, name: 'kept', cron: '0 3 * * *' });
      expect(second.stdout()).not.toContain('migrations applied');
    } finally {
      await second.stop('SIGTERM');
    }

    // With the server stopped the CLI opens the embedded database itself; both earlier keys are there.
    const third = await run(process.execPath, ['bin/tock.js', 'keys', 'create'], env());
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/^tock_/);
  }, 120_000);

  it('refuses a bad setting with one line naming it', async () => {
    const bad = await run(process.execPath, ['--import', 'tsx', 'server/main.ts'], { ...env(), PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("tock: Invalid PORT='eighty': expected a port number");
  });
});
