import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCurl } from './curl.js';
import { call, startPrikke, type PrikkeServer } from './harness.js';

/**
 * docs/rest-prikke.md's walk-through, run as a reader would: every ```sh block in order, with
 * $TOCK_URL and $TOCK_KEY set, each answered 2xx. A block `NAME=$(curl ... | jq -r .path)`
 * keeps that field of the answer as $NAME for the blocks after it.
 */

let s: PrikkeServer;

beforeAll(async () => {
  s = await startPrikke();
});
afterAll(() => s?.close());

const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=\$\(([\s\S]*)\|\s*jq -r '?\.([\w.]+)'?\)$/;

function pick(value: unknown, path: string): string {
  const found = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
  if (typeof found !== 'string') throw new Error(`no string at .${path} in ${JSON.stringify(value)}`);
  return found;
}

describe('docs/rest-prikke.md', () => {
  it('runs its walk-through: every sh block answers 2xx', async () => {
    const doc = await readFile(new URL('../../../../docs/rest-prikke.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const tenant = await s.tenant('docs');
    const vars: Record<string, string> = { TOCK_URL: s.url, TOCK_KEY: tenant.secret };
    for (const block of blocks) {
      const assignment = ASSIGNMENT.exec(block);
      const res = await runCurl(assignment ? assignment[2] : block, vars);
      // The block is part of the compared value, so a failure shows which command it was and what it answered.
      expect({ block, answer: res.status >= 200 && res.status < 300 ? '2xx' : `${res.status} ${res.text}` }).toEqual({ block, answer: '2xx' });
      if (assignment) vars[assignment[1]] = pick(res.body, assignment[3]);
    }
    // What the walk-through left: the sync's other job, the one-time job, the notifications.
    const jobs = await call(s.url, 'GET', '/jobs', { key: tenant.secret });
    expect(jobs.body.jobs.map((j: { key: string }) => j.key)).toEqual(['hourly-sync', 'remind-123']);
    expect((await call(s.url, 'GET', '/project', { key: tenant.secret })).body.notifications).toEqual({
      email: 'alerts@myapp.com',
      webhook_url: 'https://hooks.slack.com/services/xxx/yyy/zzz',
    });
  });

  it('is described in /openapi.json, every route under the prikke tag', async () => {
    const res = await call(s.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, { tags?: string[] }>>;
    const routes = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.tags?.includes('prikke'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'PUT /sync',
        'POST /jobs',
        'GET /jobs',
        'GET /jobs/key/{key}',
        'GET /jobs/{id}',
        'PATCH /jobs/{id}',
        'DELETE /jobs/{id}',
        'GET /jobs/{id}/executions',
        'GET /project',
        'PUT /project',
      ].sort(),
    );
    expect(paths['/jobs'].post).toMatchObject({ requestBody: { content: { 'application/json': { schema: { properties: { run_at: expect.any(Object) } } } } } });
  });
});
