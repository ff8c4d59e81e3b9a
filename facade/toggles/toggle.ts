import { z } from '@hono/zod-openapi';
import { modeSchema as routeModeSchema } from '../routes/modes.ts';
import { figuresSchema } from './figures.ts';

/** `<capability>.<read|write>.<what>`, e.g. `payments.read.by-id`. */
export const routeIdSchema = z
  .string()
  .max(100)
  .regex(
    /^[a-z][a-z0-9-]*\.(read|write)\.[a-z0-9-]+$/,
    'a route id: <capability>.<read|write>.<what>',
  );

export const percentageSchema = z.number().int().min(0).max(100);

export const routeToggleSchema = z
  .object({
    routeId: z.string(),
    mode: routeModeSchema,
    percentage: percentageSchema,
    /** The global version of the change that set it; 0 while the route was never changed. */
    version: z.number().int(),
    changedAt: z.iso.datetime().nullable(),
    changedBy: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .openapi('RouteToggle');

export type RouteToggle = z.infer<typeof routeToggleSchema>;

export const journalEntrySchema = z
  .object({
    id: z.number().int(),
    routeId: z.string(),
    version: z.number().int(),
    kind: z.enum(['change', 'rollback']),
    changedAt: z.iso.datetime(),
    changedBy: z.string(),
    from: z.object({ mode: routeModeSchema, percentage: percentageSchema }),
    to: z.object({ mode: routeModeSchema, percentage: percentageSchema }),
    reason: z.string(),
    forced: z.boolean(),
    figures: figuresSchema,
  })
  .openapi('ToggleJournalEntry');

export type JournalEntry = z.infer<typeof journalEntrySchema>;

export const replicaSchema = z
  .object({
    replicaId: z.string(),
    appliedVersion: z.number().int(),
    /** The global version minus the applied one: 0 when the replica is up to date. */
    lag: z.number().int(),
    seenAt: z.iso.datetime(),
  })
  .openapi('ToggleReplica');

export type Replica = z.infer<typeof replicaSchema>;
