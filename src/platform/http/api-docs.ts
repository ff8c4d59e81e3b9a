import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { withAppAnswers } from './route-docs.ts';

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
  /** One per tag the routes use, so a reader knows what each group is. */
  tags?: Array<{ name: string; description: string }>;
}

// Served from the installed package so the docs page works without reaching any CDN.
const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const page = (title: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title} API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const initScript = "SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs' });";

/**
 * Adds the app's own answers (bad token, body limit, content type, 503, 500) to every route,
 * at the time the document is asked for, so routes mounted in any order are covered.
 */
function documentAppAnswers(app: OpenAPIHono<AppEnv>): void {
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type === 'route') definition.route = withAppAnswers(definition.route);
  }
}

/**
 * The docs page loads only its own files: no inline script (the start-up call is /docs/init.js),
 * no inline style element; swagger-ui's stylesheet draws its icons as data: images, and the page
 * fetches /openapi.json and, on "Try it out", the API itself, all from the same origin.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** OpenAPI document generated from the routes' zod schemas, and a docs page that renders it. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>, info: ApiInfo): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });
  const { tags = [], ...about } = info;
  app.doc31('/openapi.json', () => {
    documentAppAnswers(app);
    return {
      openapi: '3.1.0',
      info: about,
      // Relative: the document is right wherever it is served, directly or behind the facade.
      servers: [{ url: '/', description: 'This component, where this document is served' }],
      tags,
    };
  });
  app.get('/docs', (c) =>
    c.html(page(info.title), 200, { 'Content-Security-Policy': DOCS_CONTENT_SECURITY_POLICY }),
  );
  app.get('/docs/init.js', (c) =>
    c.body(initScript, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
  );
  // A route per asset, not one with a pattern: a pattern here makes Hono fall back from its
  // RegExpRouter to the slower TrieRouter for the whole app, on every request.
  for (const [asset, contentType] of Object.entries(assets)) {
    app.get(`/docs/${asset}`, async (c) => {
      const body = await readFile(join(swaggerDir, asset));
      return c.body(body, 200, {
        'Content-Type': contentType,
        'Cache-Control': 'public, max-age=86400',
      });
    });
  }
}
