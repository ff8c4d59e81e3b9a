import { existsSync } from 'node:fs';
import { createRoute, z } from '@hono/zod-openapi';
import { pino } from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import { serveApp } from '../../../test/support/serve-app.ts';
import { createMetrics } from '../metrics.ts';
import { mountApiDocs } from './api-docs.ts';
import { createHttpApp } from './create-app.ts';
import { createRouter } from './router.ts';
import type { RunningServer } from './serve.ts';

// The docs page in a real browser (Debian's chromium, installed by .ci/run): swagger-ui must
// render the document under the page's Content-Security-Policy, with nothing blocked.

const listThings = createRoute({
  method: 'get',
  path: '/things',
  operationId: 'listThings',
  summary: 'List the things',
  responses: {
    200: {
      description: 'The things',
      content: { 'application/json': { schema: z.object({ names: z.array(z.string()) }) } },
    },
  },
});

/** Debian's chromium by default; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let server: RunningServer;
let browser: Browser;
beforeAll(async () => {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    bodyLimitBytes: 1_000,
    authenticate: testAccessTokens().authenticate,
  });
  const things = createRouter();
  things.openapi(listThings, (c) => c.json({ names: ['a'] }, 200));
  app.route('/api', things);
  mountApiDocs(app, { title: 'Docs page test', version: '1', description: 'A test app' });
  server = await serveApp(app);
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the /docs page', () => {
  it('renders every operation under its Content-Security-Policy, with nothing blocked', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    // Runs in the page, before its own scripts: every blocked load is reported on the console.
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (event) =>
        console.error('Content Security Policy violation: ' + event.violatedDirective + ' ' + event.blockedURI));`,
    });
    const response = await page.goto(`${server.url}/docs`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    const operation = page.locator('.opblock-summary-path', { hasText: '/api/things' });
    await operation.waitFor({ timeout: 10_000 });
    expect(await page.locator('.opblock-summary-description').first().textContent()).toBe(
      'List the things',
    );
    // Opening an operation renders its parts (styles and icons included) without a block.
    await operation.click();
    await page.locator('.responses-wrapper').waitFor({ timeout: 5_000 });
    expect(violations).toEqual([]);
    await page.close();
  });
});
