import { createRoute, z } from '@hono/zod-openapi';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountApiDocs } from '../../src/platform/http/api-docs.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { jsonDoc, problemDoc } from '../../src/platform/http/route-docs.ts';
import type { RunningServer } from '../../src/platform/http/serve.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from '../support/access-tokens.ts';
import { serveApp } from '../support/serve-app.ts';
import { expectNoViolations } from './conformance-log.ts';
import type { OpenApiDocument } from './openapi-operations.ts';
import { type Exchange, responseConformance } from './response-conformance.ts';
import { sendRequest } from './send-request.ts';

// The checker every e2e answer goes through must catch a wrong answer, or the suites would pass
// on a document that lies. A small app documents one shape and, asked to, answers another.

const status = z.enum(['open', 'closed']).openapi('ThingStatus');
const thingSchema = z
  .object({
    id: z.uuid(),
    count: z.number().int(),
    previous: z.union([status, z.null()]),
    at: z.iso.datetime(),
  })
  .openapi('Thing');
const id = '4b8c4a36-36a6-4f0c-9f57-1f1c7a0f6a11';
const right = { id, count: 3, previous: null, at: '2026-01-02T03:04:05.000Z' };
/** What the route answers for `?answer=<key>`. */
const answers: Record<string, { status: 200 | 404; body: unknown }> = {
  right: { status: 200, body: right },
  wrongType: { status: 200, body: { ...right, count: 'three' } },
  missingField: { status: 200, body: { id, count: 3, at: right.at } },
};

const getThing = createRoute({
  method: 'get',
  path: '/things/{id}',
  operationId: 'getThing',
  request: {
    params: z.object({ id: z.uuid() }),
    query: z.object({ answer: z.string().default('right') }),
  },
  responses: {
    200: jsonDoc(thingSchema, 'The thing'),
    404: problemDoc('No such thing'),
  },
});

function buildApp() {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('conformance'),
    bodyLimitBytes: 1_000,
    authenticate: testAccessTokens().authenticate,
  });
  app.openapi(getThing, (c) => {
    const answer = answers[c.req.valid('query').answer] ?? answers.right!;
    return c.json(answer.body as z.infer<typeof thingSchema>, answer.status as 200);
  });
  mountApiDocs(app, { title: 'Conformance', version: '1', description: 'test app' });
  return app;
}

let checker: ReturnType<typeof responseConformance>;
const json = (body: unknown) => JSON.stringify(body);
const exchange = (over: Partial<Exchange> & { contentType?: string }): Exchange => {
  const { contentType = 'application/json', ...rest } = over;
  return {
    method: 'GET',
    target: `/things/${id}`,
    status: 200,
    headers: new Headers({ 'content-type': contentType }),
    text: json(right),
    ...rest,
  };
};
const findings = (over: Parameters<typeof exchange>[0]) =>
  checker.check(exchange(over)).map((v) => ({ ...v, request: undefined }));

beforeAll(async () => {
  const doc = (await (await buildApp().request('/openapi.json')).json()) as OpenApiDocument;
  checker = responseConformance(doc);
});

describe('an answer checked against the OpenAPI document', () => {
  it('that matches passes, nullable named schema included', () => {
    expect(checker.check(exchange({}))).toEqual([]);
    expect(checker.check(exchange({ text: json({ ...right, previous: 'open' }) }))).toEqual([]);
  });

  it('with a field of the wrong type is caught, naming the operation, status and field', () => {
    expect(findings({ text: json({ ...right, count: 'three' }) })).toEqual([
      {
        operation: 'getThing (GET /things/{id})',
        status: 200,
        problem: 'the body does not match the documented schema',
        details: ['/count must be integer'],
        request: undefined,
      },
    ]);
  });

  it('with a required field missing, or a value outside an enum, is caught', () => {
    const { previous: _, ...withoutPrevious } = right;
    expect(findings({ text: json(withoutPrevious) })[0]?.details).toEqual([
      "(root) must have required property 'previous'",
    ]);
    expect(findings({ text: json({ ...right, previous: 'lost' }) })[0]?.details).toEqual(
      expect.arrayContaining([
        '/previous must be equal to one of the allowed values (["open","closed"])',
      ]),
    );
  });

  it('with an undocumented status is caught', () => {
    expect(findings({ status: 418 }).map((v) => v.problem)).toEqual([
      'status 418 is not documented (documented: 200, 401, 404, 500, 503)',
    ]);
  });

  it('with an undocumented content type, or a body that is not JSON, is caught', () => {
    expect(findings({ contentType: 'text/plain', text: 'three' }).map((v) => v.problem)).toEqual([
      'content type text/plain is not documented (documented: application/json)',
    ]);
    expect(findings({ text: '{"id":' }).map((v) => v.problem)).toEqual([
      'the body is not JSON: "{\\"id\\":"',
    ]);
  });

  it('checks the app-wide answers too: a 503 needs Retry-After and a problem body', () => {
    const problem = { type: 'about:blank', title: 'Service Unavailable', status: 503 };
    const unavailable = {
      status: 503,
      contentType: 'application/problem+json',
      text: json(problem),
    };
    expect(findings(unavailable).map((v) => v.problem)).toEqual([
      'the required header Retry-After is missing',
    ]);
    const withHeader = new Headers({
      'content-type': 'application/problem+json',
      'retry-after': '5',
    });
    expect(findings({ ...unavailable, headers: withHeader })).toEqual([]);
    expect(
      findings({ ...unavailable, headers: withHeader, text: json({ title: 'x' }) })[0]?.details,
    ).toEqual([
      "(root) must have required property 'type'",
      "(root) must have required property 'status'",
    ]);
  });

  it('for a path no operation has: a 404 problem passes, anything else is caught', () => {
    const notFound = { type: 'about:blank', title: 'Not Found', status: 404 };
    const unknown = { target: '/nothing/here', contentType: 'application/problem+json' };
    expect(findings({ ...unknown, status: 404, text: json(notFound) })).toEqual([]);
    expect(findings({ ...unknown, status: 200, text: json(right) }).map((v) => v.problem)).toEqual([
      'no operation is documented for GET /nothing/here, yet it answered 200, not 404 or 405',
    ]);
  });
});

describe('every e2e request goes through the check', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serveApp(buildApp());
  });
  afterAll(() => server?.close());

  const ask = (answer: string) =>
    sendRequest(server.url, {
      method: 'GET',
      target: `/things/${id}?answer=${answer}`,
      headers: {},
      body: undefined,
    });

  it('sendRequest records a wrong answer, and the assertion names operation, status and error', async () => {
    expect((await ask('right')).status).toBe(200);
    expectNoViolations();
    expect((await ask('wrongType')).status).toBe(200);
    expect(() => expectNoViolations()).toThrow(
      /getThing \(GET \/things\/\{id\}\) → 200: the body does not match the documented schema\n {4}\/count must be integer/,
    );
  });

  // Nothing in the body fails: the setup file's afterEach must, or this test reports a failure.
  it.fails('a test that received a wrong answer fails without asserting anything itself', async () => {
    await ask('missingField');
  });
});
