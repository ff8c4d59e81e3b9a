import { z } from '@hono/zod-openapi';

// Where a route of the facade is in its migration, as every component reads it: the facade
// routes requests by it, and the monolith's internal seams follow the route that owns their
// traffic (payments.write.capture for orders' payment port).

/** From legacy only to new only. */
export const routeModes = ['monolith', 'shadow', 'canary', 'extracted', 'retired'] as const;
export const routeModeSchema = z.enum(routeModes).openapi('RouteMode');
export type RouteMode = z.infer<typeof routeModeSchema>;

/** A route's toggle as another component reads it from the facade (its internal API). */
export const routeToggleStateSchema = z
  .object({
    routeId: z.string(),
    mode: routeModeSchema,
    /** The new side's share in canary, 0–100. */
    percentage: z.number().int().min(0).max(100),
    /** The facade's global version of the change that set it; 0 while never changed. */
    version: z.number().int().min(0),
  })
  .openapi('RouteToggleState');
export type RouteToggleState = z.infer<typeof routeToggleStateSchema>;
