import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { garbage, jsonText, mutate, mutation, nearValidOf, PROTOTYPE_NAMES, text, unknownKey, validOf, type JsonSchema, type SchemaValues } from './json-arbitrary.js';

/**
 * The REST fuzz driver: sends generated requests to every route a running Tock HTTP port serves
 * and checks that none is answered 5xx and every error is a JSON body. Routes come from the
 * port's router (`printRoutes`: health, pings, sign-up, tRPC, /openapi.json) joined with
 * /openapi.json, which adds each documented operation's body, query and path schemas: bodies are
 * mostly valid for the schema with a few fields mutated, so requests reach past the schema check
 * into the dialect's codec and the core. Paths fill each route's parameters with ids that exist,
 * ids of another kind, very long, percent-encoded and undecodable segments, or leave the route
 * under its prefix; headers carry a valid, an invalid, no or duplicated key, bad content types
 * and very long values. Generic over whatever routes the port has: a dialect registered later is
 * fuzzed with no change here.
 */

export interface FuzzParam {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface FuzzOperation {
  method: string;
  /** The JSON request body's schema, when the operation documents one. */
  body: JsonSchema | null;
  query: FuzzParam[];
  params: FuzzParam[];
}

export interface FuzzRoute {
  /** Fastify's spelling: `/v1/jobs/:id`. */
  path: string;
  /** Methods the router serves on the path (the refused ones answer 405; both count). */
  methods: string[];
  /** What /openapi.json documents for the path, per method. */
  operations: FuzzOperation[];
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Methods a route is also sent: ones few servers route, and ones the fetch API refuses to carry. */
const ODD_METHODS = ['TRACE', 'QUERY', 'PROPFIND', 'SEARCH', 'PURGE'];

/** `{id}` -> `:id` (OpenAPI's path template to Fastify's). */
const fastifyPath = (p: string) => p.replace(/\{([^}]+)\}/g, ':$1');

/** The documented operations of /openapi.json, by Fastify path. */
export function documentedRoutes(doc: OpenApiDocument): Map<string, FuzzOperation[]> {
  const out = new Map<string, FuzzOperation[]>();
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    const shared = (item.parameters as Array<Record<string, unknown>> | undefined) ?? [];
    const ops: FuzzOperation[] = [];
    for (const method of HTTP_METHODS) {
      const op = item[method.toLowerCase()] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as Array<Record<string, unknown>> | undefined) ?? [])].map((x) => ({
        in: x.in as string,
        name: String(x.name),
        required: x.required === true,
        schema: (x.schema as JsonSchema) ?? true,
      }));
      const content = ((op.requestBody as { content?: Record<string, { schema?: JsonSchema }> } | undefined)?.content ?? {}) as Record<string, { schema?: JsonSchema }>;
      const body = content['application/json']?.schema ?? Object.values(content)[0]?.schema ?? null;
      ops.push({
        method,
        body,
        query: params.filter((x) => x.in === 'query'),
        params: params.filter((x) => x.in === 'path'),
      });
    }
    out.set(fastifyPath(p), ops);
  }
  return out;
}

/**
 * The routes of `app` with their methods, read from `printRoutes` (Fastify has no route list;
 * its tree prints each node's path relative to its parent, four columns a level).
 */
export function routerRoutes(app: FastifyInstance): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ├└─]*?)(?:├── |└── )(\S+) \(([A-Z, ]+)\)$/u.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2];
    stack.push(full);
    // A wildcard at the root prints without its prefix; /openapi.json names such routes fully.
    if (!full.startsWith('/')) continue;
    out.set(full, m[3].split(',').map((s) => s.trim()));
  }
  return out;
}

/** Every route of the port: the router's, with what /openapi.json documents about each. */
export function fuzzRoutes(app: FastifyInstance, doc: OpenApiDocument): FuzzRoute[] {
  const documented = documentedRoutes(doc);
  const router = routerRoutes(app);
  const paths = [...new Set([...router.keys(), ...documented.keys()])].sort();
  return paths.map((path) => {
    const operations = documented.get(path) ?? [];
    const methods = [...new Set([...(router.get(path) ?? []), ...operations.map((o) => o.method)])];
    return { path, methods, operations };
  });
}

// ---- Requests ----

export interface FuzzRequest {
  method: string;
  /** Path and query, percent-encoded as sent. */
  path: string;
  /** Header pairs in order; a name may repeat. */
  headers: Array<[string, string]>;
  body: string | Buffer | null;
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

export function describeRequest(r: FuzzRequest): string {
  const body = r.body === null ? 'none' : `${Buffer.byteLength(r.body)} bytes: ${cut(JSON.stringify(typeof r.body === 'string' ? r.body : r.body.toString('latin1')), 400)}`;
  const headers = r.headers.map(([k, v]) => `${cut(k, 60)}: ${cut(v, 120)}`).join(' | ');
  return `${r.method} ${cut(r.path, 300)}\n  headers: ${headers || 'none'}\n  body: ${body}`;
}

/** Percent-encodes every byte of the UTF-8 of `s` but RFC 3986's unreserved characters (a lone surrogate is U+FFFD's bytes). */
export function encodeBytes(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Path segments as sent, already encoded: some do not decode, some are router edge cases. */
const RAW_SEGMENTS = ['%', '%zz', '%00', '%2F', '%2e%2e', '..', '.', '%c0%af', '%ff%fe', '%uD800', '%25', ';', ';a=b', '*', ':id', '@', '!', "'", '$', '+', 'x'.repeat(101), 'x'.repeat(5_000)];

/** The scalar text of a value put in a URL (a query value, a path segment). */
const asText = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? jsonText(v) : String(v));

/** Ids of the wrong kind made from a real one: another prefix, a UUID, changed case, cut short, one character more. */
function wrongIdsOf(id: string): string[] {
  const [prefix, rest] = id.includes('_') ? [id.slice(0, id.indexOf('_')), id.slice(id.indexOf('_') + 1)] : ['', id];
  const out = ['sched', 'job', 'mon', 'proj', 'key', 'exec', 'acct'].filter((p) => p !== prefix).map((p) => `${p}_${rest}`);
  return [...out, id.toUpperCase(), id.slice(0, -1), `${id}0`, rest];
}
const NO_IDS = ['00000000-0000-7000-8000-000000000000', 'sched_00000000000000000000000000', '0', '-1', '1e9'];

/**
 * Ids that exist: the caller's, and those the server returned since (`learnIds`), so a route
 * fuzzed later names objects a dialect made in its own id format. Read when a case is made.
 */
interface IdPool {
  ids: string[];
}
const POOL_MAX = 300;
const ID_KEY = /^(id|key|token|uuid)$|_(id|key|token)$|[a-z](Id|Key|Token)$/;

/** Adds the id-like strings of a JSON answer (fields named id, *_id, key, token, ...) to the pool. */
function learnIds(pool: IdPool, body: unknown, depth = 0): void {
  if (depth > 4 || !body || typeof body !== 'object' || pool.ids.length >= POOL_MAX) return;
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string' && v.length > 0 && v.length <= 100 && ID_KEY.test(k) && !pool.ids.includes(v)) pool.ids.push(v);
    else if (v && typeof v === 'object') learnIds(pool, v, depth + 1);
  }
}

interface Hints {
  pool: IdPool;
  words: readonly string[];
  keys: readonly string[];
  values: SchemaValues;
}

const idOf = (h: Hints) => fc.nat().map((i) => (h.pool.ids.length ? h.pool.ids[i % h.pool.ids.length] : NO_IDS[i % NO_IDS.length]));
const wrongIdOf = (h: Hints) =>
  fc.tuple(idOf(h), fc.nat()).map(([id, j]) => {
    const all = [...wrongIdsOf(id), ...NO_IDS];
    return all[j % all.length];
  });

function segmentOf(h: Hints, param: FuzzParam | undefined): fc.Arbitrary<string> {
  const options: Array<{ weight: number; arbitrary: fc.Arbitrary<string> }> = [
    { weight: 4, arbitrary: idOf(h).map(encodeBytes) },
    { weight: 2, arbitrary: wrongIdOf(h).map(encodeBytes) },
    { weight: 3, arbitrary: text.map(encodeBytes) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
  ];
  if (h.words.length) options.push({ weight: 3, arbitrary: fc.constantFrom(...h.words).map(encodeBytes) });
  if (param) options.push({ weight: 2, arbitrary: validOf(param.schema, h.values, param.name).map((v) => encodeBytes(asText(v))) });
  return fc.oneof(...options);
}

function pathOf(route: FuzzRoute, op: FuzzOperation | undefined, h: Hints): fc.Arbitrary<string> {
  const segments = route.path.split('/').slice(1);
  const filled = fc
    .tuple(
      ...segments.map((s) => {
        if (s === '*') return fc.array(segmentOf(h, undefined), { minLength: 0, maxLength: 3 }).map((xs) => xs.join('/'));
        if (!s.startsWith(':')) return fc.constant(s);
        const name = s.slice(1);
        return segmentOf(h, op?.params.find((p) => p.name === name));
      }),
    )
    .map((xs) => `/${xs.join('/')}`);
  const under = fc
    .tuple(fc.nat({ max: Math.max(0, segments.length - 1) }), fc.array(segmentOf(h, undefined), { minLength: 1, maxLength: 3 }))
    .map(([k, tail]) => `/${[...segments.slice(0, k).filter((s) => !s.startsWith(':') && s !== '*'), ...tail].join('/')}`);
  const suffix = fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/..', '/%2e%2e/x', '/x', `/${'y'.repeat(120)}`) });
  return fc.tuple(fc.oneof({ weight: 5, arbitrary: filled }, { weight: 1, arbitrary: under }), suffix).map(([p, s]) => p + s);
}

const QUERY_WORDS = ['limit', 'cursor', 'page', 'offset', 'status', 'state', 'input', 'batch', 'id', 'key', 'from', 'to', 'sort', 'order'];
const RAW_QUERIES = ['%', '%zz', '&&', '=', '==x', 'a[b][c]=1', '__proto__[polluted]=1', 'constructor[prototype][polluted]=1', 'limit=1&limit=2', 'batch=1&input=%7B', `x=${'y'.repeat(6_000)}`];

function queryOf(op: FuzzOperation | undefined, h: Hints): fc.Arbitrary<string> {
  const documented = fc.tuple(
    ...(op?.query ?? []).map((p) =>
      fc.option(
        fc.oneof({ weight: 3, arbitrary: validOf(p.schema, h.values, p.name) }, { weight: 2, arbitrary: garbage }).map((v) => `${encodeBytes(p.name)}=${encodeBytes(asText(v))}`),
        { freq: p.required ? 8 : 2 },
      ),
    ),
  );
  const extra = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom(...QUERY_WORDS, ...PROTOTYPE_NAMES), unknownKey), fc.oneof(text, fc.jsonValue({ maxDepth: 1 }).map(asText))).map(
      ([k, v]) => `${encodeBytes(k)}=${encodeBytes(v)}`,
    ),
    { maxLength: 2 },
  );
  const raw = fc.option(fc.constantFrom(...RAW_QUERIES), { freq: 6 });
  const someExtra = fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: extra });
  return fc.tuple(documented, someExtra, raw).map(([d, e, r]) => {
    const parts = [...d.filter((x): x is string => x !== null), ...e, ...(r === null ? [] : [r])];
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

const BODY_TEXTS = ['', ' ', '{', '{"a":', '}', 'null', '[]', '"x"', '0', 'true', 'not json', '\ufeff{}', '{"a":1}trailing', "{'a':1}", '{"a":NaN}', '{"a":undefined}', '\u0000'];
const BODY_BYTES = [Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0xc0, 0xaf]), Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])];
/** Bodies past the limits: pings take 100 kB, sign-up 10 kB, dialects TOCK_API_BODY_LIMIT (2 MiB by default). */
const BIG_BODIES = [`{"pad":"${'x'.repeat(150_000)}"}`, `{"pad":"${'x'.repeat(2_200_000)}"}`];

function bodyOf(method: string, op: FuzzOperation | undefined, h: Hints): fc.Arbitrary<string | Buffer | null> {
  if (method === 'GET' || method === 'HEAD') return fc.constant(null);
  const json = op?.body ? nearValidOf(op.body, h.values) : fc.oneof(garbage, fc.jsonValue({ maxDepth: 3 }));
  return fc.oneof(
    { weight: op?.body ? 12 : 4, arbitrary: json.map(jsonText) },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...BODY_TEXTS), text) },
    { weight: 1, arbitrary: fc.constantFrom(...BODY_BYTES) },
    { weight: 1, arbitrary: fc.constantFrom(...BIG_BODIES).chain((b) => (b.length > 1_000_000 ? fc.constantFrom(b, BIG_BODIES[0], '{}') : fc.constant(b))) },
  );
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;',
  'application/vnd.api+json',
  'application/octet-stream',
  'a/b/c',
  '*/*',
  '',
  `application/json; x=${'y'.repeat(3_000)}`,
];

/** Header values undici sends as they are (tab, printable ASCII and Latin-1; no CR, LF or NUL). */
const headerText = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 30 }) },
  { weight: 6, arbitrary: fc.constantFrom('', ' ', '\t', 'x'.repeat(4_000), 'ÿ'.repeat(100), ...PROTOTYPE_NAMES) },
  // Past Node's 16 kB of headers: answered 431 before any route.
  { weight: 1, arbitrary: fc.oneof({ weight: 3, arbitrary: fc.constant('y'.repeat(200)) }, { weight: 1, arbitrary: fc.constant('x'.repeat(20_000)) }) },
);
/** Header names undici refuses to send or manages itself. */
const MANAGED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);
const headerName = fc.oneof(
  fc.constantFrom('x-tock-project', 'accept', 'content-encoding', 'x-forwarded-for', 'user-agent', 'x-request-id', 'idempotency-key', 'origin', 'cookie', 'range', ...PROTOTYPE_NAMES.filter((n) => /^\w+$/.test(n))),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/).filter((n) => !MANAGED.has(n)),
);

function authOf(h: Hints): fc.Arbitrary<Array<[string, string]>> {
  const valid = fc.constantFrom(...h.keys);
  const invalid = fc.oneof(
    fc.constantFrom('tock_', `tock_${'0'.repeat(40)}`, 'x'.repeat(201), 'Bearer', 'null', 'undefined', ...PROTOTYPE_NAMES),
    fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 50 }),
    valid.map((k) => `${k.slice(0, -1)}${k.endsWith('A') ? 'B' : 'A'}`),
  );
  const one = (key: fc.Arbitrary<string>) =>
    fc.oneof(
      key.map((k): Array<[string, string]> => [['authorization', `Bearer ${k}`]]),
      key.map((k): Array<[string, string]> => [['x-api-key', k]]),
      key.map((k): Array<[string, string]> => [['authorization', `bearer   ${k}  `]]),
    );
  return fc.oneof(
    { weight: 6, arbitrary: one(valid) },
    { weight: 2, arbitrary: one(invalid) },
    { weight: 2, arbitrary: fc.constant<Array<[string, string]>>([]) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom<Array<[string, string]>>([['authorization', 'Basic dXNlcjpwYXNz']], [['authorization', '']], [['authorization', 'Bearer ']]),
        fc.tuple(valid, invalid).map(([v, i]): Array<[string, string]> => [['authorization', `Bearer ${i}`], ['authorization', `Bearer ${v}`]]),
        fc.tuple(valid, invalid).map(([v, i]): Array<[string, string]> => [['x-api-key', v], ['x-api-key', i]]),
        fc.tuple(valid, invalid).map(([v, i]): Array<[string, string]> => [['authorization', `Bearer ${i}`], ['x-api-key', v]]),
      ),
    },
  );
}

function headersOf(body: string | Buffer | null, h: Hints): fc.Arbitrary<Array<[string, string]>> {
  const contentType: fc.Arbitrary<Array<[string, string]>> = fc.oneof(
    { weight: body === null ? 1 : 8, arbitrary: fc.constant<Array<[string, string]>>([['content-type', 'application/json']]) },
    { weight: body === null ? 4 : 1, arbitrary: fc.constant<Array<[string, string]>>([]) },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((t): Array<[string, string]> => [['content-type', t]]) },
    { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([['content-type', 'application/json'], ['content-type', 'text/plain']]) },
  );
  const project = fc.oneof(idOf(h), wrongIdOf(h)).map((id): [string, string] => ['x-tock-project', id]);
  const extra = fc.array(fc.oneof(fc.tuple(headerName, headerText), project), { maxLength: 3 });
  return fc.tuple(authOf(h), contentType, extra).map(([a, c, e]) => [...a, ...c, ...e]);
}

/**
 * A request as a client that read the document sends it: the documented method, path and query,
 * a valid key and `application/json`, a body valid for the schema or with one field mutated. It
 * gets past authentication and validation into the dialect's codec and the core.
 */
function cleanRequestOf(route: FuzzRoute, op: FuzzOperation, h: Hints): fc.Arbitrary<FuzzRequest> {
  const path = fc
    .tuple(
      ...route.path
        .split('/')
        .slice(1)
        .map((s) => {
          if (!s.startsWith(':')) return fc.constant(s === '*' ? '' : s);
          const param = op.params.find((p) => p.name === s.slice(1));
          return fc.oneof(
            { weight: 3, arbitrary: idOf(h) },
            ...(param ? [{ weight: 1, arbitrary: validOf(param.schema, h.values, param.name).map(asText) }] : []),
            ...(h.words.length ? [{ weight: 2, arbitrary: fc.constantFrom(...h.words) }] : []),
          ).map(encodeBytes);
        }),
    )
    .map((xs) => `/${xs.join('/')}`);
  const query = fc
    .tuple(...op.query.map((p) => fc.option(validOf(p.schema, h.values, p.name).map((v) => `${encodeBytes(p.name)}=${encodeBytes(asText(v))}`), { freq: p.required ? 20 : 1 })))
    .map((xs) => xs.filter((x): x is string => x !== null))
    .map((xs) => (xs.length ? `?${xs.join('&')}` : ''));
  const hasBody = op.method !== 'GET' && op.method !== 'HEAD';
  const body: fc.Arbitrary<string | null> = !hasBody
    ? fc.constant(null)
    : op.body
      ? fc.oneof({ weight: 2, arbitrary: validOf(op.body, h.values) }, { weight: 1, arbitrary: fc.tuple(validOf(op.body, h.values), mutation).map(([v, m]) => mutate(v, [m])) }).map(jsonText)
      : fc.constant('{}');
  // Mostly the first key (all scopes): a narrower one is refused before the core is reached.
  const key = fc.oneof({ weight: 3, arbitrary: fc.constant(h.keys[0]) }, { weight: 1, arbitrary: fc.constantFrom(...h.keys) });
  const auth = key.chain((k) => fc.constantFrom<[string, string]>(['authorization', `Bearer ${k}`], ['x-api-key', k]));
  return fc.tuple(path, query, body, auth).map(([p, q, b, a]) => ({
    method: op.method,
    path: p + q,
    headers: b === null ? [a] : [a, ['content-type', 'application/json']],
    body: b,
  }));
}

function requestOf(route: FuzzRoute, h: Hints): fc.Arbitrary<FuzzRequest> {
  const wild = wildRequestOf(route, h);
  const clean = route.operations.length ? fc.constantFrom(...route.operations).chain((op) => cleanRequestOf(route, op, h)) : null;
  return (clean ? fc.oneof({ weight: 1, arbitrary: clean }, { weight: 2, arbitrary: wild }) : wild).map((r) =>
    Object.assign(r, { [fc.toStringMethod]: () => describeRequest(r) }),
  );
}

/** A request with any of its parts generated to be wrong (see the file's header). */
function wildRequestOf(route: FuzzRoute, h: Hints): fc.Arbitrary<FuzzRequest> {
  const documented = route.operations.map((o) => o.method);
  const method = fc.oneof(
    ...(documented.length ? [{ weight: 8, arbitrary: fc.constantFrom(...documented) }] : []),
    { weight: 3, arbitrary: fc.constantFrom(...(route.methods.length ? route.methods : ['GET'])) },
    { weight: 1, arbitrary: fc.constantFrom(...HTTP_METHODS, ...ODD_METHODS) },
  );
  return method.chain((m) => {
    const op = route.operations.find((o) => o.method === m);
    return fc
      .tuple(pathOf(route, op, h), queryOf(op, h), bodyOf(m, op, h))
      .chain(([p, q, body]) => headersOf(body, h).map((headers): FuzzRequest => ({ method: m, path: p + q, headers, body })));
  });
}

// ---- Sending and checking ----

export interface FuzzAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export async function send(baseUrl: string, dispatcher: Agent, r: FuzzRequest): Promise<FuzzAnswer> {
  const res = await request(baseUrl + r.path, {
    method: r.method as 'GET',
    headers: r.headers.flat(),
    body: r.body,
    dispatcher,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const ct = res.headers['content-type'];
  return { status: res.statusCode, contentType: Array.isArray(ct) ? ct.join(', ') : (ct ?? ''), body };
}

/** Throws, naming the request, unless the answer is below 500 and an error answer is a JSON body. */
export function checkAnswer(r: FuzzRequest, a: FuzzAnswer): void {
  const what = () => `${describeRequest(r)}\n  answered ${a.status} (${a.contentType}): ${cut(a.body.toString('utf8'), 300)}`;
  if (a.status >= 500) throw new Error(`5xx answer to\n  ${what()}`);
  if (a.status >= 400 && r.method !== 'HEAD') {
    if (!/^application\/json\b/i.test(a.contentType)) throw new Error(`error answer that is not JSON (content-type) to\n  ${what()}`);
    try {
      JSON.parse(a.body.toString('utf8'));
    } catch {
      throw new Error(`error answer whose body is not JSON to\n  ${what()}`);
    }
  }
}

export interface RestFuzzOptions {
  baseUrl: string;
  /** The app listening at `baseUrl`: its router gives the routes /openapi.json leaves out. */
  app: FastifyInstance;
  /** Valid API keys, an all-scopes one first. */
  keys: string[];
  /** Ids of objects that exist (schedules, jobs, monitors, projects, ping tokens). */
  ids?: string[];
  /** Path segments worth trying where a route takes a parameter (e.g. tRPC procedure names). */
  words?: string[];
  seed: number;
  /** Cases in all, shared evenly among the routes (each gets at least `minPerRoute`). */
  runs: number;
  minPerRoute?: number;
}

export interface RestFuzzReport {
  routes: FuzzRoute[];
  /** Requests sent, shrinking included. */
  requests: number;
  /** Answers by route and `METHOD status`. */
  answers: Map<string, Map<string, number>>;
  ms: number;
}

/** A stable number per route, so adding a route does not change what the others are sent. */
function hash(s: string): number {
  let h = 2_166_136_261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16_777_619);
  return h >>> 0;
}

/**
 * Fuzzes every route of the port (see the file's header) with `runs` cases in all; throws at the
 * first answer `checkAnswer` refuses, after fast-check shrank the request. The caller checks the
 * server's error log and health afterwards.
 */
export async function runRestFuzz(opts: RestFuzzOptions): Promise<RestFuzzReport> {
  const started = Date.now();
  const docRes = await request(`${opts.baseUrl}/openapi.json`);
  let doc: OpenApiDocument = {};
  if (docRes.statusCode === 200) doc = (await docRes.body.json()) as OpenApiDocument;
  else await docRes.body.dump();
  const routes = fuzzRoutes(opts.app, doc);
  const pool: IdPool = { ids: [...(opts.ids ?? [])] };
  const h: Hints = {
    pool,
    words: opts.words ?? [],
    keys: opts.keys,
    values: {
      get ids() {
        return pool.ids;
      },
      resolve: (ref) => (ref.startsWith('#/components/schemas/') ? doc.components?.schemas?.[decodeURIComponent(ref.slice(21))] : undefined),
    },
  };
  const perRoute = Math.max(opts.minPerRoute ?? 10, Math.floor(opts.runs / Math.max(1, routes.length)));
  const answers = new Map<string, Map<string, number>>();
  let requests = 0;
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
  try {
    for (const route of routes) {
      const counts = new Map<string, number>();
      answers.set(route.path, counts);
      await fc.assert(
        fc.asyncProperty(requestOf(route, h), async (r) => {
          requests++;
          let a: FuzzAnswer;
          try {
            a = await send(opts.baseUrl, dispatcher, r);
          } catch (err) {
            throw new Error(`no answer (${(err as Error).message}) to\n  ${describeRequest(r)}`);
          }
          const k = `${r.method} ${a.status}`;
          counts.set(k, (counts.get(k) ?? 0) + 1);
          checkAnswer(r, a);
          if (a.status < 300 && /json/i.test(a.contentType)) {
            try {
              learnIds(pool, JSON.parse(a.body.toString('utf8')));
            } catch {
              // A success body need not be JSON (HEAD, 204).
            }
          }
        }),
        { seed: (opts.seed + hash(route.path)) | 0, numRuns: perRoute },
      );
    }
  } finally {
    await dispatcher.close();
  }
  return { routes, requests, answers, ms: Date.now() - started };
}

/** Status counts of every route (`201×7 400×22 ...`), for the run log. */
export function answerSummary(report: RestFuzzReport): Record<string, string> {
  return Object.fromEntries(
    [...report.answers].map(([route, counts]) => {
      const byStatus = new Map<string, number>();
      for (const [k, n] of counts) byStatus.set(k.split(' ')[1], (byStatus.get(k.split(' ')[1]) ?? 0) + n);
      return [route, [...byStatus].sort().map(([k, n]) => `${k}×${n}`).join(' ')];
    }),
  );
}
