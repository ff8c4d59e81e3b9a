import { createRoute } from '@hono/zod-openapi';
import { requireRole } from '../platform/auth/authenticate.ts';
import { authErrors, bearerSecurity, jsonDoc } from '../platform/http/route-docs.ts';
import { createRouter } from '../platform/http/router.ts';
import { type DashboardSource, dashboardSchema, gatherDashboard } from './dashboard.ts';

export type { Dashboard, DashboardSource } from './dashboard.ts';

const dashboardRoute = createRoute({
  method: 'get',
  path: '/admin/dashboard',
  operationId: 'getDashboard',
  tags: ['admin'],
  summary: 'Counts and sums from every module; a slow or failing one is listed as unavailable',
  security: bearerSecurity,
  middleware: [requireRole('admin')] as const,
  responses: {
    200: jsonDoc(dashboardSchema, 'The figures that could be gathered in time'),
    ...authErrors,
  },
});

/** `GET /admin/dashboard` (mounted under /api); each source gets `timeoutMs`. */
export function dashboardRoutes(sources: readonly DashboardSource[], timeoutMs: number) {
  const names = sources.map((source) => source.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new Error(`two dashboard sources are named ${duplicate}`);

  const router = createRouter();
  router.openapi(dashboardRoute, async (c) => {
    const dashboard = await gatherDashboard(sources, timeoutMs);
    if (dashboard.unavailable.length > 0) {
      c.var.logger.warn({ unavailable: dashboard.unavailable }, 'dashboard sources unavailable');
    }
    return c.json(dashboard, 200);
  });
  return router;
}
