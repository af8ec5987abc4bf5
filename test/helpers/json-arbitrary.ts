import fc from 'fast-check';

/**
 * fast-check values for the REST fuzz driver (test/helpers/rest-fuzz.ts): values valid for a JSON
 * Schema (as /openapi.json gives each route's body, query and path parameters, generated from the
 * routes' zod schemas), the same values with a few fields mutated (wrong types, huge strings,
 * unicode, lone surrogates, NUL, prototype names, deep nesting, huge numbers, a required field
 * left out, an unknown field added), and garbage of every JSON kind. JSON text is written by
 * `jsonText`, which also takes `Raw` pieces no JS value can say (nesting 10,000 deep, `1e400`,
 * duplicate keys).
 */

export type JsonSchema = boolean | { [keyword: string]: unknown };

/** A piece of JSON text put into a body as it is. */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold `Raw` pieces; own properties named `__proto__` are written like any other. */
export function jsonText(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : jsonText(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${jsonText((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** An object whose own keys are exactly `entries` (`__proto__` included, as an own property). */
export function objectOf(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries) as Record<string, unknown>;
}

// ---- Strings and numbers at the edges ----

export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

export const SPECIAL_STRINGS = [
  '',
  ' ',
  ...PROTOTYPE_NAMES,
  '\u0000',
  'a\u0000b',
  '\r\n',
  '\t',
  '\u007f',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '🙂',
  'é',
  'ｈｔｔｐ',
  '%00',
  '%zz',
  '../../etc/passwd',
  "'; drop table jobs; --",
  '{"$ne":null}',
  '${7*7}',
  '*/5 * * * *',
  '61 * * * *',
  '* * * * * * *',
  'UTC',
  'Mars/Olympus',
  'https://example.com/hook',
  'http://127.0.0.1/',
  'http://[::ffff:169.254.169.254]/',
  'javascript:alert(1)',
  'a@b.co',
  '1970-01-01T00:00:00Z',
  '2099-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  'NaN',
  'Infinity',
  '-1',
  'true',
  'null',
  'x'.repeat(101),
  'x'.repeat(2_049),
  'x'.repeat(70_000),
];

/** Strings of any UTF-16 code unit: lone surrogates and control characters included. */
export const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 });
const huge = fc.constantFrom('h'.repeat(300_000), '\ud800'.repeat(60_000), '\u0000'.repeat(20_000), '🙂'.repeat(60_000));

export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: anyUnits },
  { weight: 1, arbitrary: huge },
);

const EDGE_NUMBERS = [
  0, -0, 1, -1, 0.5, -0.5, 59, 60, 99, 100, 101, 1_000, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 53),
  1e21, -1e21, 1e300, -1e300, Number.MIN_VALUE, 8.64e15, 8.64e15 + 1,
];
export const number: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);

function nested(depth: number, open: string, close: string, inner = '1'): Raw {
  return new Raw(open.repeat(depth) + inner + close.repeat(depth));
}

/** JSON no JS value writes: numbers past float range, duplicate keys, nesting far deeper than any schema. */
const rawJson = fc.constantFrom(
  new Raw('1e400'),
  new Raw('-1e400'),
  new Raw('1e-400'),
  new Raw('123456789012345678901234567890'),
  new Raw('-0.0'),
  new Raw('{"a":1,"a":2}'),
  new Raw('{"__proto__":{"polluted":true}}'),
  new Raw('{"constructor":{"prototype":{"polluted":true}}}'),
  nested(200, '[', ']'),
  nested(10_000, '[', ']'),
  nested(10_000, '{"a":', '}'),
  new Raw(`[${'1,'.repeat(50_000)}1]`),
);

/** A value of the wrong type for almost any field, or one no field should take. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(null, true, false, 0, -1, [], {}, [null], [[]], { a: {} }, [1, 'a', null]) },
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: number },
  { weight: 2, arbitrary: rawJson },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map((k) => objectOf([[k, { polluted: true }]])) },
  { weight: 1, arbitrary: fc.constant(Array.from({ length: 5_000 }, (_, i) => i)) },
);

/** Names a field may be sent under that no schema expects. */
export const unknownKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: text },
);

// ---- Values a schema takes ----

/**
 * Values by what a field is called, tried beside what its schema allows: the documents' field
 * names say what a string holds (a cron, a URL, a time) far better than `type: string`. `valid`
 * ones pass the core's rules (so a body can get through to a create), `odd` ones are at or past
 * the edge of them.
 */
const future = () => fc.integer({ min: 3_600_000, max: 30 * 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString());
const HINTS: Array<{ name: RegExp; valid: fc.Arbitrary<string>; odd: string[] }> = [
  {
    name: /url|webhook|endpoint|callback|target/i,
    valid: fc.constantFrom('https://example.com/hook', 'http://93.184.216.34:8080/x?y=1'),
    odd: ['http://127.0.0.1:1/', 'http://[::1]/', 'ftp://example.com/', 'example.com', 'https://'],
  },
  { name: /cron|schedule|expression/i, valid: fc.constantFrom('*/5 * * * *', '0 3 * * *', '0 9 * * 1-5'), odd: ['30 */2 * * * *', '@daily', 'every_5m', '* * *', '61 * * * *'] },
  { name: /zone/i, valid: fc.constantFrom('UTC', 'Europe/Riga', 'America/New_York'), odd: ['utc', 'Mars/Olympus', '+01:00'] },
  { name: /email/i, valid: fc.constantFrom('ops@example.com', 'a@b.co'), odd: ['not-an-email', '@', 'a@'] },
  {
    name: /(^|_)at$|[a-z]At$|date|time(?!out|zone)/i,
    valid: fc.oneof(future(), fc.constant('2099-01-01T00:00:00Z')),
    odd: ['2000-01-01T00:00:00Z', '2099-01-01T00:00:00.000+02:00', '2099-13-01T00:00:00Z', 'tomorrow', '0'],
  },
  { name: /method/i, valid: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), odd: ['get', 'TRACE', 'HEAD', 'CONNECT'] },
];

export interface SchemaValues {
  /** Resolves a local `$ref` (`#/components/schemas/X`). */
  resolve(ref: string): JsonSchema | undefined;
  /** Ids that exist on the server (strings an `id`-like field may name), read when a value is made. */
  ids: readonly string[];
}

const obj = (s: JsonSchema): Record<string, unknown> => (typeof s === 'object' && s ? s : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function stringOf(s: Record<string, unknown>, name: string, ctx: SchemaValues): fc.Arbitrary<string> {
  const min = num(s.minLength) ?? 0;
  const max = Math.min(num(s.maxLength) ?? 40, Math.max(min, 40));
  const options: fc.Arbitrary<string>[] = [];
  switch (s.format) {
    case 'date-time':
      options.push(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()));
      options.push(fc.integer({ min: 60_000, max: 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString()));
      break;
    case 'date':
      options.push(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)));
      break;
    case 'email':
      options.push(fc.emailAddress());
      break;
    case 'uri':
    case 'url':
      options.push(fc.webUrl());
      break;
    case 'uuid':
      options.push(fc.uuid());
      break;
  }
  if (typeof s.pattern === 'string' && !options.length) {
    try {
      options.push(fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= min && v.length <= (num(s.maxLength) ?? Infinity)));
    } catch {
      // A pattern fast-check cannot read: the plain strings below stand in.
    }
  }
  if (!options.length) options.push(fc.string({ minLength: min, maxLength: max }));
  // Read when a value is made: the ids a server returned so far count too.
  if (/id$/i.test(name)) options.push(fc.nat().map((i) => (ctx.ids.length ? ctx.ids[i % ctx.ids.length] : 'id_0')));
  const schemaOnly = fc.oneof(...options);
  const hint = Array.isArray(s.enum) ? undefined : HINTS.find((h) => h.name.test(name));
  if (!hint) return schemaOnly;
  return fc.oneof({ weight: 4, arbitrary: hint.valid }, { weight: 1, arbitrary: fc.constantFrom(...hint.odd) }, { weight: 1, arbitrary: schemaOnly });
}

function numberOf(s: Record<string, unknown>, integer: boolean): fc.Arbitrary<number> {
  let min = num(s.minimum) ?? num(s.exclusiveMinimum);
  let max = num(s.maximum) ?? num(s.exclusiveMaximum);
  if (min !== undefined && s.exclusiveMinimum !== undefined) min += integer ? 1 : Number.EPSILON * Math.max(1, Math.abs(min));
  if (max !== undefined && s.exclusiveMaximum !== undefined) max -= integer ? 1 : Number.EPSILON * Math.max(1, Math.abs(max));
  // Small values first: a schema's bound of ±2^53 says nothing about what the field means.
  const lo = Math.max(min ?? -1_000, -1e9);
  const hi = Math.min(max ?? Math.max(lo + 1_000, 1_000), 1e9);
  if (lo > hi) return fc.constant(min ?? max ?? 0);
  return integer ? fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }) : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
}

/**
 * Values `schema` accepts, as far as a JSON Schema says (the core's own rules, a cron's fields or
 * a URL's host, are the hints' part). Depth-bounded; anything it cannot read gives any JSON value.
 */
export function validOf(schema: JsonSchema, ctx: SchemaValues, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (schema === true || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  if (schema === false) return fc.constant(null);
  const s = obj(schema);
  if (typeof s.$ref === 'string') {
    const target = ctx.resolve(s.$ref);
    return target === undefined || depth > 5 ? fc.jsonValue({ maxDepth: 2 }) : validOf(target, ctx, name, depth + 1);
  }
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]));
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[k]) && (s[k] as unknown[]).length) return fc.oneof(...(s[k] as JsonSchema[]).map((x) => validOf(x, ctx, name, depth + 1)));
  }
  if (Array.isArray(s.allOf) && s.allOf.length) {
    // zod writes intersections as allOf of objects: their properties together.
    const merged = (s.allOf as JsonSchema[]).map(obj).reduce<Record<string, unknown>>(
      (a, b) => ({
        ...a,
        ...b,
        properties: { ...obj(a.properties as JsonSchema), ...obj(b.properties as JsonSchema) },
        required: [...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])],
      }),
      {},
    );
    return validOf({ ...merged, allOf: undefined }, ctx, name, depth + 1);
  }
  const type = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : null;
  if (type && type.length > 1) return fc.oneof(...type.map((t) => validOf({ ...s, type: t }, ctx, name, depth)));
  switch (type?.[0] ?? (s.properties ? 'object' : s.items ? 'array' : undefined)) {
    case 'string':
      return stringOf(s, name, ctx);
    case 'integer':
      return numberOf(s, true);
    case 'number':
      return numberOf(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const min = num(s.minItems) ?? 0;
      const max = Math.max(min, Math.min(num(s.maxItems) ?? 3, 3));
      if (Array.isArray(s.prefixItems)) return fc.tuple(...(s.prefixItems as JsonSchema[]).map((x) => validOf(x, ctx, name, depth + 1)));
      return fc.array(validOf((s.items as JsonSchema) ?? true, ctx, name, depth + 1), { minLength: min, maxLength: max });
    }
    case 'object': {
      const props = obj(s.properties as JsonSchema);
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const names = Object.keys(props);
      const record = fc.record(
        Object.fromEntries(names.map((k) => [k, validOf(props[k] as JsonSchema, ctx, k, depth + 1)])) as Record<string, fc.Arbitrary<unknown>>,
        { requiredKeys: names.filter((k) => required.has(k)) },
      );
      const extra = s.additionalProperties;
      if (extra && typeof extra === 'object' && !names.length) {
        const keys = s.propertyNames ? validOf(s.propertyNames as JsonSchema, ctx, name, depth + 1).map(String) : fc.string({ minLength: 1, maxLength: 12 });
        return fc.dictionary(keys, validOf(extra as JsonSchema, ctx, name, depth + 1), { maxKeys: 3 });
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

// ---- Mutations ----

/** One change to a valid value: what to do, and numbers that pick where (taken modulo the places there are). */
export interface Mutation {
  kind: 'replace' | 'delete' | 'add';
  at: number;
  key: string;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<Mutation['kind']>('replace', 'replace', 'replace', 'delete', 'add'),
  at: fc.nat(),
  key: unknownKey,
  value: garbage,
});

type Place = { parent: Record<string, unknown> | unknown[]; key: string | number } | null;

/** Every place in `root` a mutation may change: the root itself (null) and each member, depth first. */
function places(root: unknown): Place[] {
  const out: Place[] = [null];
  const walk = (v: unknown, depth: number) => {
    if (depth > 8 || !v || typeof v !== 'object' || v instanceof Raw) return;
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), walk(x, depth + 1)));
    else for (const k of Object.keys(v)) out.push({ parent: v as Record<string, unknown>, key: k }), walk((v as Record<string, unknown>)[k], depth + 1);
  };
  walk(root, 0);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw);

function copy(v: unknown): unknown {
  if (v instanceof Raw || !v || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy);
  return objectOf(Object.keys(v).map((k) => [k, copy((v as Record<string, unknown>)[k])]));
}

/** `value` with `mutations` applied in order (a copy; `value` is left as it was). */
export function mutate(value: unknown, mutations: readonly Mutation[]): unknown {
  let root = copy(value);
  for (const m0 of mutations) {
    // The value goes in as a copy: generated constants are shared between runs.
    const m = { ...m0, value: copy(m0.value) };
    const all = places(root);
    const place = all[m.at % all.length];
    if (m.kind === 'add') {
      const objects = all.map((p) => (p ? (p.parent as Record<string | number, unknown>)[p.key] : root)).filter(isObject);
      if (!objects.length) continue;
      Object.defineProperty(objects[m.at % objects.length], m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    } else if (!place) {
      if (m.kind === 'replace') root = m.value;
    } else if (m.kind === 'delete') {
      if (Array.isArray(place.parent)) place.parent.splice(place.key as number, 1);
      else delete place.parent[place.key as string];
    } else if (Array.isArray(place.parent)) {
      place.parent[place.key as number] = m.value;
    } else {
      Object.defineProperty(place.parent, place.key as string, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** Values of `schema`: mostly valid with one to three fields mutated, sometimes valid as they are, sometimes garbage. */
export function nearValidOf(schema: JsonSchema, ctx: SchemaValues): fc.Arbitrary<unknown> {
  const valid = validOf(schema, ctx);
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 6, arbitrary: fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([v, ms]) => mutate(v, ms)) },
    { weight: 1, arbitrary: garbage },
  );
}
