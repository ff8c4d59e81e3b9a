import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/platform/http/app-env.ts';

// The admin page: three static files, read once when the router is made, so a request never
// touches the disk. The page holds no data; it reads the admin API with the admin's token.

/** Only the page's own files: no inline script or style, no other origin, no framing. */
export const ADMIN_PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const read = (name: string) => readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');

/** The admin page, mounted at `/_facade`: the page itself, `app.js` and `app.css`. */
export function adminPage(): Hono<AppEnv> {
  const files = {
    html: read('index.html'),
    js: read('app.js'),
    css: read('app.css'),
  };
  const headers = (contentType: string) => ({
    'Content-Type': contentType,
    'Content-Security-Policy': ADMIN_PAGE_CONTENT_SECURITY_POLICY,
    // Revalidated on every load, so a new version of the page is never mixed with an old script.
    'Cache-Control': 'no-cache',
  });
  const router = new Hono<AppEnv>();
  router.get('/', (c) => c.body(files.html, 200, headers('text/html; charset=utf-8')));
  router.get('/app.js', (c) => c.body(files.js, 200, headers('text/javascript; charset=utf-8')));
  router.get('/app.css', (c) => c.body(files.css, 200, headers('text/css; charset=utf-8')));
  return router;
}
