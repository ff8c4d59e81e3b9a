import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from '../../test/support/access-tokens.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { edgeCors } from './cors.ts';
import { edgeAuth } from './edge-auth.ts';

const tokens = testAccessTokens();

/** An edge as the facade composes it: its token check, then CORS, then what it serves. */
function edge(origins: string[]) {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('cors_test'),
    bodyLimitBytes: 10_000,
    authenticate: edgeAuth(tokens.verifier),
  });
  let forwarded = 0;
  app.use(edgeCors({ CORS_ORIGINS: origins }));
  app.all('*', (c) => {
    forwarded += 1;
    return c.json({ ok: true }, 200, { 'X-Cache': 'miss' });
  });
  return { app, forwarded: () => forwarded };
}

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  },
});

describe('CORS at the edge', () => {
  it('answers a preflight from an allowed origin itself, without a token', async () => {
    const { app, forwarded } = edge(['https://shop.example', 'https://admin.example']);
    const response = await app.request('/api/orders', preflight('https://shop.example'));
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(forwarded()).toBe(0);
  });

  it('refuses a preflight from another origin with 403, never forwarded', async () => {
    const { app, forwarded } = edge(['https://shop.example']);
    const response = await app.request('/api/orders', preflight('https://evil.example'));
    await expectProblem(response, 403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(forwarded()).toBe(0);
  });

  it("lets an allowed origin's script read the edge's headers; tells another origin nothing", async () => {
    const { app } = edge(['https://shop.example']);
    const token = await tokens.tokenFor(['customer']);
    const allowed = await app.request('/api/orders', {
      headers: { origin: 'https://shop.example', authorization: `Bearer ${token}` },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(allowed.headers.get('access-control-expose-headers')).toBe(
      'X-Request-ID,RateLimit,RateLimit-Policy,Retry-After,X-Cache',
    );
    expect(allowed.headers.get('vary')).toContain('Origin');

    const other = await app.request('/api/products', {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS header at all when no origin is configured', async () => {
    const { app, forwarded } = edge([]);
    const answer = await app.request('/api/products', {
      headers: { origin: 'https://shop.example' },
    });
    expect(answer.status).toBe(200);
    expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual(
      [],
    );
    // With no CORS, a preflight is just an OPTIONS request, for the routes to answer.
    const options = await app.request('/api/products', preflight('https://shop.example'));
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
    expect(forwarded()).toBe(2);
  });
});
