import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore, type TestTenant } from '../../helpers/core.js';
import { startTrpcServer, type TrpcServer } from '../trpc/harness.js';

/**
 * The published shape of @tock/client: `npm run build` emits dist/, whose declarations a separate
 * TypeScript project can use by path with full types (no `any`, no server or tRPC types), and
 * whose README examples compile against it; the one marked "runs" runs against a live server.
 * The `@tock/client/grpc` entry is built alongside, and the main entry never reaches it.
 */

const exec = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = join(root, 'client/dist');
const distIndex = join(dist, 'index.js');
const distGrpc = join(dist, 'grpc.js');

let consumer: string;
/** tsc's diagnostics for the consumer project ('' when clean). */
let consumerDiagnostics: string;
let examples: { code: string; runs: boolean }[];
let t: TestCore;
let a: TestTenant;
let srv: TrpcServer;

beforeAll(async () => {
  await exec('npm', ['run', 'build', '-w', '@tock/client'], { cwd: root });
  consumer = await mkdtemp(join(tmpdir(), 'tock-client-consumer-'));
  examples = await readmeExamples();
  consumerDiagnostics = await compileConsumer(consumer, examples);
  t = await createTestCore();
  a = await t.tenant('readme');
  srv = await startTrpcServer(t);
}, 60_000);
afterAll(async () => {
  await srv?.close();
  await t?.close();
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

/** The ```ts blocks of the README, with whether they are marked `<!-- example: runs -->`. */
async function readmeExamples(): Promise<{ code: string; runs: boolean }[]> {
  const readme = await readFile(join(root, 'client/README.md'), 'utf8');
  return [...readme.matchAll(/(<!-- example: runs -->\s*)?```ts\n([\s\S]*?)```/g)].map((m) => ({ runs: Boolean(m[1]), code: m[2] }));
}

/** A consumer file's own check that the public API is fully typed. */
const typeChecks = `
import { createClient, verifyWebhook, ping, ValidationError, type Schedule, type Monitor, type Page, type TockClient } from '${distIndex}';
type IsAny<T> = 0 extends 1 & T ? true : false;
type Methods<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? [A, R] : never }[keyof T];
type AnyIn<T> = true extends IsAny<T> ? true : T extends [infer A, infer R] ? (true extends IsAny<A[keyof A & number]> ? true : IsAny<Awaited<R>>) : false;
/** 'ok' only when no method of T takes or returns \`any\` (AnyIn distributes, so check for any \`true\`). */
type NoAny<T> = true extends AnyIn<Methods<T>> ? 'has any' : 'ok';
const noAnyInSchedules: NoAny<TockClient['schedules']> = 'ok';
const noAnyInJobs: NoAny<TockClient['jobs']> = 'ok';
const noAnyInMonitors: NoAny<TockClient['monitors']> = 'ok';
const noAnyInProjects: NoAny<TockClient['projects']> = 'ok';
const noAnyInSync: NoAny<TockClient['sync']> = 'ok';
// The check itself bites: a method returning any is caught.
const caught: NoAny<{ leak(): Promise<any> }> = 'has any';
const client: TockClient = createClient({ url: 'http://localhost:8080', apiKey: 'tock_x' });
export async function typed(): Promise<Date | null> {
  const s: Schedule = await client.schedules.get('sched_x');
  const page: Page<Monitor> = await client.monitors.list();
  const err = new ValidationError('x', { code: 'invalid_argument', status: 400, field: 'cron' });
  const field: string | null = err.field;
  const payload: unknown = verifyWebhook('whsec_x', {}, '');
  const pinged: Promise<void> = ping('http://localhost/ping/x');
  // @ts-expect-error a Date field is a Date, not a string
  const wrong: string = s.createdAt;
  void [noAnyInSchedules, noAnyInJobs, noAnyInMonitors, noAnyInProjects, caught, field, payload, pinged, page, wrong];
  return s.nextRunAt;
}
`;

/** A consumer file's check that the gRPC entry is typed: generated clients, messages, and the error reader. */
const grpcTypeChecks = `
import { createGrpcClients, Schedule, tockGrpcError, type TockGrpcClients, type TockGrpcError, type ScheduleServiceClient } from '${distGrpc}';
const clients: TockGrpcClients = createGrpcClients({ address: 'localhost:50051', apiKey: 'tock_x', project: 'proj_x' });
const schedules: ScheduleServiceClient = clients.schedules;
export function typed(): void {
  schedules.getSchedule({ id: 'sched_x' }, (err, s) => {
    const info: TockGrpcError | null = tockGrpcError(err);
    const next: Date | undefined = s.nextRunAt;
    const name: string = s.name;
    // @ts-expect-error an optional proto field is number | undefined
    const retries: number = s.maxRetries;
    void [info, next, name, retries];
  });
  const msg: Schedule = Schedule.fromPartial({ url: 'https://example.com', cron: '0 * * * *' });
  void msg;
  clients.close();
}
`;

/** Relative JS imports reachable from `entry` (dist files), and every bare package they import. */
async function importGraph(entry: string): Promise<{ files: string[]; packages: Set<string> }> {
  const files: string[] = [];
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    // Comments (JSDoc examples) are not imports.
    const code = (await readFile(file, 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

/**
 * Writes a separate strict TypeScript project (its own package.json and tsconfig, Node types
 * only) that imports dist by absolute path: a type-check file plus each README example, and
 * compiles it to out/. Returns tsc's diagnostics.
 */
async function compileConsumer(dir: string, readme: { code: string }[]): Promise<string> {
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        typeRoots: [join(root, 'node_modules/@types')],
        types: ['node'],
        outDir: 'out',
      },
      include: ['*.ts'],
    }),
  );
  await writeFile(join(dir, 'types-check.ts'), typeChecks);
  await writeFile(join(dir, 'grpc-check.ts'), grpcTypeChecks);
  for (const [i, ex] of readme.entries()) {
    const code = ex.code.replaceAll("from '@tock/client/grpc'", `from '${distGrpc}'`).replaceAll("from '@tock/client'", `from '${distIndex}'`);
    await writeFile(join(dir, `readme-${i}.ts`), `${code}\nexport {};\n`);
  }
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  return exec(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(
    () => '',
    (err: { stdout?: string }) => err.stdout ?? String(err),
  );
}

describe('the built @tock/client package', () => {
  it('emits JavaScript whose entry point exports the client, helpers and errors', async () => {
    const mod = (await import(pathToFileURL(distIndex).href)) as Record<string, unknown>;
    for (const name of ['createClient', 'ping', 'verifyWebhook', 'TockError', 'NotFoundError', 'ValidationError', 'WebhookVerificationError']) {
      expect(typeof mod[name], name).toBe('function');
    }
  });

  it('emits declarations without any, and without server, tRPC or Node types', async () => {
    const files = (await readdir(dist)).filter((f) => f.endsWith('.d.ts') && f !== 'grpc.d.ts');
    expect(files).toContain('index.d.ts');
    for (const f of files) {
      const code = (await readFile(join(dist, f), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code, f).not.toMatch(/\bany\b/);
      expect(code, f).not.toMatch(/@trpc|server\/|node:|\bBuffer\b/);
    }
  });

  it('keeps the main entry free of gRPC: nothing reachable from index.js imports grpc-js, protobuf or the generated code', async () => {
    const { files, packages } = await importGraph(distIndex);
    expect(files.some((f) => f.includes(`${join(dist, 'gen')}`) || f === distGrpc)).toBe(false);
    expect([...packages].filter((p) => /grpc|protobuf/.test(p))).toEqual([]);
  });

  it('emits the @tock/client/grpc entry: exports resolve to built files with the factory, messages and clients', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'client/package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import: string }>;
      dependencies: Record<string, string>;
    };
    expect(resolve(root, 'client', pkg.exports['./grpc'].import)).toBe(distGrpc);
    await expect(readFile(resolve(root, 'client', pkg.exports['./grpc'].types), 'utf8')).resolves.toContain('createGrpcClients');
    const mod = (await import(pathToFileURL(distGrpc).href)) as Record<string, unknown>;
    for (const name of ['createGrpcClients', 'tockGrpcError', 'tockAuthInterceptor', 'ScheduleServiceClient', 'JobServiceClient', 'MonitorServiceClient', 'ProjectServiceClient']) {
      expect(typeof mod[name], name).toBe('function');
    }
    expect(typeof (mod.Schedule as { fromPartial?: unknown }).fromPartial).toBe('function');
    // Everything it imports is the package's own code or a declared dependency.
    const { files, packages } = await importGraph(distGrpc);
    expect(files.every((f) => f.startsWith(dist))).toBe(true);
    for (const p of packages) expect(Object.keys(pkg.dependencies), p).toContain(p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0]);
  });

  it('type-checks a separate strict project, and every README example, against dist by path', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(consumerDiagnostics).toBe('');
  });

  it('runs the README quick start against a live server', async () => {
    const runnable = examples.flatMap((ex, i) => (ex.runs ? [i] : []));
    expect(runnable.length).toBeGreaterThan(0);
    for (const i of runnable) {
      const { stdout } = await exec(process.execPath, [join(consumer, 'out', `readme-${i}.js`)], {
        env: { ...process.env, TOCK_URL: srv.url, TOCK_API_KEY: a.secret },
      });
      expect(stdout).toContain('morning report');
      expect(stdout).toContain("cron Invalid cron expression: '* * * *'");
    }
    const names: string[] = [];
    for await (const s of srv.client(a.secret).schedules.iterate()) names.push(s.name);
    expect(names).toEqual(['morning report']);
  });
});
