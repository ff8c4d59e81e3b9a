import { z } from '@hono/zod-openapi';

// Defined here only because facade/routes/modes.ts does not exist yet on this branch: the same
// enum, to be merged into that one file.

/** Which side serves a route, in the order a migration moves it. */
export const routeModes = ['monolith', 'shadow', 'canary', 'extracted', 'retired'] as const;

export const routeModeSchema = z.enum(routeModes).openapi('RouteMode');

export type RouteMode = z.infer<typeof routeModeSchema>;
