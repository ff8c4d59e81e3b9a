import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonSchema, OpenApiDocument } from './openapi-operations.ts';

// Checks one live answer against the served OpenAPI 3.1 document: is the status documented for
// the operation the request reached, is the content type one it documents, does the body match
// its schema (JSON Schema 2020-12, as OpenAPI 3.1 says), are its required headers there.

/** One request and its answer, as the wire carried them. */
export interface Exchange {
  method: string;
  /** Path and query as sent, e.g. `/api/orders?page=2`. */
  target: string;
  status: number;
  headers: Headers;
  text: string;
}

export interface Violation {
  /** `placeOrder (POST /api/orders)`, or the method and path when no operation matches. */
  operation: string;
  status: number;
  problem: string;
  /** ajv's findings, one line each, when the body broke the schema. */
  details: string[];
  request: string;
}

interface ResponseDoc {
  content?: Record<string, { schema?: JsonSchema }>;
  headers?: Record<string, { required?: boolean }>;
}

interface DocumentedOperation {
  /** `placeOrder (POST /api/orders)`: how a finding names it. */
  label: string;
  responses: Record<string, ResponseDoc>;
}

interface PathEntry {
  path: string;
  pattern: RegExp;
  params: number;
  operations: Map<string, DocumentedOperation>;
}

const httpMethods = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options', 'trace'];
/** Keywords OpenAPI 3.1 adds to JSON Schema; they annotate and never reject. */
const openApiKeywords = ['example', 'discriminator', 'xml', 'externalDocs'];
const COMPONENTS_ID = 'openapi-components';

const isJson = (mediaType: string) => /^application\/(?:[\w.-]+\+)?json$/.test(mediaType);
const essence = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

function matchesMediaType(documented: string, actual: string): boolean {
  if (documented === '*/*') return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return documented.toLowerCase() === actual;
}

/** `/api/orders/{id}` → a pattern that matches one concrete path segment per parameter. */
function pathPattern(path: string): RegExp {
  const source = path
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${source}$`);
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '(root)';
  const params =
    error.keyword === 'additionalProperties'
      ? ` (${String(error.params.additionalProperty)})`
      : error.keyword === 'enum'
        ? ` (${JSON.stringify(error.params.allowedValues)})`
        : '';
  return `${where} ${error.message ?? error.keyword}${params}`;
}

/**
 * A checker for one document: schemas are compiled the first time an (operation, status,
 * media type) is answered and reused after, so thousands of answers stay cheap.
 */
export function responseConformance(doc: OpenApiDocument) {
  // Component references point into the document; give the components an id of their own so
  // every compiled response schema can reach them.
  const rewritten = JSON.parse(
    JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`),
  ) as OpenApiDocument;
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats.default(ajv);
  // A format OpenAPI names as a hint for tools (mask the input); any string is one.
  ajv.addFormat('password', true);
  ajv.addVocabulary(openApiKeywords);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewritten.components.schemas });

  const paths: PathEntry[] = Object.entries(rewritten.paths)
    .map(([path, item]) => ({
      path,
      pattern: pathPattern(path),
      params: (path.match(/\{/g) ?? []).length,
      operations: new Map(
        Object.entries(item)
          .filter(([method]) => httpMethods.includes(method))
          .map(([method, raw]) => {
            const operation = raw as {
              operationId?: string;
              responses: DocumentedOperation['responses'];
            };
            const label = `${method.toUpperCase()} ${path}`;
            return [
              method.toUpperCase(),
              {
                label: operation.operationId ? `${operation.operationId} (${label})` : label,
                responses: operation.responses,
              },
            ];
          }),
      ),
    }))
    // A literal segment wins over a parameter, as the router decides: /users/me before /users/{id}.
    .sort((a, b) => a.params - b.params);

  const problemSchema = rewritten.components.schemas.Problem;
  // Per answer kind, then per schema text: the many `$ref: Problem` answers share one function.
  const byAnswer = new Map<string, ValidateFunction>();
  const bySchema = new Map<string, ValidateFunction>();
  const validatorFor = (key: string, schema: JsonSchema) => {
    let validate = byAnswer.get(key);
    if (!validate) {
      const text = JSON.stringify(schema);
      validate = bySchema.get(text) ?? ajv.compile(schema);
      bySchema.set(text, validate);
      byAnswer.set(key, validate);
    }
    return validate;
  };

  function checkBody(
    key: string,
    schema: JsonSchema | undefined,
    exchange: Exchange,
    report: (problem: string, details?: string[]) => void,
  ) {
    let body: unknown;
    try {
      body = JSON.parse(exchange.text);
    } catch {
      report(`the body is not JSON: ${JSON.stringify(exchange.text.slice(0, 80))}`);
      return;
    }
    if (!schema) return;
    const validate = validatorFor(key, schema);
    if (!validate(body)) {
      report(
        'the body does not match the documented schema',
        (validate.errors ?? []).slice(0, 8).map(describeError),
      );
    }
  }

  /** Answers of the app itself for a request no operation covers: unknown path or method. */
  function checkUnrouted(
    exchange: Exchange,
    label: string,
    report: (p: string, d?: string[]) => void,
  ) {
    const { status } = exchange;
    if (status !== 404 && status !== 405) {
      report(`no operation is documented for ${label}, yet it answered ${status}, not 404 or 405`);
      return;
    }
    const mediaType = essence(exchange.headers.get('content-type') ?? '');
    if (mediaType !== 'application/problem+json') {
      report(
        `a ${status} for an unknown route must be application/problem+json, not ${mediaType || '(none)'}`,
      );
      return;
    }
    checkBody('unrouted', problemSchema, exchange, report);
  }

  return {
    check(exchange: Exchange): Violation[] {
      const violations: Violation[] = [];
      const pathname = new URL(exchange.target, 'http://answer.invalid').pathname;
      const entry = paths.find((candidate) => candidate.pattern.test(pathname));
      const operation = entry?.operations.get(exchange.method.toUpperCase());
      const request = `${exchange.method} ${exchange.target.slice(0, 160)}`;
      const report = (problem: string, details: string[] = []) =>
        violations.push({
          operation: operation?.label ?? `${exchange.method.toUpperCase()} ${pathname}`,
          status: exchange.status,
          problem,
          details,
          request,
        });

      if (!operation) {
        checkUnrouted(
          exchange,
          `${exchange.method.toUpperCase()} ${entry?.path ?? pathname}`,
          report,
        );
        return violations;
      }
      const status = String(exchange.status);
      const statusKey = [status, `${status[0]}XX`, 'default'].find(
        (key) => key in operation.responses,
      );
      if (!statusKey) {
        report(
          `status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
        );
        return violations;
      }
      const documented = operation.responses[statusKey]!;

      for (const [name, header] of Object.entries(documented.headers ?? {})) {
        if (header.required && !exchange.headers.has(name))
          report(`the required header ${name} is missing`);
      }

      const content = documented.content ?? {};
      const mediaTypes = Object.keys(content);
      const contentType = exchange.headers.get('content-type');
      if (mediaTypes.length === 0) {
        if (exchange.text.length > 0)
          report(`a body came where none is documented (${contentType ?? 'no content type'})`);
        return violations;
      }
      const actual = essence(contentType ?? '');
      const mediaType = mediaTypes.find((candidate) => matchesMediaType(candidate, actual));
      if (!mediaType) {
        report(
          `content type ${actual || '(none)'} is not documented (documented: ${mediaTypes.join(', ')})`,
        );
        return violations;
      }
      if (isJson(actual)) {
        checkBody(
          `${operation.label} ${statusKey} ${mediaType}`,
          content[mediaType]?.schema,
          exchange,
          report,
        );
      }
      return violations;
    },
  };
}

export type ResponseConformance = ReturnType<typeof responseConformance>;
