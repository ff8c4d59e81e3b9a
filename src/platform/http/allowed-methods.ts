import type { Hono } from 'hono';
import { METHOD_NAME_ALL } from 'hono/router';
import type { AppEnv } from './app-env.ts';

/**
 * The methods the app serves on `path`, read from its own router, so a 405's `Allow` cannot
 * drift from the routes. Middleware (registered for every method) does not count; HEAD comes
 * with GET, as Hono answers HEAD from the GET route.
 */
export function allowedMethods(app: Hono<AppEnv>, path: string): string[] {
  const registered = new Set(
    app.routes.map((route) => route.method).filter((method) => method !== METHOD_NAME_ALL),
  );
  const allowed = [...registered].filter((method) =>
    app.router.match(method, path)[0].some(([[, route]]) => route.method === method),
  );
  if (allowed.includes('GET')) allowed.push('HEAD');
  return allowed.sort();
}
