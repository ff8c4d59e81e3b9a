import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from '../../test/support/access-tokens.ts';
import { adminPage } from './page-routes.ts';

const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Mounted on the app every component starts from, so its own secure headers are in play too.
const app = createHttpApp({
  logger: pino({ level: 'silent' }),
  metrics: createMetrics('test'),
  bodyLimitBytes: 1_000,
  authenticate: testAccessTokens().authenticate,
});
app.route('/_facade', adminPage());

describe('the admin page at /_facade', () => {
  it.each([
    ['/_facade', 'text/html; charset=utf-8', '<script type="module" src="/_facade/app.js">'],
    ['/_facade/app.js', 'text/javascript; charset=utf-8', 'sessionStorage.getItem(TOKEN_KEY)'],
    ['/_facade/app.css', 'text/css; charset=utf-8', 'border-collapse'],
  ])(
    'serves %s as %s under its own strict policy, revalidated on every load',
    async (path, type, part) => {
      const response = await app.request(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('content-security-policy')).toBe(POLICY);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain(part);
    },
  );

  it('needs no sign-in to load (the page holds no data)', async () => {
    expect((await app.request('/_facade')).status).toBe(200);
  });

  it('answers an unknown asset with a 404 problem', async () => {
    const response = await app.request('/_facade/other.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404 });
  });

  it('loads nothing the page does not serve itself', async () => {
    const html = await (await app.request('/_facade')).text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(sources).toEqual(['/_facade/app.css', '/_facade/app.js']);
    expect(html).not.toMatch(/<script>|<style>|style="/);
  });
});
