import { createRoute, z } from '@hono/zod-openapi';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import { type Health, mountOperations } from '../health.ts';
import { createMetrics } from '../metrics.ts';
import { DOCS_CONTENT_SECURITY_POLICY, mountApiDocs } from './api-docs.ts';
import { createHttpApp } from './create-app.ts';
import { type Problem, ProblemError } from './problem.ts';
import { createRouter } from './router.ts';

const echo = createRoute({
  method: 'post',
  path: '/things/{id}',
  request: {
    params: z.object({ id: z.uuid() }),
    body: {
      content: {
        'application/json': {
          schema: z.object({
            name: z.string().min(1),
            price: z.object({ amountMinor: z.number().int() }),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'echo',
      content: { 'application/json': { schema: z.object({ name: z.string() }) } },
    },
  },
});

const labels = createRoute({
  method: 'get',
  path: '/labels/{label}',
  request: {
    params: z.object({ label: z.string() }),
    query: z.object({ q: z.string().optional() }),
  },
  responses: { 200: { description: 'ok' } },
});

function buildApp(health: Health = { started: true, stopping: false, checks: {} }) {
  const metrics = createMetrics('test');
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics,
    bodyLimitBytes: 1_000,
    authenticate: testAccessTokens().authenticate,
  });
  const things = createRouter();
  things.openapi(echo, (c) => c.json({ name: c.req.valid('json').name }, 200));
  things.openapi(labels, (c) => c.json({ label: c.req.valid('param').label }, 200));
  things.get('/boom', () => {
    throw new Error('secret internals: password=hunter2');
  });
  things.get('/conflict', () => {
    throw new ProblemError(409, 'Already there.');
  });
  app.route('/api', things);
  mountOperations(app, health, metrics);
  mountApiDocs(app, { title: 'Test', version: '1', description: 'test app' });
  return app;
}

const id = '4b8c4a36-36a6-4f0c-9f57-1f1c7a0f6a11';
const post = (body: string, headers: Record<string, string> = {}) =>
  buildApp().request(`/api/things/${id}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('http app', () => {
  it('answers zod failures with 400 problem+json naming each field path', async () => {
    const res = await post(JSON.stringify({ name: '', price: { amountMinor: 1.5 } }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as Problem;
    expect(problem).toMatchObject({ status: 400, title: 'Invalid request' });
    expect(problem.errors?.map((e) => e.path).sort()).toEqual([
      'json.name',
      'json.price.amountMinor',
    ]);
  });

  it('answers a bad path parameter with 400, not 500', async () => {
    const res = await buildApp().request('/api/things/not-a-uuid', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Problem).errors?.[0]?.path).toBe('param.id');
  });

  it.each([
    ['a string value', { name: 'abc\u0000def', price: { amountMinor: 1 } }, ['json.name']],
    ['a bare NUL', { name: '\u0000', price: { amountMinor: 1 } }, ['json.name']],
    [
      'a field the schema does not know (stripped, still refused)',
      { name: 'ok', price: { amountMinor: 1 }, note: { deeper: ['\u0000'] } },
      ['json.note.deeper.0'],
    ],
    [
      'a value that also fails its schema',
      { name: 'ok', price: { amountMinor: '\u0000' } },
      ['json.price.amountMinor', 'json.price.amountMinor'],
    ],
  ])('refuses a NUL character in %s with 400 naming the field', async (_, body, expected) => {
    const res = await post(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as Problem;
    expect(problem.errors?.map((e) => e.path).sort()).toEqual(expected);
    expect(problem.errors?.map((e) => e.message)).toContain(
      'must not contain the NUL character (U+0000)',
    );
  });

  it('refuses a NUL character in a path parameter or a query value, percent-encoded or not', async () => {
    const app = buildApp();
    const cases: Array<[string, string]> = [
      ['/api/labels/a%00b', 'param.label'],
      ['/api/labels/ok?q=%00', 'query.q'],
      ['/api/labels/ok?q=fine&q=x%00', 'query.q.1'],
    ];
    for (const [target, path] of cases) {
      const res = await app.request(target);
      const problem = (await res.json()) as Problem;
      const nul = problem.errors?.filter((e) => e.message.includes('NUL')).map((e) => e.path);
      expect({ target, status: res.status, nul }).toEqual({ target, status: 400, nul: [path] });
    }
    expect((await app.request('/api/labels/ok?q=fine')).status).toBe(200);
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await post('{"name": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as Problem).detail).toMatch(/malformed json/i);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(2_000), price: { amountMinor: 1 } }));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await buildApp().request('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ status: 404, instance: '/api/nothing-here' });
  });

  it('answers a known path with a method it does not serve 405 problem+json, with Allow', async () => {
    const app = buildApp();
    const cases: Array<[string, string, string]> = [
      ['GET', `/api/things/${id}`, 'POST'],
      ['DELETE', `/api/things/${id}`, 'POST'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['PUT', '/docs/swagger-ui.css', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await app.request(path, { method });
      expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({
        method,
        path,
        status: 405,
        allow,
      });
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 405, title: 'Method Not Allowed' });
    }
  });

  it('answers HEAD on a path without GET 405 too (HEAD comes only with GET)', async () => {
    const res = await buildApp().request(`/api/things/${id}`, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('reads the allowed methods from the registered routes: every route path, every other method', async () => {
    const app = buildApp();
    const served = new Map<string, Set<string>>();
    for (const route of app.routes.filter((r) => r.method !== 'ALL')) {
      served.set(route.path, (served.get(route.path) ?? new Set<string>()).add(route.method));
    }
    // A concrete path for each pattern: the asset pattern and the id parameter filled in.
    const concrete = (path: string) =>
      path.replace(/:asset\{.*\}$/, 'swagger-ui.css').replace(':id', id);
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [path, methods] of served) {
      const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].sort().join(', ');
      const others = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !methods.has(m));
      for (const method of others) {
        const res = await app.request(concrete(path), { method });
        outcomes[`${method} ${path}`] = `${res.status} ${res.headers.get('allow')}`;
        expected[`${method} ${path}`] = `405 ${allow}`;
      }
    }
    expect(Object.keys(expected).length).toBeGreaterThan(10);
    expect(outcomes).toEqual(expected);
  });

  it('keeps 404 for a path no route serves, whatever the method', async () => {
    const app = buildApp();
    const cases: Array<[string, string]> = [
      ['DELETE', '/api/nothing-here'],
      ['POST', '/docs/other.js'],
      ['GET', '/api/things'],
    ];
    for (const [method, path] of cases) {
      const res = await app.request(path, { method });
      expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({
        method,
        path,
        status: 404,
        allow: null,
      });
    }
  });

  it('hides internals of unexpected errors behind a 500 problem', async () => {
    const res = await buildApp().request('/api/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
  });

  it('renders thrown problems with their status', async () => {
    const res = await buildApp().request('/api/conflict');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ status: 409, detail: 'Already there.' });
  });

  it('accepts a caller request id and generates one otherwise; sets secure headers', async () => {
    const app = buildApp();
    const given = await app.request('/health/live', { headers: { 'X-Request-ID': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const generated = await app.request('/health/live');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves the docs page under a policy that allows only its own files, and works under it', async () => {
    const app = buildApp();
    const page = await app.request('/docs');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const html = await page.text();
    // Nothing inline for the policy to block: every script is a file, no style element or
    // attribute, no event handler attribute.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    expect(
      scripts.filter(([, attributes, body]) => !/\ssrc="/.test(attributes!) || body!.trim()),
    ).toEqual([]);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    // Everything it refers to is same-origin and served ('self' covers it).
    const references = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
    expect(references.length).toBeGreaterThan(2);
    for (const url of references) {
      expect(url).toMatch(/^\/docs\//);
      expect((await app.request(url)).status, url).toBe(200);
    }
    // swagger-ui's stylesheet loads nothing but data: images (img-src 'self' data:).
    const css = await (await app.request('/docs/swagger-ui.css')).text();
    const urls = [...css.matchAll(/url\(\s*["']?([^"')]+)/g)].map(([, url]) => url!);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => !url.startsWith('data:'))).toEqual([]);
  });

  it('sends every other answer with a policy that lets nothing load, run or frame it', async () => {
    const app = buildApp();
    for (const path of ['/health/live', '/openapi.json', '/api/nothing-here', '/docs/init.js']) {
      const res = await app.request(path);
      expect({ path, policy: res.headers.get('content-security-policy') }).toEqual({
        path,
        policy: "default-src 'none'; frame-ancestors 'none'",
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    }
  });

  it('counts requests by route template and status in Prometheus text', async () => {
    const app = buildApp();
    await app.request(`/api/things/${id}`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await app.request('/api/nothing-here');
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain(
      'http_requests_total{method="POST",route="/api/things/:id",status="400",component="test"} 1',
    );
    expect(text).toContain('route="unmatched",status="404"');
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('reports readiness per check, 503 with the failing one', async () => {
    const health: Health = {
      started: true,
      stopping: false,
      checks: {
        database: async () => {},
        redis: async () => {
          throw new Error('connection refused');
        },
      },
    };
    const app = buildApp(health);
    const res = await app.request('/health/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      failed: ['redis'],
      checks: {
        database: { status: 'up' },
        redis: { status: 'down', error: 'connection refused' },
      },
    });
    health.checks.redis = async () => {};
    expect((await app.request('/health/ready')).status).toBe(200);
    expect((await app.request('/health/live')).status).toBe(200);
  });

  it('says not started until start-up finished', async () => {
    const health: Health = { started: false, stopping: false, checks: {} };
    const app = buildApp(health);
    expect((await app.request('/health/startup')).status).toBe(503);
    expect((await app.request('/health/ready')).status).toBe(503);
    health.started = true;
    expect((await app.request('/health/startup')).status).toBe(200);
  });

  it('serves an OpenAPI document generated from the zod schemas and a docs page', async () => {
    const app = buildApp();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<
        string,
        { post: { requestBody: { content: Record<string, { schema: object }> } } }
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(
      doc.paths['/api/things/{id}']?.post.requestBody.content['application/json']?.schema,
    ).toHaveProperty('properties.price');
    const page = await app.request('/docs');
    expect(await page.text()).toContain('/docs/init.js');
    expect(await (await app.request('/docs/init.js')).text()).toContain("'/openapi.json'");
    expect((await app.request('/docs/swagger-ui-bundle.js')).status).toBe(200);
  });
});
