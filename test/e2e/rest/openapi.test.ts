import { Validator } from '@seriousme/openapi-schema-validator';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTock, type RunningTock } from '../../../server/app.js';
import { parseConfig } from '../../../server/config.js';
import { createLogger } from '../../../server/logger.js';
import { startHttpServer, type RunningHttpServer } from '../../../server/surfaces/http/server.js';
import { DIALECTS, restPlugin } from '../../../server/surfaces/rest/index.js';
import { createTestCore, type TestCore } from '../../helpers/core.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { validOf, type JsonSchema, type SchemaValues } from '../../helpers/json-arbitrary.js';
import { probeDialect } from '../../helpers/probe-dialect.js';
import { documentedRoutes, encodeBytes, type FuzzOperation } from '../../helpers/rest-fuzz.js';

/**
 * /openapi.json (issue 10, section 5): a valid OpenAPI 3.1 document of every registered dialect,
 * generated from the zod schemas the routes validate with, so what it says a body must be is
 * what the route refuses: a body valid for the document's schema less one required property, with
 * an unknown property where the schema allows none, or with a property of the wrong type, is
 * answered 400 naming that property. Generic over DIALECTS: on a server with none it checks the
 * document's frame; the second half runs the same checks on a small dialect of the tests' own.
 */

interface OpenApiDocument {
  openapi: string;
  info: { title?: string; version?: string };
  paths: Record<string, Record<string, { tags?: string[]; responses?: object; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
  tags?: Array<{ name: string }>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const OPERATION_KEYS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

async function fetchDocument(baseUrl: string): Promise<OpenApiDocument> {
  const res = await request(`${baseUrl}/openapi.json`);
  expect(res.statusCode).toBe(200);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  return (await res.body.json()) as OpenApiDocument;
}

/** The frame every document must have, whatever dialects it describes. Returns the operations it saw. */
async function checkDocument(doc: OpenApiDocument, dialectNames: string[]): Promise<number> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as never);
  expect(result.errors).toBeUndefined();
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  expect((doc.tags ?? []).map((t) => t.name).sort()).toEqual([...dialectNames].sort());
  let operations = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    const ops = Object.entries(item).filter(([k]) => OPERATION_KEYS.has(k));
    expect(ops.length, path).toBeGreaterThan(0);
    for (const [method, op] of ops) {
      operations++;
      const where = `${method.toUpperCase()} ${path}`;
      // One dialect per operation: its tag is the dialect's name.
      expect(op.tags, where).toHaveLength(1);
      expect(dialectNames, where).toContain(op.tags![0]);
      expect(op.responses, where).toBeTypeOf('object');
      if (op.requestBody) {
        const schema = op.requestBody.content?.['application/json']?.schema;
        expect(schema, `${where}: a JSON request body schema`).toBeTypeOf('object');
        // A typed schema, or a choice of typed ones (a body that takes one of several shapes).
        const typed = (x: unknown) => typeof x === 'object' && x !== null && 'type' in x;
        const choice = (schema as { anyOf?: unknown[]; oneOf?: unknown[] }).anyOf ?? (schema as { oneOf?: unknown[] }).oneOf;
        expect(typed(schema) || (Array.isArray(choice) && choice.length > 0 && choice.every(typed)), where).toBe(true);
      }
    }
  }
  return operations;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

interface Refusal {
  where: string;
  status: number;
  body: string;
  field: string;
}

/** The path of `path` (OpenAPI's `{id}` form) with each parameter valid for its schema. */
function fill(path: string, op: FuzzOperation, values: SchemaValues, seed: number): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const param = op.params.find((p) => p.name === name);
    const v = param ? fc.sample(validOf(param.schema, values, name), { seed, numRuns: 1 })[0] : 'x';
    return encodeBytes(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

/**
 * For every operation with a JSON body: a body valid for the document's schema, then with one
 * required property left out, one unknown property added (when the schema allows none) and one
 * property of the wrong type. Returns each answer to check.
 */
async function refusals(baseUrl: string, doc: OpenApiDocument, key: string, seed: number): Promise<Refusal[]> {
  const values: SchemaValues = {
    ids: [],
    resolve: (ref) => (ref.startsWith('#/components/schemas/') ? doc.components?.schemas?.[ref.slice(21)] : undefined),
  };
  const out: Refusal[] = [];
  for (const [fastifyPath, ops] of documentedRoutes(doc as never)) {
    const openapiPath = fastifyPath.replace(/:([^/]+)/g, '{$1}');
    for (const op of ops) {
      const schema = op.body as Record<string, unknown> | null;
      if (!schema || schema.type !== 'object' || !schema.properties) continue;
      const props = schema.properties as Record<string, Record<string, unknown>>;
      const valid = fc.sample(validOf(schema, values), { seed, numRuns: 1 })[0] as Record<string, unknown>;
      const query = op.query
        .filter((q) => q.required)
        .map((q) => `${q.name}=${encodeBytes(String(fc.sample(validOf(q.schema, values, q.name), { seed, numRuns: 1 })[0]))}`)
        .join('&');
      const url = `${baseUrl}${fill(openapiPath, op, values, seed)}${query ? `?${query}` : ''}`;
      const send = async (what: string, field: string, body: Record<string, unknown>) => {
        const res = await request(url, {
          method: op.method as 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        out.push({ where: `${op.method} ${openapiPath} ${what}`, status: res.statusCode, body: await res.body.text(), field });
      };
      for (const name of (schema.required as string[] | undefined) ?? []) {
        const { [name]: _left, ...rest } = valid;
        await send(`without required '${name}'`, name, rest);
      }
      if (schema.additionalProperties === false) await send("with unknown 'tock_unknown_field'", 'tock_unknown_field', { ...valid, tock_unknown_field: 1 });
      const typed = Object.entries(props).find(([, p]) => ['string', 'integer', 'number', 'boolean', 'array', 'object'].includes(p.type as string));
      if (typed) {
        const [name, p] = typed;
        await send(`with '${name}' of the wrong type`, name, { ...valid, [name]: p.type === 'string' ? 12_345 : 'not-a-' + String(p.type) });
      }
    }
  }
  return out;
}

function expectRefused(rs: Refusal[]): void {
  for (const r of rs) {
    expect(r.status, `${r.where}: ${r.body.slice(0, 300)}`).toBe(400);
    const text = r.body.toLowerCase();
    expect(text.includes(r.field.toLowerCase()) || text.includes(snake(r.field)), `${r.where} names the field: ${r.body.slice(0, 300)}`).toBe(true);
  }
}

const SEED = 20_261_205;

describe('/openapi.json of a whole server', () => {
  let db: TestDatabase;
  let tock: RunningTock;
  let baseUrl = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    // Sign-up open, so the documented account-creation body is checked rather than refused up front.
    const config = parseConfig({ DATABASE_URL: db.url, PORT: '0', GRPC_PORT: '0', HOST: '127.0.0.1', TOCK_SCHEDULER: 'false', TOCK_OPEN_SIGNUP: 'true' });
    tock = await startTock(config, { logger: createLogger('silent') });
    baseUrl = `http://127.0.0.1:${tock.http.port}`;
  });
  afterAll(async () => {
    await tock?.stop();
    await db?.close();
  });

  it('is a valid OpenAPI 3.1 document whose operations each belong to one registered dialect', async () => {
    const doc = await fetchDocument(baseUrl);
    const operations = await checkDocument(doc, DIALECTS.map((d) => d.name));
    // Tock's own endpoints (health, pings, sign-up, tRPC, the document itself) are not in it.
    for (const own of ['/healthz', '/signup', '/openapi.json', '/trpc/{path}', '/ping/{token}']) expect(doc.paths).not.toHaveProperty(own);
    expect(operations > 0 || DIALECTS.length === 0).toBe(true);
  });

  it('describes each body as its route validates it: what the schema requires, forbids or types is refused with 400 naming the field', async () => {
    const doc = await fetchDocument(baseUrl);
    expectRefused(await refusals(baseUrl, doc, tock.bootstrapSecret!, SEED));
  });
});

describe('/openapi.json with a dialect of the tests’ own', () => {
  let t: TestCore;
  let http: RunningHttpServer;
  let baseUrl = '';
  let key = '';

  beforeAll(async () => {
    t = await createTestCore();
    key = (await t.tenant('openapi')).secret;
    const logger = createLogger('silent');
    http = await startHttpServer({
      core: t.core,
      db: t.database.db,
      logger,
      mode: 'postgres',
      port: 0,
      host: '127.0.0.1',
      mount: (app) => app.register(restPlugin, { core: t.core, logger, dialects: [probeDialect] }),
    });
    baseUrl = `http://127.0.0.1:${http.port}`;
  });
  afterAll(async () => {
    await http?.close();
    await t?.close();
  });

  it("is a valid OpenAPI 3.1 document with the dialect's every operation, body and query schema", async () => {
    const doc = await fetchDocument(baseUrl);
    expect(await checkDocument(doc, [probeDialect.name])).toBe(5);
    const create = doc.paths['/fuzzprobe/schedules'].post.requestBody!.content!['application/json'].schema as Record<string, unknown>;
    expect(create).toMatchObject({
      type: 'object',
      required: ['url', 'every_seconds'],
      additionalProperties: false,
      properties: { every_seconds: { type: 'integer', minimum: 60, maximum: 86_400 }, http_method: { enum: ['GET', 'POST', 'PUT', 'DELETE'] } },
    });
    const list = documentedRoutes(doc as never).get('/fuzzprobe/schedules')!.find((o) => o.method === 'GET')!;
    expect(list.query.map((q) => q.name).sort()).toEqual(['cursor', 'limit']);
    expect(documentedRoutes(doc as never).get('/fuzzprobe/schedules/:id')!.map((o) => o.params.map((p) => p.name))).toEqual([['id'], ['id'], ['id']]);
  });

  it('describes each body as its route validates it: what the schema requires, forbids or types is refused with 400 naming the field', async () => {
    const doc = await fetchDocument(baseUrl);
    const rs = await refusals(baseUrl, doc, key, SEED);
    // POST: two required, one unknown, one wrong type; PATCH (all optional): one unknown, one wrong type.
    expect(rs.map((r) => r.where).sort()).toEqual([
      "PATCH /fuzzprobe/schedules/{id} with 'url' of the wrong type",
      "PATCH /fuzzprobe/schedules/{id} with unknown 'tock_unknown_field'",
      "POST /fuzzprobe/schedules with 'url' of the wrong type",
      "POST /fuzzprobe/schedules with unknown 'tock_unknown_field'",
      "POST /fuzzprobe/schedules without required 'every_seconds'",
      "POST /fuzzprobe/schedules without required 'url'",
    ]);
    expectRefused(rs);
  });
});
