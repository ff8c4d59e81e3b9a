import { z } from 'zod';
import type { EventContract } from '../platform/bus/event-contract.ts';
import type { Subscription } from '../platform/bus/subscription.ts';

// The event catalogue (docs/events.md), rendered from the contracts themselves so it cannot
// drift from the code. Pure: the CLI in event-docs.ts does the reading and writing.

export interface CatalogueModule {
  name: string;
  publishes?: readonly EventContract[];
  subscriptions?: readonly Subscription[];
}

/** One payload field; nested objects are flattened to dotted paths, array elements get `[]`. */
export interface EventField {
  path: string;
  type: string;
  optional: boolean;
  nullable: boolean;
  description?: string;
}

/** The subset of JSON Schema that zod emits and the catalogue reads. */
interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  description?: string;
}

/**
 * Reads the payload through zod's own JSON Schema export (a public, stable view of the schema)
 * rather than zod's internals. Output side: what subscribers receive, defaults applied.
 */
export function eventFields(contract: EventContract): EventField[] {
  const root = z.toJSONSchema(contract.payload, {
    io: 'output',
    unrepresentable: 'any',
  }) as JsonSchema;
  const defs = root.$defs ?? {};
  const resolve = (schema: JsonSchema): JsonSchema => {
    const name = schema.$ref?.match(/^#\/\$defs\/(.+)$/)?.[1];
    return name && defs[name] ? { ...defs[name], ...withoutRef(schema) } : schema;
  };

  /** Splits `X | null` into X and the fact that null is allowed. */
  const unwrap = (schema: JsonSchema): { core: JsonSchema; nullable: boolean } => {
    const resolved = resolve(schema);
    const variants = resolved.anyOf ?? resolved.oneOf;
    if (variants) {
      const others = variants.filter((variant) => !isNull(variant));
      if (others.length < variants.length) {
        const core = others.length === 1 && others[0] ? resolve(others[0]) : { anyOf: others };
        return { core, nullable: true };
      }
    }
    if (Array.isArray(resolved.type) && resolved.type.includes('null')) {
      const types = resolved.type.filter((type) => type !== 'null');
      return { core: { ...resolved, type: types.length === 1 ? types[0] : types }, nullable: true };
    }
    return { core: resolved, nullable: false };
  };

  const typeName = (schema: JsonSchema, depth = 0): string => {
    const resolved = resolve(schema);
    if (depth > 8 || resolved.$ref) return 'object';
    if (resolved.const !== undefined) return JSON.stringify(resolved.const);
    if (resolved.enum) return resolved.enum.map((value) => JSON.stringify(value)).join(' | ');
    const variants = resolved.anyOf ?? resolved.oneOf;
    if (variants) {
      return variants.map((variant) => typeName(variant, depth + 1)).join(' | ');
    }
    if (resolved.allOf) return resolved.allOf.map((part) => typeName(part, depth + 1)).join(' & ');
    const type = Array.isArray(resolved.type) ? resolved.type.join(' | ') : resolved.type;
    switch (type) {
      case 'array': {
        const element = resolved.items ? typeName(resolved.items, depth + 1) : 'unknown';
        return /[|&]/.test(element) ? `(${element})[]` : `${element}[]`;
      }
      case 'object': {
        const extra = resolved.additionalProperties;
        if (!resolved.properties && typeof extra === 'object') {
          return `record<string, ${typeName(extra, depth + 1)}>`;
        }
        return 'object';
      }
      case 'string':
        return resolved.format ? `string (${resolved.format})` : 'string';
      case undefined:
        return 'unknown';
      default:
        return type;
    }
  };

  const fieldsOf = (schema: JsonSchema, prefix: string, depth: number): EventField[] => {
    if (depth > 8) return [];
    const required = new Set(schema.required ?? []);
    return Object.entries(schema.properties ?? {}).flatMap(([key, property]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      const { core, nullable } = unwrap(property);
      const description = property.description ?? core.description;
      const field: EventField = {
        path,
        type: typeName(core),
        optional: !required.has(key),
        nullable,
        ...(description && { description }),
      };
      return [field, ...nestedFields(core, path, depth + 1)];
    });
  };

  const nestedFields = (schema: JsonSchema, path: string, depth: number): EventField[] => {
    if (schema.properties) return fieldsOf(schema, path, depth);
    if (schema.type === 'array' && schema.items) {
      return nestedFields(unwrap(schema.items).core, `${path}[]`, depth);
    }
    return [];
  };

  if (resolve(root).properties) return fieldsOf(resolve(root), '', 0);
  // A payload that is not an object (rare) is shown as one row.
  const { core, nullable } = unwrap(root);
  return [{ path: '(payload)', type: typeName(core), optional: false, nullable }];
}

const withoutRef = ({ $ref: _ref, ...rest }: JsonSchema): JsonSchema => rest;
const isNull = (schema: JsonSchema) => schema.type === 'null';

interface CatalogueEntry {
  contract: EventContract;
  publishers: string[];
  subscribers: string[];
}

/** Every event the modules publish or subscribe to, keyed by name and version. */
function collectEvents(modules: readonly CatalogueModule[]): CatalogueEntry[] {
  const entries = new Map<string, CatalogueEntry>();
  const entryFor = (contract: EventContract) => {
    const key = `${contract.name}@${contract.version}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = { contract, publishers: [], subscribers: [] };
      entries.set(key, entry);
    }
    return entry;
  };
  for (const module of modules) {
    for (const contract of module.publishes ?? []) entryFor(contract).publishers.push(module.name);
    for (const subscription of module.subscriptions ?? []) {
      entryFor(subscription.event).subscribers.push(subscription.subscriber);
    }
  }
  // Sorted throughout, so the file changes only when the contracts or subscribers do.
  for (const entry of entries.values()) {
    entry.publishers.sort();
    entry.subscribers.sort();
  }
  return [...entries.values()].sort(
    (a, b) =>
      a.contract.name.localeCompare(b.contract.name) || a.contract.version - b.contract.version,
  );
}

/** Table cells: a `|` or a line break would end the cell. */
const cell = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string) => `\`${text}\``;
const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');
const heading = (contract: EventContract) => `${code(contract.name)} v${contract.version}`;
/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to dashes. */
const anchor = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
const list = (names: string[], none: string) =>
  names.length > 0 ? names.map(code).join(', ') : none;

function renderEvent(entry: CatalogueEntry): string[] {
  const { contract } = entry;
  const fields = eventFields(contract);
  const described = fields.some((field) => field.description);
  const lines = [
    `## ${heading(contract)}`,
    '',
    contract.description,
    '',
    `- Publisher: ${list(entry.publishers, 'none among the monolith’s modules')}`,
    `- Subscribers: ${list(entry.subscribers, 'none')}`,
    '',
    `| Field | Type | Optional | Nullable |${described ? ' Description |' : ''}`,
    `| --- | --- | --- | --- |${described ? ' --- |' : ''}`,
  ];
  for (const field of fields) {
    const columns = [
      code(field.path),
      cell(field.type),
      yesNo(field.optional),
      yesNo(field.nullable),
      ...(described ? [cell(field.description ?? '')] : []),
    ];
    lines.push(`| ${columns.join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

/** docs/events.md: an index of every event, then each event's fields, publisher and subscribers. */
export function renderEventCatalogue(modules: readonly CatalogueModule[]): string {
  const entries = collectEvents(modules);
  const lines = [
    '# Event catalogue',
    '',
    '<!-- Generated by `npm run docs:events` from the event contracts; do not edit by hand. -->',
    '',
    'Every event travels in an envelope: `name`, `version`, `payload` (the fields below) and',
    '`metadata` (`id`, `occurredAt`, `correlationId`, `causationId`, `traceId`). Delivery is at',
    'least once; each subscriber handles an event id once (inbox).',
    '',
    '| Event | Version | Publisher | Subscribers |',
    '| --- | --- | --- | --- |',
    ...entries.map(
      (entry) =>
        `| [${code(entry.contract.name)}](#${anchor(heading(entry.contract))}) | ${entry.contract.version} | ${list(entry.publishers, '—')} | ${list(entry.subscribers, '—')} |`,
    ),
    '',
    ...entries.flatMap(renderEvent),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
