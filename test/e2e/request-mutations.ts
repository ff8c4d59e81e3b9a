import fc from 'fast-check';
import {
  changedAt,
  type IdHints,
  sitesOf,
  type ValueSite,
  validArbitrary,
} from './json-schema-arbitrary.ts';
import type { OpenApiDocument, Operation, Parameter } from './openapi-operations.ts';

/** A request as the schema would accept it, before a mutation spoils one part of it. */
export interface Draft {
  pathParams: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

/** What goes on the wire. `path` and `query` are already encoded (or deliberately not). */
export interface WireRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | undefined;
  mutation: string;
}

export type Mutation =
  | { kind: 'none' }
  | { kind: 'dropRequired'; pick: number }
  | { kind: 'replaceValue'; pick: number; junk: unknown }
  | { kind: 'extraField'; pick: number; key: string; junk: unknown }
  | { kind: 'wholeBody'; junk: unknown }
  | { kind: 'overlongString'; pick: number; length: number }
  | { kind: 'longArray'; pick: number; size: number }
  | { kind: 'deepNesting'; pick: number; depth: number }
  | { kind: 'malformedJson'; text: string }
  | { kind: 'wrongContentType'; contentType: string | undefined }
  | { kind: 'tooLarge' }
  | { kind: 'badPathParam'; pick: number; value: string; raw: boolean }
  | { kind: 'badQueryParam'; pick: number; value: string; raw: boolean }
  | { kind: 'duplicateQuery'; pick: number; value: string }
  | { kind: 'unknownQuery'; value: string }
  | { kind: 'dropHeader'; pick: number }
  | { kind: 'badHeader'; pick: number; value: string }
  | { kind: 'nulInString'; pick: number; at: number };

const nested = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
};

const controlChars = fc.string({
  unit: fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 12,
});

/** Wrong types, nulls, extreme numbers, hostile strings and shapes. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    -2_147_483_649,
    2_147_483_648,
    2 ** 53 + 2,
    1e308,
    -1e308,
    1.5,
    -0.25,
    1e-300,
    '',
    ' ',
    '0',
    '-1',
    'null',
    'NaN',
    '1e999',
    [],
    {},
    [null],
    [[[]]],
    { a: { b: { c: {} } } },
    'x'.repeat(300),
    'x'.repeat(6_000),
    '\u0000',
    'a\u0000b',
    '\u0007\u001b[31m',
    '\u202e\u2066',
    '\ud800',
    '\udfff\ud800',
    '😀'.repeat(80),
    'Z\u0351\u0352\u0353',
    "'; drop table users.accounts; --",
    '<script>alert(1)</script>',
    '../../etc/passwd',
  ),
  fc.string({ unit: 'binary', maxLength: 60 }),
  controlChars,
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.integer(), { minLength: 51, maxLength: 120 }),
);

const pathJunkEncoded = fc.oneof(
  fc.constantFrom(
    'abc',
    '1',
    '-1',
    '0',
    'null',
    'undefined',
    'me',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b0',
    '6f1c2a4e3b5d4e7f9a1b2c3d4e5f6a7b',
    '{6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b}',
    ' 6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b',
    'x'.repeat(3_000),
    '\u0000',
    'ü',
    '😀',
    "' or 1=1 --",
    '..',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
);
/** Sent as they are: broken percent-encoding and encoded separators. */
const rawJunk = fc.constantFrom('%', '%zz', '%ED%A0%80', '%C0%AF', '%00', '%2F', '%2e%2e', ';x');
const queryJunk = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '0',
    '-0',
    '1.5',
    '1e3',
    '1e999',
    '0x10',
    'abc',
    ' 1',
    '99999999999999999999',
    '2147483648',
    'NaN',
    'Infinity',
    '[]',
    'true',
    'x'.repeat(2_000),
    '\u0000',
    '😀',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const malformedJson = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '[',
    '{"a":',
    '{"a":1,}',
    "{'a':1}",
    'nul',
    'NaN',
    '"unterminated',
    '{"a":"\\u00"}',
    '{"a":1}{"b":2}',
    '\uFEFF{}',
    '\u0000',
    '{"__proto__":{"polluted":true}}',
  ),
  fc.string({ maxLength: 40 }),
);
const headerJunk = fc.constantFrom(
  '',
  ' ',
  'x'.repeat(201),
  'y'.repeat(5_000),
  'ÿþ',
  'a\tb',
  'été',
);

const encode = (value: string) => {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be encoded; send the bytes of one instead.
    return '%ED%A0%80';
  }
};

export interface OperationShape {
  pathParams: Parameter[];
  queryParams: Parameter[];
  headerParams: Parameter[];
  hasBody: boolean;
}

export const shapeOf = (op: Operation): OperationShape => ({
  pathParams: op.parameters.filter((p) => p.in === 'path'),
  queryParams: op.parameters.filter((p) => p.in === 'query'),
  headerParams: op.parameters.filter((p) => p.in === 'header'),
  hasBody: op.bodySchema !== undefined,
});

export function draftArbitrary(
  doc: OpenApiDocument,
  op: Operation,
  hints: IdHints,
): fc.Arbitrary<Draft> {
  const shape = shapeOf(op);
  const asText = (p: Parameter) => validArbitrary(doc, p.schema, hints, p.name).map(String);
  return fc.record({
    pathParams: fc.record(Object.fromEntries(shape.pathParams.map((p) => [p.name, asText(p)]))),
    query: fc.record(Object.fromEntries(shape.queryParams.map((p) => [p.name, asText(p)])), {
      requiredKeys: shape.queryParams.filter((p) => p.required).map((p) => p.name),
    }),
    // The only documented header is Idempotency-Key; a fresh one each time.
    headers: fc.record(
      Object.fromEntries(shape.headerParams.map((p) => [p.name, fc.uuid({ version: 4 })])),
    ),
    body: op.bodySchema ? validArbitrary(doc, op.bodySchema, hints) : fc.constant(undefined),
  });
}

const pick = fc.nat();

/** The mutations that make sense for this operation's shape. */
export function mutationArbitrary(op: Operation): fc.Arbitrary<Mutation> {
  const shape = shapeOf(op);
  const options: Array<fc.WeightedArbitrary<Mutation>> = [
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  ];
  const add = (weight: number, arbitrary: fc.Arbitrary<Mutation>) =>
    options.push({ weight, arbitrary });
  if (shape.hasBody) {
    add(3, fc.record({ kind: fc.constant('dropRequired' as const), pick }));
    add(6, fc.record({ kind: fc.constant('replaceValue' as const), pick, junk: junkValue }));
    add(
      1,
      fc.record({
        kind: fc.constant('extraField' as const),
        pick,
        key: fc.constantFrom(
          'extra',
          'role',
          'roles',
          'userId',
          'id',
          'status',
          '__proto__',
          'a\u0000b',
        ),
        junk: junkValue,
      }),
    );
    add(2, fc.record({ kind: fc.constant('wholeBody' as const), junk: junkValue }));
    add(
      2,
      fc.record({
        kind: fc.constant('overlongString' as const),
        pick,
        length: fc.constantFrom(201, 5_001, 100_000),
      }),
    );
    add(
      1,
      fc.record({
        kind: fc.constant('longArray' as const),
        pick,
        size: fc.constantFrom(51, 1_001, 20_000),
      }),
    );
    add(
      1,
      fc.record({
        kind: fc.constant('deepNesting' as const),
        pick,
        depth: fc.constantFrom(50, 2_000),
      }),
    );
    add(2, fc.record({ kind: fc.constant('malformedJson' as const), text: malformedJson }));
    add(
      2,
      fc.record({
        kind: fc.constant('wrongContentType' as const),
        contentType: fc.constantFrom(
          undefined,
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/json-patch+json; charset=iso-8859-1',
        ),
      }),
    );
    add(1, fc.constant({ kind: 'tooLarge' as const }));
  }
  if (shape.pathParams.length > 0) {
    add(
      4,
      fc.record({
        kind: fc.constant('badPathParam' as const),
        pick,
        value: pathJunkEncoded,
        raw: fc.constant(false),
      }),
    );
    add(
      2,
      fc.record({
        kind: fc.constant('badPathParam' as const),
        pick,
        value: rawJunk,
        raw: fc.constant(true),
      }),
    );
  }
  if (shape.queryParams.length > 0) {
    add(
      4,
      fc.record({
        kind: fc.constant('badQueryParam' as const),
        pick,
        value: queryJunk,
        raw: fc.constant(false),
      }),
    );
    add(
      1,
      fc.record({
        kind: fc.constant('badQueryParam' as const),
        pick,
        value: rawJunk,
        raw: fc.constant(true),
      }),
    );
    add(1, fc.record({ kind: fc.constant('duplicateQuery' as const), pick, value: queryJunk }));
    add(1, fc.record({ kind: fc.constant('unknownQuery' as const), value: queryJunk }));
  }
  if (shape.hasBody || shape.pathParams.length > 0 || shape.queryParams.length > 0) {
    // The value stays otherwise valid, so only the NUL character can be what refuses it.
    add(3, fc.record({ kind: fc.constant('nulInString' as const), pick, at: fc.nat() }));
  }
  if (shape.headerParams.length > 0) {
    add(2, fc.record({ kind: fc.constant('dropHeader' as const), pick }));
    add(2, fc.record({ kind: fc.constant('badHeader' as const), pick, value: headerJunk }));
  }
  return fc.oneof(...options);
}

const choose = <T>(items: T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

/** The draft with the mutation applied, as it goes on the wire. */
export function applyMutation(
  doc: OpenApiDocument,
  op: Operation,
  draft: Draft,
  mutation: Mutation,
): WireRequest {
  const shape = shapeOf(op);
  const pathValues: Record<string, string> = Object.fromEntries(
    Object.entries(draft.pathParams).map(([k, v]) => [k, encode(v)]),
  );
  let query: Array<[string, string]> = Object.entries(draft.query).map(([k, v]) => [
    encode(k),
    encode(v),
  ]);
  const headers: Record<string, string> = { ...draft.headers };
  let body: unknown = draft.body;
  let text: string | undefined;
  let contentType: string | undefined = shape.hasBody ? 'application/json' : undefined;
  let note: string = mutation.kind;
  const sites = (filter: (site: ValueSite) => boolean = () => true) =>
    op.bodySchema ? sitesOf(doc, op.bodySchema, body).filter(filter) : [];
  const at = (site: ValueSite | undefined) => (site ? site.path.join('.') : '(root)');

  switch (mutation.kind) {
    case 'none':
      break;
    case 'dropRequired': {
      const site =
        choose(
          sites((s) => s.required),
          mutation.pick,
        ) ?? choose(sites(), mutation.pick);
      if (site) body = changedAt(body, site.path, undefined, true);
      else body = {};
      note = `drop ${at(site)}`;
      break;
    }
    case 'replaceValue': {
      const site = choose(sites(), mutation.pick);
      body = site ? changedAt(body, site.path, mutation.junk) : mutation.junk;
      note = `${at(site)} = ${preview(mutation.junk)}`;
      break;
    }
    case 'extraField': {
      const objects = [
        [] as Array<string | number>,
        ...sites((s) => isObject(s.value)).map((s) => s.path),
      ];
      const path = choose(objects, mutation.pick) ?? [];
      body = changedAt(body, [...path, mutation.key], mutation.junk);
      note = `extra ${[...path, mutation.key].join('.')} = ${preview(mutation.junk)}`;
      break;
    }
    case 'wholeBody':
      body = mutation.junk;
      note = `body = ${preview(mutation.junk)}`;
      break;
    case 'overlongString': {
      const site = choose(
        sites((s) => typeof s.value === 'string'),
        mutation.pick,
      );
      if (site) body = changedAt(body, site.path, 'x'.repeat(mutation.length));
      note = `${at(site)} = 'x' × ${mutation.length}`;
      break;
    }
    case 'longArray': {
      const site = choose(
        sites((s) => Array.isArray(s.value)),
        mutation.pick,
      );
      const target = site ?? choose(sites(), mutation.pick);
      const item = site ? (site.value as unknown[])[0] : target?.value;
      const long = Array.from({ length: mutation.size }, () => item ?? null);
      body = target ? changedAt(body, target.path, long) : long;
      note = `${at(target)} = array of ${mutation.size}`;
      break;
    }
    case 'deepNesting': {
      const site = choose(sites(), mutation.pick);
      body = site ? changedAt(body, site.path, nested(mutation.depth)) : nested(mutation.depth);
      note = `${at(site)} nested ${mutation.depth} deep`;
      break;
    }
    case 'malformedJson':
      text = mutation.text;
      note = `malformed JSON ${preview(mutation.text)}`;
      break;
    case 'wrongContentType':
      contentType = mutation.contentType;
      note = `content-type ${mutation.contentType ?? '(none)'}`;
      break;
    case 'tooLarge':
      text = JSON.stringify({ ...(isObject(body) ? body : {}), padding: 'x'.repeat(1_100_000) });
      note = 'body over 1 MiB';
      break;
    case 'badPathParam': {
      const param = choose(shape.pathParams, mutation.pick)!;
      pathValues[param.name] = mutation.raw ? mutation.value : encode(mutation.value);
      note = `path ${param.name} = ${preview(mutation.value)}${mutation.raw ? ' (raw)' : ''}`;
      break;
    }
    case 'badQueryParam': {
      const param = choose(shape.queryParams, mutation.pick)!;
      query = query.filter(([k]) => k !== param.name);
      query.push([param.name, mutation.raw ? mutation.value : encode(mutation.value)]);
      note = `query ${param.name} = ${preview(mutation.value)}${mutation.raw ? ' (raw)' : ''}`;
      break;
    }
    case 'duplicateQuery': {
      const param = choose(shape.queryParams, mutation.pick)!;
      query.push([param.name, '1'], [param.name, encode(mutation.value)]);
      note = `query ${param.name} twice (1, ${preview(mutation.value)})`;
      break;
    }
    case 'unknownQuery':
      query.push(['unknown', encode(mutation.value)]);
      note = `query unknown = ${preview(mutation.value)}`;
      break;
    case 'dropHeader': {
      const param = choose(shape.headerParams, mutation.pick)!;
      delete headers[param.name];
      note = `drop header ${param.name}`;
      break;
    }
    case 'nulInString': {
      const withNul = (value: string) =>
        `${value.slice(0, mutation.at % (value.length + 1))}\u0000${value.slice(mutation.at % (value.length + 1))}`;
      const site = choose(
        sites((s) => typeof s.value === 'string'),
        mutation.pick,
      );
      const params = [
        ...Object.keys(draft.pathParams).map((name) => ['path', name] as const),
        ...Object.keys(draft.query).map((name) => ['query', name] as const),
      ];
      const param = choose(params, mutation.pick);
      if (site) {
        body = changedAt(body, site.path, withNul(site.value as string));
        note = `${at(site)} with a NUL`;
      } else if (param?.[0] === 'path') {
        pathValues[param[1]] = encode(withNul(draft.pathParams[param[1]] ?? ''));
        note = `path ${param[1]} with a NUL`;
      } else if (param?.[0] === 'query') {
        query = query.filter(([k]) => k !== param[1]);
        query.push([param[1], encode(withNul(draft.query[param[1]] ?? ''))]);
        note = `query ${param[1]} with a NUL`;
      } else {
        body = '\u0000';
        note = 'body = "\\u0000"';
      }
      break;
    }
    case 'badHeader': {
      const param = choose(shape.headerParams, mutation.pick)!;
      headers[param.name] = mutation.value;
      note = `header ${param.name} = ${preview(mutation.value)}`;
      break;
    }
  }

  if (contentType) headers['content-type'] = contentType;
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => pathValues[name] ?? '');
  return {
    method: op.method,
    path,
    query: query.length > 0 ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '',
    headers,
    body: shape.hasBody
      ? (text ?? (body === undefined ? undefined : JSON.stringify(body)))
      : undefined,
    mutation: note,
  };
}

/** The media types Hono's validator parses as JSON (hono/validator's `jsonRegex`). */
const jsonMediaType = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/;

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
};

const holdsNul = (value: unknown): boolean => {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, child]) => key.includes('\u0000') || holdsNul(child));
};

/**
 * Whether a NUL character reaches what the route validates: a string (or key) of a JSON body
 * sent as JSON, a path segment or a query key or value, once decoded. The API must refuse
 * such a request with 400, whatever else it holds.
 */
export function carriesNul(request: WireRequest): boolean {
  const contentType = request.headers['content-type'] ?? '';
  let body: unknown;
  try {
    body = jsonMediaType.test(contentType) && request.body ? JSON.parse(request.body) : undefined;
  } catch {
    // Malformed JSON never reaches a schema.
  }
  const inPath = request.path.split('/').some((segment) => decoded(segment).includes('\u0000'));
  const inQuery = request.query
    .replace(/^\?/, '')
    .split('&')
    .some((pair) => decoded(pair.replaceAll('+', ' ')).includes('\u0000'));
  return holdsNul(body) || inPath || inQuery;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A short, printable rendering of a value for failure messages. */
export function preview(value: unknown): string {
  const text =
    typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'undefined');
  return text.length > 80 ? `${text.slice(0, 77)}… (${text.length} chars)` : text;
}
