import fc from 'fast-check';
import { type JsonSchema, type OpenApiDocument, resolveSchema } from './openapi-operations.ts';

/**
 * Valid-looking values for the subset of JSON Schema the API's zod schemas produce: objects
 * with required properties, strings with uuid/email formats, simple patterns and lengths,
 * enums, integer ranges, booleans and bounded arrays.
 */

/** Real ids for a property or parameter name (e.g. productId), so requests reach the service. */
export type IdHints = (name: string) => string[] | undefined;

const typeOf = (schema: JsonSchema): string | undefined => {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  return undefined;
};

/** A value the sandbox payment provider treats as an outage (a documented 503), never generated. */
const providerOutageToken = 'tok_error';

function stringArbitrary(schema: JsonSchema, name: string, hints: IdHints): fc.Arbitrary<string> {
  if (schema.format === 'uuid') {
    const ids = hints(name) ?? [];
    const random = fc.uuid({ version: 4 });
    return ids.length > 0
      ? fc.oneof(
          { arbitrary: fc.constantFrom(...ids), weight: 4 },
          { arbitrary: random, weight: 1 },
        )
      : random;
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 10_000;
  if (schema.format === 'email') {
    return fc.stringMatching(/^[a-z0-9]{1,16}$/).map((local) => `${local}@example.com`);
  }
  const fitting = (value: string) =>
    value.length >= min && value.length <= max && value !== providerOutageToken;
  const generated = schema.pattern
    ? fc.stringMatching(new RegExp(schema.pattern)).filter(fitting)
    : fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 24)) }).filter(fitting);
  return typeof schema.example === 'string'
    ? fc.oneof(
        { arbitrary: fc.constant(schema.example), weight: 2 },
        { arbitrary: generated, weight: 1 },
      )
    : generated;
}

export function validArbitrary(
  doc: OpenApiDocument,
  raw: JsonSchema,
  hints: IdHints,
  name = '',
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((v) => validArbitrary(doc, v, hints, name)));
  if (schema.allOf?.[0]) return validArbitrary(doc, schema.allOf[0], hints, name);

  switch (typeOf(schema)) {
    case 'object': {
      const properties = schema.properties ?? {};
      const shape = Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [
          key,
          validArbitrary(doc, value, hints, key),
        ]),
      );
      const required = (schema.required ?? []).filter((key) => key in properties);
      return fc.record(shape, { requiredKeys: required });
    }
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 3, minLength + 3);
      return fc.array(validArbitrary(doc, schema.items ?? {}, hints, name), {
        minLength,
        maxLength,
      });
    }
    case 'integer':
      return fc.integer({
        min: schema.minimum ?? (schema.exclusiveMinimum ?? -1_000_001) + 1,
        max: schema.maximum ?? (schema.exclusiveMaximum ?? 1_000_001) - 1,
      });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'string':
      return stringArbitrary(schema, name, hints);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export type JsonPath = Array<string | number>;

export interface ValueSite {
  path: JsonPath;
  /** The schema at this place, references resolved. */
  schema: JsonSchema;
  /** Whether the enclosing object requires this property. */
  required: boolean;
  value: unknown;
}

/** Every place inside `value` (not the root), paired with the schema that governs it. */
export function sitesOf(
  doc: OpenApiDocument,
  raw: JsonSchema,
  value: unknown,
  path: JsonPath = [],
): ValueSite[] {
  const schema = resolveSchema(doc, raw);
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => {
      const itemSchema = resolveSchema(doc, schema.items ?? {});
      const at = [...path, index];
      return [
        { path: at, schema: itemSchema, required: false, value: item },
        ...sitesOf(doc, itemSchema, item, at),
      ];
    });
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => {
      const childSchema = resolveSchema(doc, schema.properties?.[key] ?? {});
      const at = [...path, key];
      return [
        {
          path: at,
          schema: childSchema,
          required: (schema.required ?? []).includes(key),
          value: child,
        },
        ...sitesOf(doc, childSchema, child, at),
      ];
    });
  }
  return [];
}

const clone = <T>(value: T): T => structuredClone(value);

/** A copy of `root` with the value at `path` replaced (or removed when `remove`). */
export function changedAt(root: unknown, path: JsonPath, next: unknown, remove = false): unknown {
  if (path.length === 0) return next;
  const copy = clone(root);
  let parent = copy as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    // defineProperty, so a key like `__proto__` becomes an own (serialised) property.
    Object.defineProperty(parent, last, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
