import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/logger.js';
import { buildHttpApp } from '../../../server/surfaces/http/app.js';
import { restPlugin } from '../../../server/surfaces/rest/index.js';
import { trpcPlugin } from '../../../server/surfaces/trpc/index.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';

/** `/` and `/_dashboard/*` serve the built dashboard beside every other route of the port, and say how to build it when it is missing. */
let t: TestCore;
let built: string;
let empty: string;
let withBuild: FastifyInstance;
let withoutBuild: FastifyInstance;

async function app(dashboardDir: string): Promise<FastifyInstance> {
  const logger = createLogger('silent');
  return buildHttpApp({
    core: t.core,
    db: t.database.db,
    logger,
    mode: 'postgres',
    dashboardDir,
    mount: async (a) => {
      await a.register(trpcPlugin, { prefix: '/trpc', core: t.core, logger });
      await a.register(restPlugin, {
        core: t.core,
        logger,
        limits: { ratePerKey: 1000, bodyLimit: 1 << 20, rateLimitKeys: 1000, pingRatePerToken: 1000, pingRatePerIp: 1000, signupRatePerIp: 1000 },
        openSignup: false,
        databaseReachable: () => t.database.db.isReachable(),
      });
    },
  });
}

beforeAll(async () => {
  t = await createTestCore();
  built = await mkdtemp(join(tmpdir(), 'tock-dash-'));
  empty = await mkdtemp(join(tmpdir(), 'tock-dash-empty-'));
  await mkdir(join(built, '_dashboard'));
  await writeFile(join(built, 'index.html'), '<!doctype html><title>Tock</title><script type="module" src="/_dashboard/index-abc.js"></script>');
  await writeFile(join(built, '_dashboard', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(built, 'secret.txt'), 'not an asset');
  withBuild = await app(built);
  withoutBuild = await app(empty);
});

afterAll(async () => {
  await withBuild?.close();
  await withoutBuild?.close();
  await t?.close();
  await rm(built, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

describe('serving the dashboard', () => {
  it('serves the page at / and its bundles under /_dashboard/ with their types', async () => {
    const page = await withBuild.inject('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('/_dashboard/index-abc.js');
    const js = await withBuild.inject('/_dashboard/index-abc.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await withBuild.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
  });

  it('answers 404 for files that are not bundles, and never leaves the build directory', async () => {
    for (const url of ['/_dashboard/missing.js', '/_dashboard/..%2Fsecret.txt', '/_dashboard/%2e%2e%2fsecret.txt', '/_dashboard/index-abc.exe', '/secret.txt']) {
      const res = await withBuild.inject(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('not an asset');
    }
  });

  it('says how to build it when the build is missing, while the API keeps working', async () => {
    const res = await withoutBuild.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toContain('npm run build:dashboard');
    expect((await withoutBuild.inject('/healthz')).statusCode).toBe(200);
  });

  it('leaves the other routes of the port as they were', async () => {
    expect((await withBuild.inject('/healthz')).statusCode).toBe(200);
    expect((await withBuild.inject('/openapi.json')).statusCode).toBe(200);
    const trpc = await withBuild.inject('/trpc/schedules.list');
    expect(trpc.statusCode).toBe(401);
    expect(trpc.headers['content-type']).toContain('application/json');
    expect((await withBuild.inject('/ping/not-a-token')).statusCode).toBe(404);
    expect((await withBuild.inject('/v1/jobs')).statusCode).toBe(401);
    const post = await withBuild.inject({ method: 'POST', url: '/' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});
