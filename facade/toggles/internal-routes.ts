import { createRoute, z } from '@hono/zod-openapi';
import {
  requireServiceCaller,
  type ServiceCallerOptions,
} from '../../src/platform/auth/service-caller.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import { bearerSecurity, jsonDoc, problemDoc } from '../../src/platform/http/route-docs.ts';
import { createRouter } from '../../src/platform/http/router.ts';
import { routeToggleStateSchema } from '../../src/platform/routing/route-modes.ts';
import type { ToggleStore } from './store.ts';
import { routeIdSchema } from './toggle.ts';

/** Where the facade mounts its internal API. */
export const FACADE_INTERNAL_PATH = '/_facade/internal';

/**
 * Calls to the internal API carry a service token, not a user's access token: the facade's edge
 * authentication passes them by, and this router checks them.
 */
export const isFacadeInternalPath = (path: string) =>
  path === FACADE_INTERNAL_PATH || path.startsWith(`${FACADE_INTERNAL_PATH}/`);

export interface ToggleInternalOptions {
  store: ToggleStore;
  /** The components allowed to read toggles (the monolith's seams), and their service keys. */
  trustedCallers: ServiceCallerOptions['trustedCallers'];
  /** Whether the route table knows the route; without it any well-formed id is answered. */
  knownRoute?(routeId: string): boolean;
}

const readToggle = createRoute({
  method: 'get',
  path: '/toggles/{routeId}',
  operationId: 'readRouteToggleInternal',
  tags: ['facade'],
  summary: "A route's toggle, for the internal seams of other components",
  description:
    "From this replica's snapshot (no query). The monolith's payment seam follows `payments.write.capture` by it.",
  security: bearerSecurity,
  request: {
    params: z.object({
      routeId: routeIdSchema.openapi({
        param: { name: 'routeId', in: 'path' },
        example: 'payments.write.capture',
      }),
    }),
  },
  responses: {
    200: jsonDoc(routeToggleStateSchema, "The route's mode, percentage and version"),
    400: problemDoc('Not a route id'),
    401: problemDoc('No valid service token of a trusted caller'),
    403: problemDoc('A service token meant for another service'),
    404: problemDoc('No such route'),
  },
});

/**
 * The facade's internal API, mounted at FACADE_INTERNAL_PATH: what other components read of the
 * toggles, with a service token for the audience `facade`.
 */
export function toggleInternalRoutes({ store, trustedCallers, knownRoute }: ToggleInternalOptions) {
  const router = createRouter();
  router.use('*', requireServiceCaller({ audience: 'facade', trustedCallers }));
  router.openapi(readToggle, (c) => {
    const { routeId } = c.req.valid('param');
    if (knownRoute && !knownRoute(routeId)) {
      throw new ProblemError(404, `No route ${routeId} in the route table.`);
    }
    const { mode, percentage, version } = store.toggle(routeId);
    return c.json({ routeId, mode, percentage, version }, 200);
  });
  return router;
}
