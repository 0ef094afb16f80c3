// Test helper: generates hostile requests for every operation of an OpenAPI 3.1 document (the
// server's own /openapi.json), so a new route is fuzzed as soon as it is documented. Pure: it
// builds cases; fuzz.test.ts sends them.
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib';

/** The subset of JSON Schema that zod's toJSONSchema emits for glassbox's routes. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  description?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

/**
 * What a case must get. '4xx': a JSON error {error, error_type}. '2xx': success. 'any': either
 * (schema-valid input the route may still refuse on its meaning). 'like-base': '2xx' when the
 * route's base request got a 2xx, else 'any'. Never a 5xx, in any case.
 */
export type Expectation = '4xx' | '2xx' | 'any' | 'like-base';

export interface FuzzCase {
  /** The operation, as "METHOD /openapi/path"; wrong-method cases name the path's first operation. */
  route: string;
  /** The generator that made it (body-type, unicode, path-trick, ...). */
  kind: string;
  name: string;
  method: string;
  /** Sent verbatim: already percent-encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  expect: Expectation;
  /** When set, a 4xx must carry this error_type. */
  errorType?: string;
  /** The route's unmodified request, sent first; like-base cases compare with it. */
  base?: boolean;
}

export interface FuzzOptions {
  /** Values for path parameters by name (the served model, a stored prediction id). */
  pathValues?: Record<string, string>;
  /** Headers sent with every case except auth abuse (e.g. the API key). */
  headers?: Record<string, string>;
  /** Bodies to start from, by operationId, where the schema alone cannot make a meaningful one. */
  baseBodies?: Record<string, unknown>;
  /** JSON paths of texts, by operationId, besides those the schema describes as texts. */
  textPaths?: Record<string, Array<Array<string | number>>>;
  /** A body larger than the server's bodyLimit (bytes). */
  oversizeBytes?: number;
  /** Description that marks a schema as a text to classify (unicode cases expect like-base there). */
  textDescription?: string;
  /** Expectation for valid JSON sent with a non-JSON media type (any until JSON routes refuse them with 415). */
  wrongContentType?: Expectation;
}

type JsonPath = Array<string | number>;

// ---------------------------------------------------------------- schema helpers

function types(schema: JsonSchema): string[] | null {
  if (schema.type === undefined) return null;
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Whether `value` satisfies `schema` (the keywords above; others are ignored, so unknown ones lean to valid). */
export function satisfies(schema: JsonSchema, value: unknown): boolean {
  if (schema.anyOf && !schema.anyOf.some((s) => satisfies(s, value))) return false;
  if (schema.oneOf && schema.oneOf.filter((s) => satisfies(s, value)).length !== 1) return false;
  if (schema.allOf && !schema.allOf.every((s) => satisfies(s, value))) return false;
  if (schema.enum && !schema.enum.some((e) => e === value)) return false;
  if ('const' in schema && schema.const !== value) return false;
  const allowed = types(schema);
  if (allowed) {
    const t = typeOf(value);
    const ok = allowed.some((a) => a === t || (a === 'integer' && t === 'number' && Number.isInteger(value)));
    if (!ok) return false;
    if (t === 'number' && !Number.isFinite(value as number)) return false;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return false;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return false;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return false;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return false;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return false;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return false;
    const items = schema.items;
    if (items && !value.every((v) => satisfies(items, v))) return false;
  }
  if (typeOf(value) === 'object') {
    const record = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    for (const name of schema.required ?? []) if (!Object.hasOwn(record, name)) return false;
    for (const [name, v] of Object.entries(record)) {
      if (Object.hasOwn(props, name)) {
        if (!satisfies(props[name], v)) return false;
      } else if (schema.additionalProperties === false) {
        return false;
      } else if (typeof schema.additionalProperties === 'object' && !satisfies(schema.additionalProperties, v)) {
        return false;
      }
    }
  }
  return true;
}

/** A query parameter's string as the route reads it: numbers coerced with Number(), as z.coerce does. */
function querySatisfies(schema: JsonSchema, value: string): boolean {
  const allowed = types(schema) ?? [];
  if (allowed.includes('integer') || allowed.includes('number')) return satisfies(schema, Number(value));
  if (allowed.includes('boolean')) return value === 'true' || value === 'false';
  return satisfies(schema, value);
}

const HAPPY = 'I am so happy, what a wonderful day';

/** The simplest value a schema accepts: required properties only, the first enum value or branch. */
export function exampleOf(schema: JsonSchema, textDescription?: string): unknown {
  if (schema.description !== undefined && schema.description === textDescription) return HAPPY;
  if (schema.enum) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const first = branches.find((b) => !types(b)?.includes('null')) ?? branches[0];
    return exampleOf(first, textDescription);
  }
  const t = types(schema)?.find((x) => x !== 'null') ?? (schema.properties ? 'object' : 'null');
  switch (t) {
    case 'string':
      return 'abc'.padEnd(schema.minLength ?? 0, 'c');
    case 'integer':
      return Math.max(schema.minimum ?? 1, Math.min(1, schema.maximum ?? 1));
    case 'number': {
      const lo = schema.exclusiveMinimum ?? schema.minimum ?? 0;
      const hi = schema.exclusiveMaximum ?? schema.maximum ?? lo + 1;
      return (lo + hi) / 2;
    }
    case 'boolean':
      return false;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => exampleOf(schema.items ?? {}, textDescription));
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, exampleOf(schema.properties?.[name] ?? {}, textDescription)]));
    default:
      return null;
  }
}

/** The object branch of a schema (itself, or the first object branch of an anyOf). */
function objectBranch(schema: JsonSchema): JsonSchema | null {
  if (schema.properties) return schema;
  for (const b of schema.anyOf ?? schema.oneOf ?? []) if (b.properties) return b;
  return null;
}

function arrayBranch(schema: JsonSchema): JsonSchema | null {
  if (types(schema)?.includes('array') && schema.items) return schema;
  for (const b of schema.anyOf ?? schema.oneOf ?? []) if (types(b)?.includes('array') && b.items) return b;
  return null;
}

interface PropertyTarget {
  path: JsonPath;
  /** The schema of the value at each step of `path` (the last one is the property's). */
  chain: JsonSchema[];
}

/** Every property reachable from the body schema, through nested objects and the first item of arrays (depth-limited). */
function propertyTargets(schema: JsonSchema, path: JsonPath = [], chain: JsonSchema[] = [], depth = 0): PropertyTarget[] {
  if (depth > 3) return [];
  const out: PropertyTarget[] = [];
  const object = objectBranch(schema);
  for (const [name, prop] of Object.entries(object?.properties ?? {})) {
    const target = { path: [...path, name], chain: [...chain, prop] };
    out.push(target);
    out.push(...propertyTargets(prop, target.path, target.chain, depth + 1));
  }
  const array = arrayBranch(schema);
  if (array?.items && (objectBranch(array.items) || arrayBranch(array.items))) {
    out.push(...propertyTargets(array.items, [...path, 0], [...chain, array.items], depth + 1));
  }
  return out;
}

/** A copy of `base` with `value` at `path`, creating missing parents from their schemas' examples. */
function withValue(base: unknown, target: PropertyTarget, value: unknown, textDescription?: string): unknown {
  const root = structuredClone(base) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = root;
  target.path.forEach((key, i) => {
    if (i === target.path.length - 1) {
      node[key] = value;
      return;
    }
    let next = node[key];
    if (next === null || typeof next !== 'object') {
      next = exampleOf(target.chain[i], textDescription);
      if (next === null || typeof next !== 'object') next = typeof target.path[i + 1] === 'number' ? [] : {};
      node[key] = next;
    }
    node = next as Record<string | number, unknown>;
  });
  return root;
}

function isTextSchema(schema: JsonSchema, textDescription?: string): boolean {
  if (textDescription === undefined) return false;
  if (schema.description === textDescription) return true;
  return (schema.anyOf ?? []).some((b) => b.description === textDescription);
}

// ---------------------------------------------------------------- value sets

const LONG = 'x'.repeat(20_000);

/** Values of every JSON type and edge, put in place of each property in turn. */
const PROPERTY_VALUES: Array<[string, unknown]> = [
  ['string', 'fuzz'],
  ['empty string', ''],
  ['whitespace string', '   '],
  ['long string', LONG],
  ['numeric string', '5'],
  ['zero', 0],
  ['negative', -1],
  ['float', 1.5],
  ['huge number', 1e308],
  ['2^53', 2 ** 53],
  ['true', true],
  ['null', null],
  ['empty array', []],
  ['array of numbers', [1, 2, 3]],
  ['array of 500 strings', Array.from({ length: 500 }, (_, i) => `t${i}`)],
  ['empty object', {}],
  ['object', { a: 1 }],
];

/** Texts that are valid input (a model must classify them), in JSON; invalid UTF-8 is added as bytes. */
const UNICODE_TEXTS: Array<[string, string]> = [
  ['lone high surrogate', 'happy \ud800 day'],
  ['lone low surrogate', '\udc00 sad'],
  ['reversed surrogate pair', '\udc00\ud800'],
  ['NUL', 'a\u0000b'],
  ['control characters', '\u0001\u0002\u001b[31mred\u007f'],
  ['RTL override', '\u202eyppah ma I\u202c'],
  ['RTL mark and Hebrew', '\u200fאני שמח מאוד'],
  ['Arabic', 'أنا سعيد جدا اليوم'],
  ['emoji', 'I love it 😀🎉'],
  ['ZWJ sequence', '👨‍👩‍👧‍👦 family'],
  ['4-byte letters', '𝕳𝖆𝖕𝖕𝖞 𐍈𐌰'],
  ['CJK', '我今天很开心'],
  ['combining marks', 'Z̷̡̛a̶l̷g̵o̵ happy'],
  ['BOM', '\ufeffhello'],
  ['zero-width spaces', '\u200bhappy\u200b'],
  ['noncharacters', '\uffff\ufffe'],
  ['last code point', '\u{10FFFF}'],
  ['line separators', 'a\u2028b\u2029c'],
];

const PATH_TRICKS: Array<[string, string, string?]> = [
  ['%ZZ', '%ZZ', 'INVALID_PATH'],
  ['lone %', 'abc%', 'INVALID_PATH'],
  ['truncated UTF-8', '%E0%A4%A', 'INVALID_PATH'],
  ['invalid UTF-8 byte', '%FF', 'INVALID_PATH'],
  ['overlong slash', '%C0%AF', 'INVALID_PATH'],
  ['encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['dot-encoded traversal', '%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
  ['double-encoded traversal', '%252e%252e%252fetc'],
  ['dot-dot', '..'],
  ['dot', '.'],
  ['backslashes', '%5C..%5Cwindows'],
  ['encoded slash', 'a%2Fb'],
  ['NUL', '%00'],
  ['embedded NUL', 'a%00b'],
  ['CRLF injection', 'x%0d%0aSet-Cookie:%20a=b'],
  ['space', '%20'],
  ['emoji', '%F0%9F%98%80'],
  ['template injection', '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D'],
  ['very long', 'n'.repeat(12_000)],
];

const QUERY_VALUES: string[] = [
  '',
  'abc',
  '-1',
  '0',
  '1.5',
  '1e400',
  '99999999999999999999',
  'NaN',
  'Infinity',
  'null',
  'true',
  '%00',
  '%ZZ',
  encodeURIComponent('😀'),
  '%ED%A0%80',
  'a,b',
  '0x10',
  '2024-13-45T00:00:00Z',
  '2024-01-01',
  '2024-01-01T00:00:00Z',
  'yesterday',
  'x'.repeat(8_000),
];

/** Values a query parameter's string can take: the values above, plus each enum value and one in the wrong case. */
function queryValues(schema: JsonSchema): string[] {
  const extra = (schema.enum ?? []).flatMap((e) => [String(e), String(e).toUpperCase()]);
  return [...QUERY_VALUES, ...extra];
}

function decodedQuery(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

// ---------------------------------------------------------------- generation

const WRONG_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'];

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/**
 * The cases for every operation in `doc`: body types per property, malformed and oversized
 * bodies, content types and encodings, unicode texts, `__proto__` keys, query abuse of every
 * parameter, path tricks on every path parameter, wrong methods, and auth abuse where the
 * operation needs a key.
 */
export function generateFuzzCases(doc: OpenApiDocument, options: FuzzOptions = {}): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const common = options.headers ?? {};
  const textDescription = options.textDescription;
  const wrongContentType = options.wrongContentType ?? 'any';
  const oversize = options.oversizeBytes ?? 2 * 1024 * 1024;

  for (const [template, operations] of Object.entries(doc.paths)) {
    const documented = Object.keys(operations).map((m) => m.toUpperCase());
    for (const [lower, op] of Object.entries(operations)) {
      const method = lower.toUpperCase();
      const route = `${method} ${template}`;
      const params = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path');
      const queryParams = params.filter((p) => p.in === 'query');
      const valueOf = (name: string) => options.pathValues?.[name] ?? 'fuzz';
      const pathWith = (overrides: Record<string, string> = {}) =>
        template.replace(/\{(\w+)\}/g, (_, name: string) => overrides[name] ?? encodeURIComponent(valueOf(name)));
      const basePath = pathWith();
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const baseBody = bodySchema ? (options.baseBodies?.[op.operationId] ?? exampleOf(bodySchema, textDescription)) : undefined;
      const jsonHeaders = { ...common, 'content-type': 'application/json' };
      const add = (c: Omit<FuzzCase, 'route' | 'method' | 'path' | 'headers'> & Partial<Pick<FuzzCase, 'method' | 'path' | 'headers'>>) =>
        cases.push({
          route,
          method,
          path: basePath,
          headers: bodySchema ? jsonHeaders : { ...common },
          ...(bodySchema && c.body === undefined && { body: json(baseBody) }),
          ...c,
        });
      // A body whose validity the schema decides.
      const judged = (value: unknown): Expectation => (bodySchema && satisfies(bodySchema, value) ? 'any' : '4xx');

      add({ kind: 'base', name: 'the route\'s base request', expect: 'any', base: true });

      if (bodySchema) {
        // Wrong types and edge values, one property at a time.
        for (const target of propertyTargets(bodySchema)) {
          for (const [label, value] of PROPERTY_VALUES) {
            const body = withValue(baseBody, target, value, textDescription);
            add({ kind: 'body-type', name: `${target.path.join('.')} = ${label}`, body: json(body), expect: judged(body) });
          }
          const deep = withValue(baseBody, target, nested(40), textDescription);
          add({ kind: 'body-type', name: `${target.path.join('.')} = nested 40 deep`, body: json(deep), expect: '4xx' });
        }
        // Whole bodies.
        const literal = (name: string, text: string | Buffer, expect: Expectation = '4xx') =>
          add({ kind: 'body-malformed', name, body: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), expect });
        literal('empty body', '', judged({}));
        for (const text of ['not json', '{', '{"a":', '[1,2', "{'a':1}", 'NaN', 'undefined', '1', '"text"', 'null', 'true', '[]', '\u0000', '{"a":1}{"b":2}', '{"a":1,}']) {
          literal(`body ${JSON.stringify(text)}`, text, text === '[]' || text === '{"a":1}' ? judged(JSON.parse(text)) : '4xx');
        }
        literal('array of the base body', JSON.stringify([baseBody]));
        literal('huge number literal', JSON.stringify(baseBody).replace(/^\{/, '{"n":1e400,'), judged({ n: Infinity, ...(baseBody as object) }));
        literal('duplicate keys', JSON.stringify(baseBody).replace(/^\{/, '{"inputs":1,'), 'any');
        literal('deeply nested (100000 levels)', `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
        literal('oversized body', `{"inputs":"${'x'.repeat(oversize)}"}`);
        literal('invalid UTF-8 bytes outside strings', Buffer.concat([Buffer.from('{'), Buffer.from([0xff, 0xfe]), Buffer.from('}')]));
        for (const key of ['__proto__', 'constructor', 'prototype']) {
          const text = JSON.stringify(baseBody).replace(/^\{/, `{"${key}":{"polluted":true,"isAdmin":true},`);
          literal(`${key} key`, text, judged(JSON.parse(text)));
          const nestedText = JSON.stringify({ ...(baseBody as object), parameters: JSON.parse(`{"${key}":{"calibrated":true}}`) });
          literal(`${key} inside parameters`, nestedText, judged(JSON.parse(nestedText)));
        }
        literal('unknown key', JSON.stringify({ ...(baseBody as object), unknown_fuzz_key: 1 }), judged({ ...(baseBody as object), unknown_fuzz_key: 1 }));

        // Content types: valid JSON under other media types (refused with 415 once JSON routes check it).
        for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/octet-stream']) {
          add({ kind: 'content-type', name: type, headers: { ...common, 'content-type': type }, expect: wrongContentType });
        }
        add({ kind: 'content-type', name: 'no content type', headers: { ...common }, expect: wrongContentType });
        add({ kind: 'content-type', name: 'charset latin1', headers: { ...common, 'content-type': 'application/json; charset=latin1' }, expect: '4xx' });
        add({ kind: 'content-type', name: 'charset utf-16', headers: { ...common, 'content-type': 'application/json; charset=utf-16' }, expect: '4xx' });
        add({ kind: 'content-type', name: 'charset bogus', headers: { ...common, 'content-type': 'application/json; charset=no-such' }, expect: '4xx' });
        add({ kind: 'content-type', name: 'form body', headers: { ...common, 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('inputs=hi&a[b]=c'), expect: '4xx' });

        // Content encodings.
        const plain = json(baseBody);
        const enc = (name: string, encoding: string, body: Buffer, expect: Expectation) =>
          add({ kind: 'content-encoding', name, headers: { ...jsonHeaders, 'content-encoding': encoding }, body, expect });
        enc('valid gzip', 'gzip', gzipSync(plain), 'like-base');
        enc('valid deflate', 'deflate', deflateSync(plain), 'like-base');
        enc('valid br', 'br', brotliCompressSync(plain), 'like-base');
        enc('gzip of garbage', 'gzip', gzipSync(Buffer.from('not json at all')), '4xx');
        enc('garbage as gzip', 'gzip', Buffer.from('definitely not gzip'), '4xx');
        enc('truncated gzip', 'gzip', gzipSync(plain).subarray(0, 12), '4xx');
        enc('garbage as deflate', 'deflate', Buffer.from('not deflate'), '4xx');
        enc('garbage as br', 'br', Buffer.from('not brotli data here'), '4xx');
        enc('gzip bomb over the limit', 'gzip', gzipSync(Buffer.from(`{"inputs":"${'a'.repeat(oversize)}"}`)), '4xx');
        enc('plain JSON labelled gzip', 'gzip', plain, '4xx');
        enc('unknown encoding', 'x-fuzz', plain, '4xx');
        enc('stacked encodings', 'gzip, gzip', gzipSync(gzipSync(plain)), '4xx');

        // Unicode texts where the route takes a text: valid input, classified like the base.
        const texts: PropertyTarget[] = propertyTargets(bodySchema).filter((t) => isTextSchema(t.chain[t.chain.length - 1], textDescription));
        const extraTexts = options.textPaths?.[op.operationId] ?? [];
        for (const path of extraTexts) texts.push({ path, chain: path.map(() => ({})) });
        for (const target of texts) {
          for (const [label, text] of UNICODE_TEXTS) {
            add({ kind: 'unicode', name: `${target.path.join('.')}: ${label}`, body: json(withValue(baseBody, target, text, textDescription)), expect: 'like-base' });
          }
          add({ kind: 'unicode', name: `${target.path.join('.')}: only unicode whitespace`, body: json(withValue(baseBody, target, '\u00a0\u3000\u2003\ufeff', textDescription)), expect: '4xx' });
          const marker = 'FUZZ_INVALID_UTF8_MARKER';
          const [before, after] = JSON.stringify(withValue(baseBody, target, `ab${marker}cd`, textDescription)).split(marker);
          const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), Buffer.from(after)]);
          add({ kind: 'unicode', name: `${target.path.join('.')}: invalid UTF-8 bytes`, body: bytes, expect: 'like-base' });
        }
      }

      // Query abuse: every documented parameter, then repeated, bracketed and unknown ones.
      const baseValues: Record<string, string> = {};
      for (const q of queryParams) {
        for (const raw of queryValues(q.schema)) {
          const ok = querySatisfies(q.schema, decodedQuery(raw));
          add({ kind: 'query', name: `${q.name}=${raw.length > 40 ? `${raw.slice(0, 20)}...(${raw.length})` : raw}`, path: `${basePath}?${q.name}=${raw}`, expect: ok ? 'any' : '4xx' });
        }
        const valid = queryValues(q.schema).map(decodedQuery).find((v) => querySatisfies(q.schema, v));
        if (valid !== undefined) {
          baseValues[q.name] = valid;
          const repeatedExpect = types(q.schema)?.includes('array') ? 'any' : '4xx';
          add({ kind: 'query', name: `${q.name} repeated`, path: `${basePath}?${q.name}=${encodeURIComponent(valid)}&${q.name}=${encodeURIComponent(valid)}`, expect: repeatedExpect });
          add({ kind: 'query', name: `${q.name}[]`, path: `${basePath}?${q.name}[]=${encodeURIComponent(valid)}`, expect: 'any' });
          add({ kind: 'query', name: `${q.name}[a]`, path: `${basePath}?${q.name}[a]=${encodeURIComponent(valid)}`, expect: 'any' });
        }
      }
      if (queryParams.length > 1) {
        const all = Object.entries(baseValues).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        add({ kind: 'query', name: 'every parameter at once', path: `${basePath}?${all}`, expect: 'any' });
      }
      for (const unknown of ['__proto__=x', 'constructor=x', 'hasOwnProperty=1', 'toString=1', 'a=%ZZ', `${'k'.repeat(2000)}=1`, Array.from({ length: 300 }, (_, i) => `p${i}=${i}`).join('&')]) {
        add({ kind: 'query', name: `unknown ${unknown.slice(0, 30)}`, path: `${basePath}?${unknown}`, expect: 'any' });
      }

      // Path tricks on every path parameter.
      for (const p of pathParams) {
        for (const [label, raw, errorType] of PATH_TRICKS) {
          add({ kind: 'path-trick', name: `${p.name}: ${label}`, path: pathWith({ [p.name]: raw }), expect: '4xx', ...(errorType && { errorType }) });
        }
        const v = encodeURIComponent(valueOf(p.name));
        for (const [label, raw] of [['trailing NUL', `${v}%00`], ['upper case', v.toUpperCase() === v ? `${v}X` : v.toUpperCase()], ['trailing space', `${v}%20`], ['with a suffix', `${v}%2Fx`], ['doubled', `${v}${v}`]]) {
          add({ kind: 'path-trick', name: `${p.name}: ${label}`, path: pathWith({ [p.name]: raw }), expect: '4xx' });
        }
        // Express matches a trailing slash like none, so this one may succeed.
        add({ kind: 'path-trick', name: `${p.name}: trailing slash`, path: pathWith({ [p.name]: `${v}/` }), expect: 'any' });
      }

      // Auth abuse where the operation needs a key.
      if (op.security && op.security.length > 0) {
        const without = Object.fromEntries(Object.entries(bodySchema ? jsonHeaders : common).filter(([k]) => k.toLowerCase() !== 'authorization'));
        for (const [label, value] of [['none', undefined], ['empty bearer', 'Bearer '], ['wrong key', 'Bearer wrong-key'], ['basic', 'Basic YWRtaW46YWRtaW4='], ['long key', `Bearer ${'k'.repeat(8_000)}`], ['unicode key', 'Bearer %E2%9C%93'], ['bearer twice', 'Bearer a Bearer b']] as const) {
          add({ kind: 'auth', name: `authorization: ${label}`, headers: value === undefined ? without : { ...without, authorization: value }, expect: '4xx' });
        }
      }

      // Wrong methods, once per path (on the first documented operation).
      if (lower === Object.keys(operations)[0]) {
        for (const wrong of WRONG_METHODS.filter((m) => !documented.includes(m))) {
          add({ kind: 'method', name: wrong, method: wrong, headers: { ...jsonHeaders }, body: json(baseBody ?? {}), expect: wrong === 'OPTIONS' ? 'any' : '4xx' });
        }
      }
    }
  }
  return cases;
}

/** An array nested `depth` levels deep around a string. */
function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Cases per route, for the test's report. */
export function countByRoute(cases: readonly FuzzCase[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of cases) counts[c.route] = (counts[c.route] ?? 0) + 1;
  return counts;
}
