import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution, Monitor } from '../../../client/src/index.js';
import { eventually } from '../../helpers/outage.js';
import { startTs, type Started } from '../../helpers/process.js';
import { jsonOf, rowsOf, runCli } from './harness.js';

/**
 * The README's "From zero" walkthrough, step by step, as a new user runs it: `npm start` (the
 * server on the embedded database in a fresh data directory), then the `tock` command only.
 * The dashboard and /metrics steps are not part of it.
 */

let dir: string;
let server: Started;
let port: number;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tock-walkthrough-'));
  const serverEnv = {
    DATA_DIR: join(dir, 'data'),
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: '',
    TOCK_ALLOW_TARGETS: '127.0.0.1/32,localhost',
  };
  // What `npm start` runs.
  server = startTs('server/main.ts', [], serverEnv);
  port = await server.waitFor((l) => (typeof l === 'object' && l.msg === 'HTTP listening (REST, tRPC, health)' ? Number(l.port) : undefined), 120_000);
  env = { DATA_DIR: serverEnv.DATA_DIR, TOCK_URL: `http://127.0.0.1:${port}` };
}, 150_000);

afterAll(async () => {
  expect(await server?.stop('SIGTERM')).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('the README walkthrough', () => {
  it('goes from npm start to a schedule and a monitor defined in a file, synced after a dry run, firing', async () => {
    // export TOCK_API_KEY=$(npx tock keys create)
    const created = await runCli(['keys', 'create'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^tock_[0-9A-Za-z]{40}$/);
    env.TOCK_API_KEY = key;

    const file = join(dir, 'tock.yaml');
    await writeFile(
      file,
      `schedules:
  - key: hello
    url: http://127.0.0.1:${port}/healthz
    method: GET
    cron: "* * * * *"
monitors:
  - key: heartbeat
    periodSeconds: 300
    graceSeconds: 60
`,
    );

    const plan = await runCli(['sync', file, '--dry-run'], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('schedules: 1 to create, 0 to update, 0 to delete, 0 unchanged');
    expect(plan.stdout).toContain('  + hello');
    expect(plan.stdout).toContain('  + heartbeat');
    expect(plan.stdout).toContain('dry run: nothing was changed');
    expect((await runCli(['schedules', 'list', '--json'], env)).stdout.trim()).toBe('[]');

    const applied = await runCli(['sync', file], env);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain('schedules: 1 created, 0 updated, 0 deleted, 0 unchanged');
    expect(applied.stdout).toContain('monitors: 1 created, 0 updated, 0 deleted, 0 unchanged');

    const list = await runCli(['schedules', 'list'], env);
    expect(rowsOf(list.stdout)[1].slice(1, 5)).toEqual(['hello', 'hello', '* * * * * (UTC)', 'active']);

    // Fires at the next minute; `trigger` runs it now.
    expect((await runCli(['schedules', 'trigger', 'hello'], env)).code).toBe(0);
    await eventually(
      'the schedule has fired and its call succeeded',
      async () => {
        const runs = jsonOf<Execution[]>(await runCli(['executions', 'hello', '--json'], env));
        return runs.some((e) => e.status === 'succeeded' && e.statusCode === 200);
      },
      60_000,
    );
    const table = await runCli(['executions', 'hello'], env);
    expect(rowsOf(table.stdout)[0]).toEqual(['ID', 'JOB', 'ATTEMPT', 'STATUS', 'HTTP', 'DURATION', 'STARTED', 'ERROR']);

    // The monitor's ping URL, pinged as a job would with curl.
    const monitor = jsonOf<Monitor>(await runCli(['monitors', 'get', 'heartbeat', '--json'], env));
    expect((await fetch(monitor.pingUrl.replace(/^http:\/\/localhost:\d+/, `http://127.0.0.1:${port}`))).status).toBe(200);
    await eventually('the monitor is up', async () => jsonOf<Monitor>(await runCli(['monitors', 'get', 'heartbeat', '--json'], env)).status === 'up');
  }, 180_000);
});
