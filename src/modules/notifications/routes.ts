import { createRoute } from '@hono/zod-openapi';
import { requireUser } from '../../platform/auth/authenticate.ts';
import type { Database } from '../../platform/db/database.ts';
import { ProblemError } from '../../platform/http/problem.ts';
import { authErrors, bearerSecurity, jsonDoc, problemDoc } from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import { listNotificationsQuerySchema, notificationPageSchema } from './contracts.ts';
import { listNotifications } from './service.ts';

const listRoute = createRoute({
  method: 'get',
  path: '/notifications',
  operationId: 'listNotifications',
  tags: ['notifications'],
  summary: "The caller's own notifications, newest first",
  security: bearerSecurity,
  // Route middleware runs before validation: an anonymous caller learns nothing else.
  middleware: [requireUser()] as const,
  request: { query: listNotificationsQuerySchema },
  responses: {
    200: jsonDoc(notificationPageSchema, 'A page of notifications'),
    400: problemDoc('Invalid query'),
    401: authErrors[401],
  },
});

export function notificationRoutes(db: Database) {
  const router = createRouter();
  router.openapi(listRoute, async (c) => {
    const user = c.var.user;
    // requireUser already answered 401; this only narrows the type.
    if (!user) throw new ProblemError(401, 'Sign in first: send a bearer access token.');
    return c.json(await listNotifications(db, user.id, c.req.valid('query')), 200);
  });
  return router;
}
