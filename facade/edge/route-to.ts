import type { Context } from 'hono';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import { requestHeader } from '../../src/platform/http/request-header.ts';

/** Testers' header: serve this request from one side, whatever the route's toggle says. */
export const ROUTE_TO_HEADER = 'x-route-to';

const sides = ['legacy', 'new'] as const;
export type RouteOverride = (typeof sides)[number];

/**
 * The side an admin asked for with `x-route-to`. Anyone else's header is ignored, not refused:
 * a customer's client learns nothing from it. An admin's bad value is a 400, so a typo does
 * not silently test the wrong side.
 */
export function routeOverride(c: Context<AppEnv>): RouteOverride | undefined {
  const value = requestHeader(c, ROUTE_TO_HEADER);
  if (value === undefined) return undefined;
  if (!c.get('user')?.roles.includes('admin')) return undefined;
  const side = value.trim().toLowerCase();
  if ((sides as readonly string[]).includes(side)) return side as RouteOverride;
  throw new ProblemError(400, `${ROUTE_TO_HEADER} is legacy or new, not "${value}".`, {
    errors: [{ path: `header.${ROUTE_TO_HEADER}`, message: 'expected legacy or new' }],
  });
}
