// Which requests the edge lets through without a verified user. Everything else the route
// table or the monolith serves needs a valid bearer token before it is forwarded. The
// services behind still check what they serve; this only keeps anonymous traffic off routes
// that would refuse it anyway, before it costs an upstream call.

const isSafe = (method: string) => method === 'GET' || method === 'HEAD';

/** `/api/products`, `/api/products/{id}`, `/api/products/{id}/stock`, and below. */
const isCatalogPath = (path: string) =>
  path === '/api/products' || path.startsWith('/api/products/');

/** The admin page and its assets are public; its API (`/_facade/api`) is admins' only. */
const isAdminPagePath = (path: string) =>
  (path === '/_facade' || path.startsWith('/_facade/')) &&
  path !== '/_facade/api' &&
  !path.startsWith('/_facade/api/');

const isOperationsPath = (path: string) =>
  path.startsWith('/health/') ||
  path === '/metrics' ||
  path === '/openapi.json' ||
  path === '/docs' ||
  path.startsWith('/docs/') ||
  path.startsWith('/.well-known/');

/**
 * A browser's CORS preflight: it never carries credentials (the Fetch standard), so asking
 * for one would make every cross-origin call fail. The CORS middleware answers it.
 */
export const isPreflight = (method: string, accessControlRequestMethod: string | undefined) =>
  method === 'OPTIONS' && accessControlRequestMethod !== undefined;

/** True when `method path` may be served to an anonymous caller. */
export function isPublicRequest(method: string, path: string): boolean {
  const upper = method.toUpperCase();
  if (upper === 'POST') return path === '/api/users' || path === '/api/auth/login';
  if (!isSafe(upper)) return false;
  return path === '/' || isCatalogPath(path) || isAdminPagePath(path) || isOperationsPath(path);
}
